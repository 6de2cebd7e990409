//! Request bodies in the Kubernetes protobuf encoding (`application/vnd.kubernetes.protobuf`), as
//! kubectl sends built-in kinds: the `k8s\0` envelope around a `runtime.Unknown` that carries the
//! object's own message. The kinds kubectl creates from its generators are decoded into the JSON
//! the rest of the server stores; any other body in this encoding is refused with 415.
//!
//! Field numbers are those of `k8s.io/api/core/v1/generated.proto` and
//! `k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto`.

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::sim::error::ApiError;

/// The magic bytes before every protobuf-encoded object.
const MAGIC: &[u8] = b"k8s\0";

/// One field as it is on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed(u64),
}

/// The fields of one message, in wire order.
fn fields(mut buf: &[u8]) -> Result<Vec<(u64, Wire<'_>)>, String> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let key = varint(&mut buf)?;
        let (field, kind) = (key >> 3, key & 7);
        let value = match kind {
            0 => Wire::Varint(varint(&mut buf)?),
            1 => Wire::Fixed(u64::from_le_bytes(
                take(&mut buf, 8)?.try_into().map_err(|_| "short fixed64")?,
            )),
            2 => {
                let len = usize::try_from(varint(&mut buf)?).map_err(|_| "length too large")?;
                Wire::Bytes(take(&mut buf, len)?)
            }
            5 => Wire::Fixed(u64::from(u32::from_le_bytes(
                take(&mut buf, 4)?.try_into().map_err(|_| "short fixed32")?,
            ))),
            other => return Err(format!("unsupported wire type {other}")),
        };
        out.push((field, value));
    }
    Ok(out)
}

fn varint(buf: &mut &[u8]) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = buf.split_first().ok_or("truncated varint")?;
        *buf = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint too long".into())
}

fn take<'a>(buf: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
    if buf.len() < n {
        return Err("truncated field".into());
    }
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Ok(head)
}

fn text(w: &Wire<'_>) -> Result<String, String> {
    match w {
        Wire::Bytes(b) => String::from_utf8(b.to_vec()).map_err(|_| "a string is not UTF-8".into()),
        _ => Err("expected a string".into()),
    }
}

fn bytes<'a>(w: &Wire<'a>) -> Result<&'a [u8], String> {
    match w {
        Wire::Bytes(b) => Ok(b),
        _ => Err("expected bytes".into()),
    }
}

fn number(w: &Wire<'_>) -> Result<i64, String> {
    match w {
        Wire::Varint(v) | Wire::Fixed(v) => Ok(*v as i64),
        Wire::Bytes(_) => Err("expected a number".into()),
    }
}

/// A `map<string, string>` entry (or `map<string, bytes>`, base64-encoded as JSON has it).
fn map_entry(w: &Wire<'_>, base64_values: bool) -> Result<(String, Value), String> {
    let mut key = String::new();
    let mut value = Value::String(String::new());
    for (f, v) in fields(bytes(w)?)? {
        match f {
            1 => key = text(&v)?,
            2 if base64_values => {
                value = json!(base64::engine::general_purpose::STANDARD.encode(bytes(&v)?));
            }
            2 => value = json!(text(&v)?),
            _ => {}
        }
    }
    Ok((key, value))
}

fn insert_entry(
    obj: &mut Map<String, Value>,
    field: &str,
    w: &Wire<'_>,
    base64_values: bool,
) -> Result<(), String> {
    let (k, v) = map_entry(w, base64_values)?;
    let map = obj.entry(field).or_insert_with(|| json!({}));
    if let Some(m) = map.as_object_mut() {
        m.insert(k, v);
    }
    Ok(())
}

/// `metav1.ObjectMeta`: the fields a client may set on create.
fn object_meta(buf: &[u8]) -> Result<Value, String> {
    let mut m = Map::new();
    // An empty string is protobuf's "not set": JSON leaves such a field out.
    let set = |m: &mut Map<String, Value>, k: &str, v: &Wire<'_>| -> Result<(), String> {
        let t = text(v)?;
        if !t.is_empty() {
            m.insert(k.into(), json!(t));
        }
        Ok(())
    };
    for (f, v) in fields(buf)? {
        match f {
            1 => set(&mut m, "name", &v)?,
            2 => set(&mut m, "generateName", &v)?,
            3 => set(&mut m, "namespace", &v)?,
            5 => set(&mut m, "uid", &v)?,
            6 => set(&mut m, "resourceVersion", &v)?,
            7 => _ = m.insert("generation".into(), json!(number(&v)?)),
            11 => insert_entry(&mut m, "labels", &v, false)?,
            12 => insert_entry(&mut m, "annotations", &v, false)?,
            14 => {
                let list = m.entry("finalizers").or_insert_with(|| json!([]));
                if let Some(l) = list.as_array_mut() {
                    l.push(json!(text(&v)?));
                }
            }
            _ => {}
        }
    }
    Ok(Value::Object(m))
}

/// Decodes one object of `kind` from its own message.
fn object(api_version: &str, kind: &str, raw: &[u8]) -> Result<Value, String> {
    let mut obj = Map::new();
    obj.insert("apiVersion".into(), json!(api_version));
    obj.insert("kind".into(), json!(kind));
    for (f, v) in fields(raw)? {
        match (kind, f) {
            (_, 1) => _ = obj.insert("metadata".into(), object_meta(bytes(&v)?)?),
            ("Namespace", 2) => {
                let mut finalizers = Vec::new();
                for (sf, sv) in fields(bytes(&v)?)? {
                    if sf == 1 {
                        finalizers.push(json!(text(&sv)?));
                    }
                }
                obj.insert("spec".into(), json!({"finalizers": finalizers}));
            }
            ("ConfigMap", 2) => insert_entry(&mut obj, "data", &v, false)?,
            ("ConfigMap", 3) => insert_entry(&mut obj, "binaryData", &v, true)?,
            ("ConfigMap", 4) | ("Secret", 5) => _ = obj.insert("immutable".into(), json!(number(&v)? != 0)),
            ("Secret", 2) => insert_entry(&mut obj, "data", &v, true)?,
            ("Secret", 3) if !text(&v)?.is_empty() => _ = obj.insert("type".into(), json!(text(&v)?)),
            ("Secret", 4) => insert_entry(&mut obj, "stringData", &v, false)?,
            _ => {}
        }
    }
    Ok(Value::Object(obj))
}

/// The kinds whose protobuf bodies this server decodes.
pub const DECODED: &[&str] = &["Namespace", "ConfigMap", "Secret"];

/// Decodes a protobuf request body into the object's JSON.
pub fn decode(body: &[u8]) -> Result<Value, ApiError> {
    let bad = |e: String| ApiError::bad_request(format!("the object provided is unrecognized: {e}"));
    let rest = body
        .strip_prefix(MAGIC)
        .ok_or_else(|| bad("the protobuf body does not start with the k8s envelope".into()))?;
    let (mut api_version, mut kind, mut raw, mut encoding) =
        (String::new(), String::new(), &[][..], String::new());
    for (f, v) in fields(rest).map_err(bad)? {
        match f {
            1 => {
                for (tf, tv) in fields(bytes(&v).map_err(bad)?).map_err(bad)? {
                    match tf {
                        1 => api_version = text(&tv).map_err(bad)?,
                        2 => kind = text(&tv).map_err(bad)?,
                        _ => {}
                    }
                }
            }
            2 => raw = bytes(&v).map_err(bad)?,
            3 => encoding = text(&v).map_err(bad)?,
            _ => {}
        }
    }
    if !encoding.is_empty() {
        return Err(bad(format!("content encoding {encoding:?} is not supported")));
    }
    if api_version != "v1" || !DECODED.contains(&kind.as_str()) {
        return Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (protobuf is decoded for {} only, got {api_version} {kind})",
                DECODED.join(", ")
            ),
        ));
    }
    object(&api_version, &kind, raw).map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![];
        put_varint(&mut out, (n << 3) | 2);
        put_varint(&mut out, payload.len() as u64);
        out.extend_from_slice(payload);
        out
    }

    fn put_varint(out: &mut Vec<u8>, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    fn entry(k: &str, v: &[u8]) -> Vec<u8> {
        [field(1, k.as_bytes()), field(2, v)].concat()
    }

    fn envelope(kind: &str, raw: &[u8]) -> Vec<u8> {
        let type_meta = [field(1, b"v1"), field(2, kind.as_bytes())].concat();
        [MAGIC.to_vec(), field(1, &type_meta), field(2, raw)].concat()
    }

    #[test]
    fn a_secret_as_kubectl_sends_it() {
        let meta = [field(1, b"s1"), field(11, &entry("app", b"demo"))].concat();
        let raw = [
            field(1, &meta),
            field(2, &entry("password", b"hunter2")),
            field(3, b"Opaque"),
            field(4, &entry("user", b"me")),
        ]
        .concat();
        let v = decode(&envelope("Secret", &raw)).unwrap();
        assert_eq!(v["kind"], "Secret");
        assert_eq!(v["metadata"]["name"], "s1");
        assert_eq!(v["metadata"]["labels"]["app"], "demo");
        assert_eq!(v["data"]["password"], "aHVudGVyMg==");
        assert_eq!(v["stringData"]["user"], "me");
        assert_eq!(v["type"], "Opaque");
    }

    #[test]
    fn other_kinds_and_broken_bodies_are_refused_with_the_right_codes() {
        let pod = envelope("Pod", &field(1, &field(1, b"p")));
        assert_eq!(decode(&pod).unwrap_err().code, 415);
        assert_eq!(decode(b"{\"kind\":\"Namespace\"}").unwrap_err().code, 400);
        let mut truncated = envelope("Namespace", &field(1, &field(1, b"team-x")));
        truncated.truncate(truncated.len() - 2);
        assert_eq!(decode(&truncated).unwrap_err().code, 400);
    }
}
