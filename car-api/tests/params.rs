//! Parameter checks through the public API: the suggestion threshold, the edit distance
//! behind it, and the messages for each problem. Distances are Levenshtein distances,
//! worked out by hand (the textbook pair kitten/sitting is 3).

use car_api::params::{check, describe_value, suggest};
use serde_json::json;

#[test]
fn suggestions_follow_the_edit_distance_threshold() {
    // Short names allow two edits.
    assert_eq!(suggest("Limt", ["Offset", "Limit"]), Some("Limit".into()));
    assert_eq!(suggest("lmt", ["Limit"]), Some("Limit".into()));
    assert_eq!(
        suggest("LIMT", ["Limit"]),
        Some("Limit".into()),
        "case-blind"
    );
    assert_eq!(suggest("lxxxt", ["Limit"]), None, "three edits");
    assert_eq!(suggest("xyz", ["Limit"]), None);
    assert_eq!(
        suggest("kitten", ["sitting"]),
        None,
        "three edits, seven letters"
    );
    // Long names allow a third of their length: 15 letters, five edits.
    assert_eq!(
        suggest("ApplicatioZZZZZ", ["ApplicationName"]),
        Some("ApplicationName".into())
    );
    assert_eq!(suggest("ApplicatiZZZZZZ", ["ApplicationName"]), None);
    // The closest candidate wins.
    assert_eq!(
        suggest("Offse", ["Offsets", "Offset"]),
        Some("Offset".into())
    );
    assert_eq!(
        suggest("Offset", ["Offsets", "Offset"]),
        Some("Offset".into())
    );
    // Insertions, deletions and substitutions each cost one.
    assert_eq!(suggest("Limiit", ["Limit"]), Some("Limit".into()));
    assert_eq!(suggest("Lmit", ["Limit"]), Some("Limit".into()));
    assert_eq!(suggest("Lxmxt", ["Limit"]), Some("Limit".into()));
    assert_eq!(suggest("", ["Limit"]), None, "five insertions");
    assert_eq!(suggest("Limitxyz", ["Limit"]), None, "three deletions");
}

#[test]
fn long_strings_are_shortened_in_messages() {
    // Quoted, 38 letters make 40 characters: shown whole; one more and it is cut to
    // 37 characters and an ellipsis.
    let forty = "a".repeat(38);
    assert_eq!(describe_value(&json!(forty)), format!("string \"{forty}\""));
    let long = "a".repeat(39);
    assert_eq!(
        describe_value(&json!(long)),
        format!("string \"{}…", "a".repeat(36))
    );
    assert_eq!(describe_value(&json!(null)), "null");
    assert_eq!(describe_value(&json!(true)), "boolean true");
    assert_eq!(describe_value(&json!(-3)), "number -3");
    assert_eq!(describe_value(&json!([1])), "an array");
    assert_eq!(describe_value(&json!({})), "an object");
}

#[test]
fn each_problem_is_named_with_its_path() {
    // DescribeApplicationList: Offset and Limit required (Tencent's API reference),
    // Filters a list of Filter {Name, Values}.
    let action = car_api::meta::action("DescribeApplicationList").expect("action");
    let messages = |body| -> Vec<String> {
        check(action, &body)
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    assert!(messages(json!({"Offset": 0, "Limit": 10})).is_empty());
    assert_eq!(
        messages(json!({"Offset": 0, "Limit": null, "Limt": 2})),
        [
            "missing required parameter Limit",
            "unknown parameter Limt (did you mean Limit?)"
        ]
    );
    assert_eq!(
        messages(json!({"Offset": "0", "Limit": 1, "Zzzzzzzz": 1})),
        [
            "parameter Offset: expected an integer, got string \"0\"",
            "unknown parameter Zzzzzzzz"
        ]
    );
    assert_eq!(
        messages(
            json!({"Offset": 0, "Limit": 1, "Filters": [{"Name": 3, "Values": ["a", 4], "Nmae": "x"}]})
        ),
        [
            "parameter Filters[0].Name: expected a string, got number 3",
            "parameter Filters[0].Values[1]: expected a string, got number 4",
            "unknown parameter Filters[0].Nmae (did you mean Name?)"
        ]
    );
    assert_eq!(
        messages(json!({"Offset": 0, "Limit": 1, "Filters": {"Name": "a"}})),
        ["parameter Filters: expected a list of Filter objects, got an object"]
    );
    assert_eq!(
        messages(json!({"Offset": 0, "Limit": 1, "Filters": ["a"]})),
        ["parameter Filters[0]: expected a Filter object, got string \"a\""]
    );
    assert_eq!(
        messages(json!([1])),
        ["the request must be a JSON object, got an array"]
    );
}
