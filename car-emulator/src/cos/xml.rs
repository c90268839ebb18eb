//! The XML documents COS exchanges: result bodies out (element names exactly as COS's
//! pages spell them, no namespace, lowercase `true`/`false`) and the Complete request in.

use serde::{Deserialize, Serialize};

use super::errors::{Code, CosError};

const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// `value` as a document whose root element is `root`.
pub fn document<T: Serialize>(root: &str, value: &T) -> Result<String, CosError> {
    let mut out = String::from(DECLARATION);
    // Full escaping (quotes too), as COS writes ETags: `&quot;…&quot;`.
    let mut serializer = quick_xml::se::Serializer::with_root(&mut out, Some(root))
        .map_err(|e| CosError::internal("cannot write an XML answer", e))?;
    serializer.set_quote_level(quick_xml::se::QuoteLevel::Full);
    value
        .serialize(serializer)
        .map_err(|e| CosError::internal("cannot write an XML answer", e))?;
    Ok(out)
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    resource: &'a str,
    request_id: &'a str,
    trace_id: &'a str,
}

/// An `<Error>` body; every field non-empty, as the SDK's parser requires.
pub fn error_document(code: &str, message: &str, resource: &str, request_id: &str) -> String {
    let message = if message.is_empty() { code } else { message };
    let resource = if resource.is_empty() { "/" } else { resource };
    let body = ErrorBody {
        code,
        message,
        resource,
        request_id,
        trace_id: request_id,
    };
    // Plain strings always serialise; fall back to a fixed body rather than panic.
    document("Error", &body).unwrap_or_else(|_| {
        format!("{DECLARATION}<Error><Code>{code}</Code><Message>error</Message><Resource>/</Resource><RequestId>{request_id}</RequestId></Error>")
    })
}

/// `Initiator` and `Owner` in listings.
#[derive(Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct Principal {
    /// The CAM identity.
    #[serde(rename = "ID")]
    pub id: String,
    /// Its display name.
    pub display_name: String,
}

/// `InitiateMultipartUploadResult`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitiateResult<'a> {
    /// The bucket, with its APPID.
    pub bucket: &'a str,
    /// The object key.
    pub key: &'a str,
    /// The new upload's ID.
    pub upload_id: &'a str,
}

/// `CompleteMultipartUploadResult`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompleteResult<'a> {
    /// `<bucket>.cos.<region>.myqcloud.com/<key>`.
    pub location: &'a str,
    /// The bucket.
    pub bucket: &'a str,
    /// The object key.
    pub key: &'a str,
    /// The object's ETag, quoted.
    #[serde(rename = "ETag")]
    pub etag: &'a str,
}

/// One `Part` of `ListPartsResult`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListedPart {
    /// Its number.
    pub part_number: u32,
    /// ISO 8601 upload time.
    pub last_modified: String,
    /// The ETag Upload Part returned.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// Its size in bytes.
    pub size: u64,
}

/// `ListPartsResult`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPartsResult {
    /// The bucket.
    pub bucket: String,
    /// `url` when asked for, else empty (COS spells this one with a lowercase `t`).
    #[serde(rename = "Encoding-type")]
    pub encoding_type: String,
    /// The object key (URL-encoded when asked for).
    pub key: String,
    /// The upload.
    pub upload_id: String,
    /// Who started the upload.
    pub initiator: Principal,
    /// Who owns the object.
    pub owner: Principal,
    /// The marker the listing started after.
    pub part_number_marker: u32,
    /// The parts, ascending.
    #[serde(rename = "Part")]
    pub parts: Vec<ListedPart>,
    /// The marker for the next page.
    pub next_part_number_marker: u32,
    /// Always `STANDARD`.
    pub storage_class: &'static str,
    /// The page size used.
    pub max_parts: u32,
    /// Whether more parts follow.
    pub is_truncated: bool,
}

/// One `Upload` of `ListMultipartUploadsResult`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListedUpload {
    /// Its key (URL-encoded when asked for).
    pub key: String,
    /// Its ID.
    pub upload_id: String,
    /// Always `STANDARD`.
    pub storage_class: &'static str,
    /// Who started it.
    pub initiator: Principal,
    /// Who owns it.
    pub owner: Principal,
    /// ISO 8601 start time.
    pub initiated: String,
}

/// One `CommonPrefixes` entry.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CommonPrefix {
    /// The shared prefix, delimiter included.
    pub prefix: String,
}

/// `ListMultipartUploadsResult`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUploadsResult {
    /// The bucket.
    pub bucket: String,
    /// `url` when asked for, else empty.
    #[serde(rename = "Encoding-Type")]
    pub encoding_type: String,
    /// The key marker given.
    pub key_marker: String,
    /// The upload ID marker given.
    pub upload_id_marker: String,
    /// Where the next page starts.
    pub next_key_marker: String,
    /// Where the next page starts within a key.
    pub next_upload_id_marker: String,
    /// The page size used.
    pub max_uploads: u32,
    /// Whether more entries follow.
    pub is_truncated: bool,
    /// The prefix given.
    pub prefix: String,
    /// The delimiter given.
    pub delimiter: String,
    /// The uploads, by key then age.
    #[serde(rename = "Upload")]
    pub uploads: Vec<ListedUpload>,
    /// The grouped prefixes.
    #[serde(rename = "CommonPrefixes")]
    pub common_prefixes: Vec<CommonPrefix>,
}

#[derive(Deserialize)]
struct CompleteRequest {
    #[serde(rename = "Part", default)]
    parts: Vec<CompletePartIn>,
}

#[derive(Deserialize)]
struct CompletePartIn {
    #[serde(rename = "PartNumber")]
    part_number: String,
    #[serde(rename = "ETag")]
    etag: String,
}

/// One part named by a Complete request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletePart {
    /// The part number.
    pub part_number: u32,
    /// The ETag, quotes removed (clients send it with or without them).
    pub etag: String,
}

/// Parses a `CompleteMultipartUpload` body (leading whitespace allowed).
pub fn parse_complete(body: &[u8]) -> Result<Vec<CompletePart>, CosError> {
    let malformed = |why: &str| {
        CosError::new(
            Code::MalformedXML,
            format!("The XML you provided was not well-formed or did not validate against our published schema: {why}"),
        )
    };
    let text = std::str::from_utf8(body).map_err(|_| malformed("the body is not UTF-8"))?;
    let request: CompleteRequest =
        quick_xml::de::from_str(text.trim_start()).map_err(|e| malformed(&e.to_string()))?;
    if request.parts.is_empty() {
        return Err(malformed("it lists no Part"));
    }
    request
        .parts
        .into_iter()
        .map(|p| {
            let part_number = p.part_number.trim().parse::<u32>().map_err(|_| {
                malformed(&format!(
                    "PartNumber `{}` is not a whole number",
                    p.part_number
                ))
            })?;
            Ok(CompletePart {
                part_number,
                etag: p.etag.trim().trim_matches('"').to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdks_complete_body_parses() {
        // Exactly what cos-python-sdk-v5 sends (reference §3.8), with two parts.
        let body = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>e2</ETag></Part></CompleteMultipartUpload>";
        let parts = parse_complete(body).unwrap();
        assert_eq!(
            parts,
            vec![
                CompletePart {
                    part_number: 1,
                    etag: "e1".into()
                },
                CompletePart {
                    part_number: 2,
                    etag: "e2".into()
                }
            ]
        );
        for bad in [&b"<CompleteMultipartUpload/>"[..], b"<nope", b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>"] {
            let err = parse_complete(bad).unwrap_err();
            assert_eq!(err.code, Code::MalformedXML);
        }
    }

    #[test]
    fn error_bodies_escape_and_never_leave_a_field_empty() {
        let doc = error_document("NoSuchKey", "", "b/<k>&\"", "rid");
        assert!(doc.starts_with("<?xml"), "{doc}");
        assert!(
            doc.contains("<Code>NoSuchKey</Code><Message>NoSuchKey</Message>"),
            "{doc}"
        );
        assert!(
            doc.contains("<Resource>b/&lt;k&gt;&amp;&quot;</Resource>"),
            "{doc}"
        );
        assert!(doc.contains("<RequestId>rid</RequestId>"), "{doc}");
    }

    #[test]
    fn listings_use_coss_element_names_and_lowercase_booleans() {
        let who = Principal {
            id: "1".into(),
            display_name: "1".into(),
        };
        let doc = document(
            "ListPartsResult",
            &ListPartsResult {
                bucket: "b".into(),
                encoding_type: "url".into(),
                key: "k".into(),
                upload_id: "u".into(),
                initiator: who.clone(),
                owner: who,
                part_number_marker: 0,
                parts: vec![ListedPart {
                    part_number: 1,
                    last_modified: "t".into(),
                    etag: "\"e\"".into(),
                    size: 5,
                }],
                next_part_number_marker: 1,
                storage_class: "STANDARD",
                max_parts: 1,
                is_truncated: true,
            },
        )
        .unwrap();
        assert!(doc.contains("<Encoding-type>url</Encoding-type>"), "{doc}");
        assert!(
            doc.contains("<Initiator><ID>1</ID><DisplayName>1</DisplayName></Initiator>"),
            "{doc}"
        );
        assert!(doc.contains("<Part><PartNumber>1</PartNumber><LastModified>t</LastModified><ETag>&quot;e&quot;</ETag><Size>5</Size></Part>"), "{doc}");
        assert!(doc.contains("<IsTruncated>true</IsTruncated>"), "{doc}");
        assert!(
            doc.contains("<NextPartNumberMarker>1</NextPartNumberMarker>"),
            "{doc}"
        );
    }
}
