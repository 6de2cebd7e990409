//! Objects the embedded cluster writes validate against the real CRD schemas in
//! ../shared/fixtures/crds: types, required fields, enums, and no fields the schema would prune.
//! Skipped (loudly) where that folder is absent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/sim.rs"]
mod simsupport;

use std::path::Path;

use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use serde_json::Value;

/// Checks `v` against an OpenAPI v3 structural schema; appends problems with their paths.
fn check(schema: &Value, v: &Value, path: &str, out: &mut Vec<String>) {
    if v.is_null() && schema.get("nullable").and_then(Value::as_bool) == Some(true) {
        return;
    }
    if schema.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true) {
        if !(v.is_string() || v.is_i64() || v.is_u64()) {
            out.push(format!("{path}: expected int or string, got {v}"));
        }
        return;
    }
    let ty = schema.get("type").and_then(Value::as_str).unwrap_or("");
    let ok = match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        _ => true,
    };
    if !ok {
        out.push(format!("{path}: expected {ty}, got {}", short(v)));
        return;
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(v)
    {
        out.push(format!(
            "{path}: {} is not one of {}",
            short(v),
            Value::Array(e.clone())
        ));
    }
    match v {
        Value::Object(m) => {
            if let Some(req) = schema.get("required").and_then(Value::as_array) {
                for r in req.iter().filter_map(Value::as_str) {
                    if !m.contains_key(r) {
                        out.push(format!("{path}: required field {r:?} missing"));
                    }
                }
            }
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            let preserve = schema
                .get("x-kubernetes-preserve-unknown-fields")
                .and_then(Value::as_bool)
                == Some(true);
            for (k, child) in m {
                let p = format!("{path}.{k}");
                if let Some(s) = props.and_then(|ps| ps.get(k)) {
                    check(s, child, &p, out);
                } else if let Some(s) = additional.filter(|a| a.is_object()) {
                    check(s, child, &p, out);
                } else if additional.and_then(Value::as_bool) == Some(true) || preserve {
                    // Kept as is.
                } else if props.is_some() || additional.is_some() {
                    out.push(format!("{p}: not in the schema (the apiserver would prune it)"));
                }
            }
        }
        Value::Array(a) => {
            if let Some(items) = schema.get("items") {
                for (i, child) in a.iter().enumerate() {
                    check(items, child, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!("{}…", &s[..60])
    } else {
        s
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_objects_validate_against_the_real_crds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/crds");
    if !dir.is_dir() {
        eprintln!("SKIPPED: {} is absent; CRD validation did not run", dir.display());
        return;
    }
    let h = simsupport::start().await;
    let c = simsupport::client(&h);
    // Let controllers run a couple of ticks (live objects included).
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let mut problems = Vec::new();
    let mut checked = 0usize;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
    {
        let text = std::fs::read_to_string(f).unwrap();
        let crd: Value = serde_saphyr::from_str(&text).unwrap();
        let group = crd["spec"]["group"].as_str().unwrap().to_string();
        let kind = crd["spec"]["names"]["kind"].as_str().unwrap().to_string();
        let plural = crd["spec"]["names"]["plural"].as_str().unwrap().to_string();
        let versions = crd["spec"]["versions"].as_array().unwrap();
        for v in versions.iter().filter(|v| v["served"] == true) {
            let version = v["name"].as_str().unwrap();
            let ar = ApiResource {
                group: group.clone(),
                version: version.into(),
                api_version: format!("{group}/{version}"),
                kind: kind.clone(),
                plural: plural.clone(),
            };
            let api: Api<DynamicObject> = Api::all_with(c.clone(), &ar);
            let list = match api.list(&ListParams::default()).await {
                Ok(l) => l,
                Err(e) => {
                    problems.push(format!("{plural}.{group}/{version}: not served: {e}"));
                    continue;
                }
            };
            let schema = &v["schema"]["openAPIV3Schema"];
            for obj in list.items {
                let mut value = serde_json::to_value(&obj).unwrap();
                // metadata is validated by the apiserver itself, not the CRD schema.
                if let Some(m) = value.as_object_mut() {
                    m.remove("metadata");
                }
                let name = format!(
                    "{kind} {}/{}",
                    obj.metadata.namespace.clone().unwrap_or_default(),
                    obj.metadata.name.clone().unwrap_or_default()
                );
                let mut out = Vec::new();
                let mut schema = schema.clone();
                if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
                    props.remove("metadata");
                }
                if let Some(req) = schema.get_mut("required").and_then(Value::as_array_mut) {
                    req.retain(|r| r != "metadata");
                }
                check(&schema, &value, "", &mut out);
                problems.extend(out.into_iter().map(|p| format!("{name} ({version}): {p}")));
                checked += 1;
            }
        }
    }
    eprintln!("validated {checked} objects against {} CRDs", files.len());
    assert!(checked > 50, "only {checked} objects checked");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    h.shutdown().await;
}
