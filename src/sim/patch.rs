//! Patch formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and a strategic merge
//! patch close enough to what kubectl sends for core kinds.

use serde_json::{Map, Value};

use super::error::ApiError;

/// The patch formats of the `PATCH` verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Merge,
    Json,
    Strategic,
    Apply,
}

impl PatchKind {
    /// From a request's `Content-Type`.
    pub fn from_content_type(ct: &str) -> Option<Self> {
        match ct.split(';').next().unwrap_or("").trim() {
            "application/merge-patch+json" => Some(Self::Merge),
            "application/json-patch+json" => Some(Self::Json),
            "application/strategic-merge-patch+json" => Some(Self::Strategic),
            "application/apply-patch+yaml" => Some(Self::Apply),
            _ => None,
        }
    }
}

/// RFC 7386: objects merge recursively, `null` deletes, everything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Splits a JSON pointer into its parent pointer and the last (unescaped) token.
fn split_pointer(path: &str) -> Result<(&str, String), ApiError> {
    let idx = path
        .rfind('/')
        .ok_or_else(|| ApiError::bad_request(format!("invalid JSON pointer {path:?}")))?;
    Ok((&path[..idx], unescape(&path[idx + 1..])))
}

fn missing(path: &str) -> ApiError {
    ApiError::new(
        422,
        "Invalid",
        format!(
            "the server rejected our request due to an error in our request: doc is missing path: \"{path}\""
        ),
    )
}

fn remove_at(doc: &mut Value, path: &str) -> Result<Value, ApiError> {
    let (parent, last) = split_pointer(path)?;
    match doc.pointer_mut(parent) {
        Some(Value::Object(m)) => m.remove(&last).ok_or_else(|| missing(path)),
        Some(Value::Array(a)) => {
            let i: usize = last.parse().map_err(|_| missing(path))?;
            if i < a.len() {
                Ok(a.remove(i))
            } else {
                Err(missing(path))
            }
        }
        _ => Err(missing(path)),
    }
}

fn add_at(doc: &mut Value, path: &str, value: Value, replace: bool) -> Result<(), ApiError> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, last) = split_pointer(path)?;
    match doc.pointer_mut(parent) {
        Some(Value::Object(m)) => {
            if replace && !m.contains_key(&last) {
                return Err(missing(path));
            }
            m.insert(last, value);
            Ok(())
        }
        Some(Value::Array(a)) => {
            if last == "-" && !replace {
                a.push(value);
                return Ok(());
            }
            let i: usize = last.parse().map_err(|_| missing(path))?;
            match (replace, i.cmp(&a.len())) {
                (true, std::cmp::Ordering::Less) => {
                    if let Some(slot) = a.get_mut(i) {
                        *slot = value;
                    }
                    Ok(())
                }
                (false, std::cmp::Ordering::Less | std::cmp::Ordering::Equal) => {
                    a.insert(i, value);
                    Ok(())
                }
                _ => Err(missing(path)),
            }
        }
        _ => Err(missing(path)),
    }
}

/// RFC 6902 operations applied in order; any failure leaves `target` unchanged.
pub fn json_patch(target: &mut Value, ops: &Value) -> Result<(), ApiError> {
    let ops = ops
        .as_array()
        .ok_or_else(|| ApiError::bad_request("json patch must be an array of operations"))?;
    let mut doc = target.clone();
    for op in ops {
        let name = op.get("op").and_then(Value::as_str).unwrap_or("");
        let path = op.get("path").and_then(Value::as_str).unwrap_or("");
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| ApiError::bad_request(format!("missing value for {name} at {path}")))
        };
        let from = || {
            op.get("from")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad_request(format!("missing from for {name}")))
        };
        match name {
            "add" => add_at(&mut doc, path, value()?, false)?,
            "replace" => add_at(&mut doc, path, value()?, true)?,
            "remove" => {
                remove_at(&mut doc, path)?;
            }
            "move" => {
                let v = remove_at(&mut doc, from()?)?;
                add_at(&mut doc, path, v, false)?;
            }
            "copy" => {
                let v = doc.pointer(from()?).cloned().ok_or_else(|| missing(path))?;
                add_at(&mut doc, path, v, false)?;
            }
            "test" => {
                if doc.pointer(path) != Some(&value()?) {
                    return Err(ApiError::new(
                        422,
                        "Invalid",
                        format!(
                            "the server rejected our request due to an error in our request: testing value {path} failed"
                        ),
                    ));
                }
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unexpected kind of json patch operation: {other:?}"
                )));
            }
        }
    }
    *target = doc;
    Ok(())
}

/// The merge key of a list field in core kinds (`containers` merge by `name`, …).
fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "containerStatuses"
        | "initContainerStatuses" => "name",
        "ports" => "containerPort",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "conditions" => "type",
        "ownerReferences" => "uid",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        _ => return None,
    })
}

/// Strategic merge patch: like merge patch, but lists with a merge key merge element-wise and
/// `$patch`/`$setElementOrder`/`$deleteFromPrimitiveList`/`$retainKeys` directives are honoured.
pub fn strategic_merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut clean = p.clone();
        clean.remove("$patch");
        *target = Value::Object(clean);
        return;
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(t) = target else { return };
    if let Some(keep) = p.get("$retainKeys").and_then(Value::as_array) {
        t.retain(|k, _| keep.iter().any(|x| x.as_str() == Some(k)));
    }
    for (k, v) in p {
        if k.starts_with("$setElementOrder/") || k == "$retainKeys" || k == "$patch" {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Some(del)) = (t.get_mut(field), v.as_array()) {
                list.retain(|x| !del.contains(x));
            }
            continue;
        }
        if v.is_null() {
            t.remove(k);
            continue;
        }
        match (merge_key(k), v) {
            (Some(key), Value::Array(items)) => {
                let slot = t.entry(k.clone()).or_insert(Value::Array(Vec::new()));
                merge_keyed_list(slot, items, key);
            }
            (_, Value::Object(_)) => {
                let slot = t.entry(k.clone()).or_insert(Value::Null);
                strategic_merge(slot, v);
            }
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
}

fn merge_keyed_list(target: &mut Value, items: &[Value], key: &str) {
    if !target.is_array() {
        *target = Value::Array(Vec::new());
    }
    let Value::Array(list) = target else { return };
    for item in items {
        let id = item.get(key).cloned();
        let pos = id
            .as_ref()
            .and_then(|id| list.iter().position(|x| x.get(key) == Some(id)));
        let directive = item.get("$patch").and_then(Value::as_str);
        match (pos, directive) {
            (Some(i), Some("delete")) => {
                list.remove(i);
            }
            (None, Some("delete")) => {}
            (Some(i), _) => {
                if let Some(existing) = list.get_mut(i) {
                    strategic_merge(existing, item);
                }
            }
            (None, _) => {
                let mut fresh = Value::Null;
                strategic_merge(&mut fresh, item);
                list.push(fresh);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_rfc7386() {
        let mut doc = json!({"a":"b","c":{"d":"e","f":"g"}});
        merge_patch(&mut doc, &json!({"a":"z","c":{"f":null}}));
        assert_eq!(doc, json!({"a":"z","c":{"d":"e"}}));
        merge_patch(&mut doc, &json!({"list":[1,2]}));
        merge_patch(&mut doc, &json!({"list":[3]}));
        assert_eq!(doc["list"], json!([3]));
    }

    #[test]
    fn json_patch_ops() {
        let mut doc = json!({"spec":{"items":[1,2]},"x":1});
        let ops = json!([
            {"op":"add","path":"/spec/items/-","value":3},
            {"op":"replace","path":"/x","value":2},
            {"op":"remove","path":"/spec/items/0"},
            {"op":"copy","from":"/x","path":"/y"},
            {"op":"move","from":"/y","path":"/z"},
            {"op":"test","path":"/z","value":2},
            {"op":"add","path":"/metadata~1x","value":true}
        ]);
        assert!(json_patch(&mut doc, &ops).is_ok());
        assert_eq!(doc, json!({"spec":{"items":[2,3]},"x":2,"z":2,"metadata/x":true}));
        let before = doc.clone();
        let bad = json!([{"op":"replace","path":"/x","value":9},{"op":"remove","path":"/nope"}]);
        assert!(json_patch(&mut doc, &bad).is_err());
        assert_eq!(doc, before, "failed patch must not apply partially");
    }

    #[test]
    fn strategic_merge_merges_containers_by_name() {
        let mut pod = json!({"spec":{"containers":[
            {"name":"main","image":"a:1","env":[{"name":"X","value":"1"}]},
            {"name":"wait","image":"argoexec"}]}});
        let patch = json!({"spec":{
            "$setElementOrder/containers":[{"name":"main"},{"name":"wait"}],
            "containers":[{"name":"main","image":"a:2","env":[{"name":"Y","value":"2"}]},
                          {"name":"wait","$patch":"delete"}]}});
        strategic_merge(&mut pod, &patch);
        assert_eq!(
            pod,
            json!({"spec":{"containers":[{"name":"main","image":"a:2",
                "env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}]}]}})
        );
        let mut meta = json!({"labels":{"a":"1","b":"2"},"finalizers":["x","y"]});
        strategic_merge(
            &mut meta,
            &json!({"labels":{"a":null},"$deleteFromPrimitiveList/finalizers":["x"]}),
        );
        assert_eq!(meta, json!({"labels":{"b":"2"},"finalizers":["y"]}));
    }
}
