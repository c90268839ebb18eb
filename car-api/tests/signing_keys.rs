//! Keys of any length sign correctly: HMAC hashes a key longer than its 64-byte block
//! (RFC 2104), which the signer does itself rather than through a fallible constructor.

use car_api::signing::{sign_post_json, SigningParams};

#[test]
fn a_secret_key_longer_than_the_hmac_block_signs_as_python_hmac_does() {
    // "TC3" + this 71-character key is 74 bytes, over the 64-byte block. Expected value
    // computed independently with Python's hashlib/hmac following Tencent's published
    // TC3 steps, with the inputs of Tencent's own worked example (cvm, 1551113065).
    let key = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLEGu5t9xGARNpq86cd98joQYCN3EXAMPLElongkey";
    assert_eq!(key.len(), 71);
    let body = br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    let params = SigningParams::new(
        "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        key,
        "cvm",
        "cvm.tencentcloudapi.com",
        1_551_113_065,
    );
    let sig = sign_post_json(&params, body);
    assert_eq!(
        sig.signature(),
        "5228f0d6b89a8f6fa0ddff2a32cf74e3921d9623c4315879e9df869d6c2d2f06"
    );
}

#[test]
fn signature_debug_hides_the_signature_like_signed_request_does() {
    let params = SigningParams::new("AKIDsecretid", "key", "car", "car.tencentcloudapi.com", 1);
    let sig = sign_post_json(&params, b"{}");
    let shown = format!("{sig:?}");
    assert!(!shown.contains(sig.signature()), "{shown}");
    assert!(!shown.contains("secretid"), "{shown}");
    assert!(shown.contains("signature: \"** redacted **\""), "{shown}");
    assert!(shown.contains("1970-01-01/car/tc3_request"), "{shown}");
}
