//! Every spec mistake is reported with its JSON path and the names involved, never a panic.

use serde_json::{json, Value};

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mini.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn errors_of(spec: &Value) -> Vec<String> {
    match car_spec::parse(&spec.to_string()) {
        Ok(_) => vec![],
        Err(errs) => errs.iter().map(ToString::to_string).collect(),
    }
}

fn assert_error(spec: &Value, path: &str, needle: &str) {
    let errs = errors_of(spec);
    assert!(
        errs.iter()
            .any(|e| e.starts_with(path) && e.contains(needle)),
        "expected an error at `{path}` mentioning `{needle}`, got {errs:#?}"
    );
}

#[test]
fn fixture_and_real_spec_are_valid() {
    assert_eq!(errors_of(&fixture()), Vec::<String>::new());
    let real =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/car.json")).unwrap();
    let checked = car_spec::parse(&real).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(checked.actions.len(), 33);
    assert_eq!(checked.types.len(), 12);
    assert_eq!(checked.actions.iter().filter(|a| a.sites.cn).count(), 7);
    assert!(checked.actions.iter().all(|a| a.sites.intl));
}

#[test]
fn unknown_type_names_action_member_and_path() {
    let mut s = fixture();
    s["actions"][1]["input"][1]["type"] = json!("Shapee");
    assert_error(
        &s,
        "$.actions[1].input[1].type",
        "action `CreateWidget` input member `Shape`: unknown type `Shapee`",
    );
    let mut s = fixture();
    s["types"][2]["members"][0]["type"] = json!("list[strin]");
    assert_error(
        &s,
        "$.types[2].members[0].type",
        "type `Widget` member `WidgetId`: unknown type `strin`",
    );
}

#[test]
fn duplicate_members_types_actions_enums_and_codes() {
    let mut s = fixture();
    let m = s["actions"][0]["input"][0].clone();
    s["actions"][0]["input"].as_array_mut().unwrap().push(m);
    assert_error(
        &s,
        "$.actions[0].input[6].name",
        "duplicate member `Offset`",
    );

    let mut s = fixture();
    let a = s["actions"][0].clone();
    s["actions"].as_array_mut().unwrap().push(a);
    assert_error(
        &s,
        "$.actions[2].name",
        "duplicate action `DescribeWidgets`",
    );

    let mut s = fixture();
    let t = s["types"][0].clone();
    s["types"].as_array_mut().unwrap().push(t);
    assert_error(&s, "$.types[4].name", "duplicate type `Filter`");

    let mut s = fixture();
    s["enums"][0]["values"][1]["value"] = json!("Round");
    assert_error(&s, "$.enums[0].values[1].value", "duplicate value `Round`");

    let mut s = fixture();
    s["errors"][1]["code"] = json!("FailedOperation");
    assert_error(
        &s,
        "$.errors[1].code",
        "duplicate error code `FailedOperation`",
    );
}

#[test]
fn bad_identifiers() {
    let mut s = fixture();
    s["actions"][0]["name"] = json!("describe-widgets");
    assert_error(
        &s,
        "$.actions[0].name",
        "`describe-widgets` is not a valid action name",
    );
    let mut s = fixture();
    s["actions"][0]["input"][1]["name"] = json!("Limit Size");
    assert_error(
        &s,
        "$.actions[0].input[1].name",
        "`Limit Size` is not a valid member name",
    );
    let mut s = fixture();
    s["enums"][0]["values"][2] = json!({"value": "", "doc": "no usable variant name"});
    assert_error(&s, "$.enums[0].values[2].name", "set \"name\"");
    let mut s = fixture();
    s["errors"][0]["code"] = json!("Failed Operation");
    assert_error(&s, "$.errors[0].code", "not a valid error code");
}

#[test]
fn names_that_collide_in_rust() {
    let mut s = fixture();
    s["actions"][0]["input"][1]["name"] = json!("OFFSET");
    assert_error(
        &s,
        "$.actions[0].input[1].name",
        "both become the Rust field `offset`",
    );
    let mut s = fixture();
    s["types"][0]["name"] = json!("CreateWidgetRequest");
    assert_error(
        &s,
        "$.actions[1]",
        "`CreateWidgetRequest` would be generated twice",
    );
    let mut s = fixture();
    s["enums"][0]["values"][1]["value"] = json!("round");
    assert_error(
        &s,
        "$.enums[0].values[1].value",
        "both become the variant `Round`",
    );
}

#[test]
fn error_code_not_in_the_tables() {
    let mut s = fixture();
    s["actions"][1]["errors"] = json!(["FailedOperation", "FailedOperation.Nope"]);
    assert_error(&s, "$.actions[1].errors[1]", "action `CreateWidget`: error code `FailedOperation.Nope` is not in `errors` or `common_errors`");
}

#[test]
fn enum_references_and_shapes() {
    let mut s = fixture();
    s["actions"][1]["input"][0]["enum"] = json!("WidgetKinds");
    assert_error(
        &s,
        "$.actions[1].input[0].enum",
        "unknown enum `WidgetKinds`",
    );
    let mut s = fixture();
    s["actions"][0]["input"][0]["enum"] = json!("WidgetKind");
    assert_error(
        &s,
        "$.actions[0].input[0].enum",
        "needs a string or list of strings, not `int64`",
    );
}

#[test]
fn structural_rules() {
    let mut s = fixture();
    s["actions"][1]["output"][0]["required"] = json!(true);
    assert_error(
        &s,
        "$.actions[1].output[0].required",
        "applies to inputs only",
    );
    let mut s = fixture();
    s["actions"][0]["output"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "RequestId", "type": "string", "doc": "x"}));
    assert_error(
        &s,
        "$.actions[0].output[2].name",
        "implied on every response",
    );
    let mut s = fixture();
    s["actions"][0]["rate_limit"] = json!(0);
    assert_error(&s, "$.actions[0].rate_limit", "at least 1");
    let mut s = fixture();
    s["actions"][1]["input"][0]["sites"] = json!(["cn"]);
    assert_error(
        &s,
        "$.actions[1].input[0].sites",
        "subset of its owner's sites",
    );
    let mut s = fixture();
    s["types"][1]["members"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "Inner", "type": "Shape", "doc": "x"}));
    assert_error(&s, "$.types[1]", "contains itself");
    let mut s = fixture();
    s["actions"][0]["doc"] = json!("  ");
    assert_error(&s, "$.actions[0].doc", "has no doc string");
}

#[test]
fn shape_errors_name_the_path() {
    let mut s = fixture();
    s["actions"][0]["retry_safe"] = json!("yes");
    assert_error(&s, "$.actions[0].retry_safe", "expected a boolean");
    let mut s = fixture();
    s["actions"][0]["input"][0]["requird"] = json!(true);
    assert_error(&s, "$.actions[0].input[0]", "unknown field `requird`");
    let mut s = fixture();
    s["actions"][0].as_object_mut().unwrap().remove("sites");
    assert_error(&s, "$.actions[0]", "missing field `sites`");
}

#[test]
fn malformed_json_gives_line_and_column() {
    let errs = car_spec::parse("{\n  \"service\": {,\n}").unwrap_err();
    let text = errs[0].to_string();
    assert!(text.contains("line 2 column"), "{text}");
}

#[test]
fn many_mistakes_are_all_reported_at_once() {
    let mut s = fixture();
    s["actions"][0]["input"][1]["type"] = json!("nope");
    s["actions"][1]["errors"] = json!(["Nope"]);
    assert!(errors_of(&s).len() >= 2);
}

#[test]
fn paginator_members_must_exist_with_the_right_types() {
    let mut s = fixture();
    s["actions"][0]["paginator"] = json!({"offset": "Ofset", "limit": "Limit", "total": "Total", "items": [{"member": "Widgets", "variant": "Widget"}]});
    assert_error(
        &s,
        "$.actions[0].paginator.offset",
        "action `DescribeWidgets`: paginator offset `Ofset` is not an input member",
    );
    // The fixture's Limit and Total are uint64; paging works in int64, as CAR's does.
    assert_error(
        &s,
        "$.actions[0].paginator.limit",
        "paginator limit `Limit` must be an int64 input member",
    );
    assert_error(
        &s,
        "$.actions[0].paginator.total",
        "paginator total `Total` must be an int64 output member",
    );
    assert_error(
        &s,
        "$.actions[0].paginator.items[0].variant",
        "with one, none",
    );
}

#[test]
fn waiters_name_real_actions_members_and_states() {
    let mut s = fixture();
    s["waiters"] = json!([
        {"name": "WidgetGone", "doc": "x", "action": "DescribeWidget", "list": "Widgets", "key": "WidgetId", "state": "Kind", "success": [], "failure": [], "absent": "success"},
        {"name": "WidgetRound", "doc": "x", "action": "DescribeWidgets", "list": "Widgets", "key": "WidgetId", "state": "Kind", "success": ["Oval"], "failure": [], "absent": "pending"},
        {"name": "WidgetNever", "doc": "x", "action": "DescribeWidgets", "list": "Total", "key": "WidgetId", "state": "Kind", "success": ["Round"], "failure": [], "absent": "pending"},
        {"name": "WidgetForever", "doc": "x", "action": "DescribeWidgets", "list": "Widgets", "key": "WidgetId", "state": "Kind", "success": [], "failure": [], "absent": "pending"}
    ]);
    assert_error(
        &s,
        "$.waiters[0].action",
        "waiter `WidgetGone`: unknown action `DescribeWidget`",
    );
    assert_error(
        &s,
        "$.waiters[1].success[0]",
        "`Oval` is not a value of enum `WidgetKind`",
    );
    assert_error(
        &s,
        "$.waiters[2].list",
        "`Total` is not an output member of `DescribeWidgets` holding a list",
    );
    assert_error(
        &s,
        "$.waiters[3].success",
        "nothing would ever end the wait",
    );
}

#[test]
fn output_flags_belong_to_outputs_and_masking_to_strings() {
    let mut s = fixture();
    s["actions"][0]["input"][0]["output_required"] = json!(true);
    assert_error(
        &s,
        "$.actions[0].input[0].output_required",
        "`output_required` applies to response members and data types only",
    );
    let mut s = fixture();
    s["actions"][0]["output"][1]["masked"] = json!(true);
    assert_error(
        &s,
        "$.actions[0].output[1].masked",
        "`masked` is for string identifiers",
    );
    let mut s = fixture();
    s["types"][2]["members"][0]["name"] = json!("Extra");
    assert_error(
        &s,
        "$.types[2].members[0].name",
        "the Rust field `extra` holds members the spec does not know",
    );
}
