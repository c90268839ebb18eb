//! The XML bodies COS answers with (reference §3, §4), read with serde; elements not
//! listed here are ignored.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ErrorBody {
    pub(crate) code: String,
    #[serde(default)]
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) request_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InitiateResult {
    pub(crate) upload_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PartEntry {
    pub(crate) part_number: u32,
    #[serde(rename = "ETag")]
    pub(crate) etag: String,
    pub(crate) size: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListPartsResult {
    #[serde(rename = "Part", default)]
    pub(crate) parts: Vec<PartEntry>,
    #[serde(default)]
    pub(crate) is_truncated: Option<String>,
    #[serde(default)]
    pub(crate) next_part_number_marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UploadEntry {
    pub(crate) key: String,
    pub(crate) upload_id: String,
    #[serde(default)]
    pub(crate) initiated: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListUploadsResult {
    #[serde(rename = "Upload", default)]
    pub(crate) uploads: Vec<UploadEntry>,
    #[serde(default)]
    pub(crate) is_truncated: Option<String>,
    #[serde(default)]
    pub(crate) next_key_marker: Option<String>,
    #[serde(default)]
    pub(crate) next_upload_id_marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CompleteResult {
    #[serde(rename = "ETag", default)]
    pub(crate) etag: Option<String>,
}

/// Parses `text`; Complete may start with keep-alive whitespace before `<?xml` (§3.8).
pub(crate) fn parse<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, String> {
    quick_xml::de::from_str(text.trim_start()).map_err(|e| e.to_string())
}

/// The Complete request body, ETags escaped (`&quot;`), parts in ascending order.
pub(crate) fn complete_body(parts: &[(u32, String)]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><CompleteMultipartUpload>");
    for (n, etag) in parts {
        s.push_str("<Part><PartNumber>");
        s.push_str(&n.to_string());
        s.push_str("</PartNumber><ETag>");
        s.push_str(&quick_xml::escape::escape(etag.as_str()));
        s.push_str("</ETag></Part>");
    }
    s.push_str("</CompleteMultipartUpload>");
    s
}

/// Whether a listing says more pages follow (COS spells the end exactly `false`).
pub(crate) fn truncated(flag: &Option<String>) -> bool {
    flag.as_deref().is_some_and(|f| f.trim() == "true")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error shape of reference §4.1.
    #[test]
    fn an_error_body_gives_code_message_and_request_id() {
        let e: ErrorBody = parse(
            "<?xml version='1.0' encoding='utf-8' ?>\n<Error><Code>NoSuchUpload</Code>\
             <Message>The specified upload does not exist.</Message><Resource>x</Resource>\
             <RequestId>NjQ1</RequestId><TraceId>t</TraceId></Error>",
        )
        .unwrap();
        assert_eq!(e.code, "NoSuchUpload");
        assert_eq!(e.request_id.as_deref(), Some("NjQ1"));
    }

    /// §3.8: a 200 Complete answer may begin with keep-alive spaces.
    #[test]
    fn a_complete_answer_after_keep_alive_whitespace_parses() {
        let r: CompleteResult = parse(
            "   \n  <?xml version=\"1.0\"?><CompleteMultipartUploadResult><Location>l</Location>\
             <Bucket>b</Bucket><Key>k</Key><ETag>&quot;abc-2&quot;</ETag></CompleteMultipartUploadResult>",
        )
        .unwrap();
        assert_eq!(r.etag.as_deref(), Some("\"abc-2\""));
    }

    /// The body cos-python-sdk-v5 sends (reference §3.8, captured).
    #[test]
    fn the_complete_body_is_the_sdks() {
        assert_eq!(
            complete_body(&[(1, "\"e1\"".into())]),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part></CompleteMultipartUpload>"
        );
    }
}
