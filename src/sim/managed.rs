//! `metadata.managedFields` as a real API server writes them: one entry per field manager (and
//! subresource), each with the set of fields it wrote in the `FieldsV1` format
//! (`f:spec` / `k:{"name":"main"}` / `v:"x"` / `.` keys). Every object the embedded cluster serves
//! carries them, so a client sees the bytes a real server would send.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::sim::store::{Part, timestamp};
use crate::sim::types::ResourceType;

/// Who writes an object: the field manager recorded for it. `None` stands for the embedded
/// cluster's own writers, named after the controller that owns the kind.
#[derive(Debug, Clone, Copy)]
pub struct Author<'a> {
    pub manager: Option<&'a str>,
    /// `Update`, or `Apply` for a server-side apply.
    pub operation: &'static str,
}

impl Default for Author<'_> {
    fn default() -> Self {
        Author {
            manager: None,
            operation: "Update",
        }
    }
}

impl<'a> Author<'a> {
    pub fn new(manager: &'a str) -> Self {
        Author {
            manager: Some(manager),
            operation: "Update",
        }
    }

    pub fn applying(manager: &'a str) -> Self {
        Author {
            manager: Some(manager),
            operation: "Apply",
        }
    }
}

/// The field manager a request writes as, as the API server decides it: the `fieldManager`
/// parameter, else the user agent up to its first `/` (at most 128 characters).
pub fn request_manager<'a>(field_manager: Option<&'a str>, user_agent: Option<&'a str>) -> &'a str {
    if let Some(m) = field_manager.filter(|m| !m.is_empty()) {
        return m;
    }
    let agent = user_agent
        .and_then(|a| a.split('/').next())
        .filter(|a| !a.is_empty())
        .unwrap_or("unknown");
    match agent.char_indices().nth(128) {
        Some((i, _)) => &agent[..i],
        None => agent,
    }
}

/// The controller that writes a kind in a real installation.
fn controller_of(rt: &ResourceType, part: Part) -> &'static str {
    match (rt.group, rt.kind, part) {
        ("", "Pod", Part::Status) => "kubelet",
        ("", "Pod", _) => "workflow-controller",
        ("", "Event", _) => "kubelet",
        ("", _, _) => "kube-controller-manager",
        ("argoproj.io", _, _) => "workflow-controller",
        ("serving.kserve.io", _, _) => "manager",
        ("trainer.kubeflow.org", _, _) => "trainer-controller-manager",
        ("kubeflow.org", "Notebook" | "Profile" | "PodDefault", _) => "notebook-controller",
        ("kubeflow.org", "Experiment" | "Trial" | "Suggestion", _) => "katib-controller",
        ("kubeflow.org", _, _) => "training-operator",
        _ => "controller-manager",
    }
}

/// Metadata the server owns: never part of a manager's field set.
const SERVER_OWNED: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
    "generateName",
];

/// Records a write in `obj`'s managedFields: `previous` are the entries the stored object had;
/// the entry of this manager (and subresource) is replaced by one naming every field it wrote.
pub fn stamp(
    rt: &ResourceType,
    obj: &mut Value,
    previous: Option<&Value>,
    author: Author<'_>,
    part: Part,
    now: DateTime<Utc>,
) {
    let mut entries: Vec<Value> = previous.and_then(Value::as_array).cloned().unwrap_or_default();
    let writes_status_apart = rt.status_subresource && obj.get("status").is_some();
    let writes: Vec<(&str, Option<&str>, Value)> = match part {
        Part::Status => vec![(
            author.manager.unwrap_or(controller_of(rt, Part::Status)),
            Some("status"),
            status_set(obj),
        )],
        Part::Main => vec![(
            author.manager.unwrap_or(controller_of(rt, Part::Main)),
            None,
            main_set(obj, rt.status_subresource),
        )],
        // An internal writer: the owning controller writes the object, its status through the
        // status subresource where the kind has one.
        Part::All if writes_status_apart => {
            let mut w = vec![(controller_of(rt, Part::Status), Some("status"), status_set(obj))];
            if entries.is_empty() {
                w.push((
                    author.manager.unwrap_or(controller_of(rt, Part::Main)),
                    None,
                    main_set(obj, true),
                ));
            }
            w
        }
        Part::All => vec![(
            author.manager.unwrap_or(controller_of(rt, Part::Main)),
            None,
            main_set(obj, false),
        )],
    };
    let api_version = rt.api_version();
    for (manager, subresource, fields) in writes {
        let mut entry = json!({
            "manager": manager,
            "operation": author.operation,
            "apiVersion": api_version,
            "time": timestamp(now),
            "fieldsType": "FieldsV1",
            "fieldsV1": fields,
        });
        if let (Some(s), Some(o)) = (subresource, entry.as_object_mut()) {
            o.insert("subresource".into(), Value::String(s.into()));
        }
        let same = |e: &Value| {
            e.get("manager").and_then(Value::as_str) == Some(manager)
                && e.get("operation").and_then(Value::as_str) == Some(author.operation)
                && e.get("subresource").and_then(Value::as_str) == subresource
        };
        match entries.iter_mut().find(|e| same(e)) {
            Some(e) => *e = entry,
            None => entries.push(entry),
        }
    }
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("managedFields".into(), Value::Array(entries));
    }
}

/// The fields of a main-resource write: everything but server-owned metadata (and `status`
/// where it is a subresource).
fn main_set(obj: &Value, without_status: bool) -> Value {
    let mut set = Map::new();
    let Some(o) = obj.as_object() else {
        return Value::Object(set);
    };
    for (k, v) in o {
        match k.as_str() {
            "apiVersion" | "kind" => {}
            "status" if without_status => {}
            "metadata" => {
                let mut meta = Map::new();
                for (mk, mv) in v.as_object().into_iter().flatten() {
                    if !SERVER_OWNED.contains(&mk.as_str()) {
                        meta.insert(format!("f:{mk}"), fields(mk, mv));
                    }
                }
                if !meta.is_empty() {
                    set.insert("f:metadata".into(), Value::Object(meta));
                }
            }
            _ => {
                set.insert(format!("f:{k}"), fields(k, v));
            }
        }
    }
    Value::Object(set)
}

fn status_set(obj: &Value) -> Value {
    match obj.get("status") {
        Some(s) => json!({ "f:status": fields("status", s) }),
        None => json!({}),
    }
}

/// The FieldsV1 set of one value: a map names its members (and itself with `.`), a list of
/// objects with a `name` (or `uid`, `type`, `containerPort`) key names its members by that key,
/// a list of scalars by value; anything else is a leaf.
fn fields(name: &str, v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            let mut set = Map::new();
            set.insert(".".into(), json!({}));
            for (k, child) in o {
                set.insert(format!("f:{k}"), fields(k, child));
            }
            Value::Object(set)
        }
        Value::Array(items) if !items.is_empty() && name != "args" && name != "command" => {
            let mut set = Map::new();
            for item in items {
                let key = match item {
                    Value::Object(o) => ["name", "uid", "type", "containerPort", "key"]
                        .iter()
                        .find_map(|k| o.get(*k).map(|v| format!("k:{}", json!({ *k: v })))),
                    Value::String(_) | Value::Number(_) | Value::Bool(_) => Some(format!("v:{item}")),
                    _ => None,
                };
                let Some(key) = key else {
                    // An atomic list: owned as a whole.
                    return json!({});
                };
                let member = if item.is_object() {
                    fields("", item)
                } else {
                    json!({})
                };
                set.insert(key, member);
            }
            Value::Object(set)
        }
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::types;

    #[test]
    fn a_manager_entry_names_every_field_it_wrote_in_fields_v1() {
        let rt = types::pod_type();
        let mut pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "ns", "uid": "u", "labels": {"app": "x"}},
            "spec": {"containers": [{"name": "main", "image": "busybox", "args": ["a", "b"]}]},
            "status": {"phase": "Running"},
        });
        stamp(
            rt,
            &mut pod,
            None,
            Author::new("kubectl-create"),
            Part::Main,
            Utc::now(),
        );
        let entries = pod
            .pointer("/metadata/managedFields")
            .and_then(Value::as_array)
            .expect("entries");
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(e["manager"], "kubectl-create");
        assert_eq!(e["operation"], "Update");
        assert_eq!(e["fieldsType"], "FieldsV1");
        let f = &e["fieldsV1"];
        assert!(f.pointer("/f:metadata/f:labels/f:app").is_some(), "{f}");
        assert!(
            f.pointer("/f:metadata/f:uid").is_none(),
            "server-owned metadata is not a manager's"
        );
        assert!(
            f.pointer("/f:spec/f:containers/k:{\"name\":\"main\"}/f:image")
                .is_some(),
            "{f}"
        );
        assert_eq!(
            f.pointer("/f:spec/f:containers/k:{\"name\":\"main\"}/f:args"),
            Some(&json!({}))
        );
        assert!(f.get("f:status").is_none(), "pods' status is a subresource");

        // The kubelet then writes the status: a second entry, the first one kept.
        let previous = pod.pointer("/metadata/managedFields").cloned();
        stamp(
            rt,
            &mut pod,
            previous.as_ref(),
            Author::default(),
            Part::Status,
            Utc::now(),
        );
        let entries = pod
            .pointer("/metadata/managedFields")
            .and_then(Value::as_array)
            .expect("entries");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1]["manager"], "kubelet");
        assert_eq!(entries[1]["subresource"], "status");
        assert!(entries[1].pointer("/fieldsV1/f:status/f:phase").is_some());

        // The same manager writing again replaces its entry rather than adding one.
        let previous = pod.pointer("/metadata/managedFields").cloned();
        stamp(
            rt,
            &mut pod,
            previous.as_ref(),
            Author::default(),
            Part::Status,
            Utc::now(),
        );
        assert_eq!(
            pod.pointer("/metadata/managedFields")
                .and_then(Value::as_array)
                .map(Vec::len),
            Some(2)
        );
    }

    #[test]
    fn the_manager_comes_from_the_request_as_the_api_server_decides() {
        assert_eq!(
            request_manager(Some("kubectl-edit"), Some("kubectl/v1.31")),
            "kubectl-edit"
        );
        assert_eq!(request_manager(None, Some("kftui/0.1 (linux)")), "kftui");
        assert_eq!(request_manager(Some(""), None), "unknown");
    }
}
