//! Argo `NodeStatus` records read leniently from JSON, and `status.compressedNodes` decoding.

use std::borrow::Cow;
use std::io::Read;

use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::model::{Artifact, GraphError, Io, Memoization, NodeType, Param, Phase};
use crate::text::sanitized;

/// gzip's magic bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// zstd's magic bytes.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// One entry of `status.nodes`, with the fields the graph uses.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawNode {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub node_type: NodeType,
    /// `templateRef.template` if present, else `templateName`.
    pub template: Option<String>,
    pub phase: Phase,
    pub message: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub boundary: Option<String>,
    pub children: Vec<String>,
    pub inputs: Io,
    pub outputs: Io,
    pub exit_code: Option<String>,
    pub memoization: Option<Memoization>,
    pub host_node: Option<String>,
}

/// A nodes map, borrowed from the object or decoded.
pub(crate) type Nodes<'a> = Cow<'a, Map<String, Value>>;

/// The nodes map of a Workflow's status: `status.nodes`, else decoded `status.compressedNodes`.
/// The flag says whether it came from `compressedNodes`.
pub(crate) fn node_map(status: Option<&Value>) -> Result<(Option<Nodes<'_>>, bool), GraphError> {
    let Some(status) = status else {
        return Ok((None, false));
    };
    match status.get("nodes") {
        Some(Value::Object(m)) if !m.is_empty() => return Ok((Some(Cow::Borrowed(m)), false)),
        Some(Value::Object(_)) | Some(Value::Null) | None => {}
        Some(_) => return Err(GraphError::NodesNotAMap),
    }
    match status.get("compressedNodes").and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => Ok((Some(Cow::Owned(decode_compressed(s)?)), true)),
        _ => Ok((None, false)),
    }
}

/// Decodes `status.compressedNodes`: base64 of a compressed JSON nodes map. Sniffs the
/// compression the way Argo's `DecompressContent` does.
pub fn decode_compressed(b64: &str) -> Result<Map<String, Value>, GraphError> {
    let cleaned: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(cleaned.as_bytes())?;
    if bytes.starts_with(&ZSTD_MAGIC) {
        return Err(GraphError::UnsupportedCompression("zstd"));
    }
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Err(GraphError::UnsupportedCompression("brotli"));
    }
    let mut json = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes.as_slice()).read_to_end(&mut json)?;
    match serde_json::from_slice::<Value>(&json)? {
        Value::Object(m) => Ok(m),
        _ => Err(GraphError::NodesNotAMap),
    }
}

/// Reads one node; `key` is its key in the map (the ID when `id` is missing).
pub(crate) fn parse_node(key: &str, v: &Value) -> RawNode {
    let text = |k: &str| str_field(v, k);
    let template = v
        .get("templateRef")
        .and_then(|r| r.get("template"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| text("templateName"));
    let name = text("name").unwrap_or_else(|| key.to_string());
    let display_name = text("displayName").unwrap_or_else(|| last_segment(&name).to_string());
    let outputs = v.get("outputs");
    RawNode {
        id: text("id").unwrap_or_else(|| key.to_string()),
        display_name: sanitized(&display_name),
        name,
        node_type: NodeType::from_argo(v.get("type").and_then(Value::as_str).unwrap_or("")),
        template,
        phase: Phase::from_argo(v.get("phase").and_then(Value::as_str).unwrap_or("")),
        message: text("message").map(|m| sanitized(&m)),
        started_at: time_field(v, "startedAt"),
        finished_at: time_field(v, "finishedAt"),
        boundary: text("boundaryID"),
        children: v
            .get("children")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default(),
        inputs: parse_io(v.get("inputs")),
        outputs: parse_io(outputs),
        exit_code: outputs
            .and_then(|o| o.get("exitCode"))
            .and_then(scalar)
            .map(|s| sanitized(&s)),
        memoization: v.get("memoizationStatus").map(parse_memoization),
        host_node: text("hostNodeName"),
    }
}

/// The part of an Argo node name after the last `.` outside brackets and parentheses.
pub(crate) fn last_segment(name: &str) -> &str {
    let mut depth = 0i32;
    let mut cut = 0;
    for (i, c) in name.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            '.' if depth == 0 => cut = i + 1,
            _ => {}
        }
    }
    &name[cut..]
}

/// A non-empty string field.
pub(crate) fn str_field(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A string, number or bool as text.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An RFC 3339 time field.
pub(crate) fn time_field(v: &Value, k: &str) -> Option<DateTime<Utc>> {
    let s = v.get(k)?.as_str()?;
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.to_utc())
}

fn parse_io(v: Option<&Value>) -> Io {
    let Some(v) = v else {
        return Io::default();
    };
    let list = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    };
    Io {
        parameters: list("parameters").iter().map(parse_param).collect(),
        artifacts: list("artifacts").iter().map(parse_artifact).collect(),
    }
}

fn parse_param(p: &Value) -> Param {
    let value = p
        .get("value")
        .and_then(scalar)
        .or_else(|| p.get("default").and_then(scalar));
    Param {
        name: sanitized(&str_field(p, "name").unwrap_or_default()),
        value: value.map(|s| sanitized(&s)),
    }
}

fn parse_artifact(a: &Value) -> Artifact {
    Artifact {
        name: sanitized(&str_field(a, "name").unwrap_or_default()),
        uri: artifact_uri(a).map(|s| sanitized(&s)),
    }
}

fn parse_memoization(m: &Value) -> Memoization {
    Memoization {
        hit: m.get("hit").and_then(Value::as_bool).unwrap_or(false),
        key: sanitized(&str_field(m, "key").unwrap_or_default()),
        cache_name: sanitized(&str_field(m, "cacheName").unwrap_or_default()),
    }
}

/// Where an artifact is stored, as a URI.
pub(crate) fn artifact_uri(a: &Value) -> Option<String> {
    let field = |loc: &Value, k: &str| str_field(loc, k);
    let bucket_key = |scheme: &str, loc: &Value, bucket: &str| {
        let key = field(loc, "key").unwrap_or_default();
        match field(loc, bucket) {
            Some(b) => format!("{scheme}://{b}/{}", key.trim_start_matches('/')),
            None => format!("{scheme}:{key}"),
        }
    };
    if let Some(loc) = a.get("s3") {
        return Some(bucket_key("s3", loc, "bucket"));
    }
    if let Some(loc) = a.get("gcs") {
        return Some(bucket_key("gs", loc, "bucket"));
    }
    if let Some(loc) = a.get("oss") {
        return Some(bucket_key("oss", loc, "bucket"));
    }
    if let Some(loc) = a.get("azure") {
        let blob = field(loc, "blob").unwrap_or_default();
        return Some(match field(loc, "container") {
            Some(c) => format!("azblob://{c}/{blob}"),
            None => format!("azblob:{blob}"),
        });
    }
    if let Some(loc) = a.get("hdfs") {
        return Some(format!(
            "hdfs://{}",
            field(loc, "path").unwrap_or_default().trim_start_matches('/')
        ));
    }
    if let Some(loc) = a.get("git") {
        let repo = field(loc, "repo").unwrap_or_default();
        return Some(match field(loc, "revision") {
            Some(r) => format!("{repo}@{r}"),
            None => repo,
        });
    }
    for k in ["http", "artifactory"] {
        if let Some(url) = a.get(k).and_then(|loc| field(loc, "url")) {
            return Some(url);
        }
    }
    if a.get("raw").is_some() {
        return Some("raw:".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn artifact_uris_read_like_urls() {
        let s3 = json!({"name": "a", "s3": {"bucket": "b", "key": "k/x.tgz"}});
        assert_eq!(artifact_uri(&s3).as_deref(), Some("s3://b/k/x.tgz"));
        let s3_default = json!({"name": "a", "s3": {"key": "k/x.tgz"}});
        assert_eq!(artifact_uri(&s3_default).as_deref(), Some("s3:k/x.tgz"));
        let gcs = json!({"gcs": {"bucket": "b", "key": "k"}});
        assert_eq!(artifact_uri(&gcs).as_deref(), Some("gs://b/k"));
        let http = json!({"http": {"url": "https://x/y"}});
        assert_eq!(artifact_uri(&http).as_deref(), Some("https://x/y"));
        let git = json!({"git": {"repo": "https://g/r.git", "revision": "v1"}});
        assert_eq!(artifact_uri(&git).as_deref(), Some("https://g/r.git@v1"));
        assert_eq!(artifact_uri(&json!({"name": "x"})), None);
    }

    #[test]
    fn last_segment_ignores_dots_inside_loop_values() {
        assert_eq!(last_segment("wf.root.train"), "train");
        assert_eq!(last_segment("wf.loop(0:1.5)"), "loop(0:1.5)");
        assert_eq!(last_segment("wf[0].fail(1)"), "fail(1)");
        assert_eq!(last_segment("wf"), "wf");
    }

    #[test]
    fn non_gzip_payloads_are_named() {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        assert!(matches!(
            decode_compressed(&b64(&[0x28, 0xb5, 0x2f, 0xfd, 0])),
            Err(GraphError::UnsupportedCompression("zstd"))
        ));
        assert!(matches!(
            decode_compressed("!!"),
            Err(GraphError::CompressedBase64(_))
        ));
    }
}
