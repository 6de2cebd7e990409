//! Turns a full object into the text of the YAML and describe views. Pure: the object, its
//! events and its children in, sanitised lines out.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::kube::resources::parse_time;
use crate::text::{human_duration, sanitized};

/// The object as YAML, with `metadata.managedFields` folded to one line.
pub fn yaml_lines(obj: &Value) -> Vec<String> {
    let mut obj = obj.clone();
    let folded = obj
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
        .and_then(|m| m.remove("managedFields"))
        .and_then(|mf| mf.as_array().map(Vec::len));
    let text = serde_saphyr::to_string(&obj).unwrap_or_else(|e| format!("# cannot show as YAML: {e}"));
    let mut lines: Vec<String> = text.lines().map(sanitized).collect();
    if let Some(n) = folded {
        let at = lines
            .iter()
            .position(|l| l.starts_with("metadata:"))
            .map_or(0, |i| i + 1);
        lines.insert(at, format!("  managedFields: … ({n} entries folded)"));
    }
    lines
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(*k))?.as_str()
}

fn age_of(t: Option<&str>, now: DateTime<Utc>) -> String {
    t.and_then(parse_time)
        .map_or_else(|| "—".to_string(), |t| human_duration(now - t))
}

fn map_lines(out: &mut Vec<String>, title: &str, map: Option<&Value>) {
    let entries: Vec<(String, String)> = map
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if entries.is_empty() {
        out.push(format!("{title:<14}<none>"));
        return;
    }
    for (i, (k, v)) in entries.iter().enumerate() {
        let label = if i == 0 { title } else { "" };
        let v = if v.len() > 120 {
            format!("{}…", v.chars().take(120).collect::<String>())
        } else {
            v.clone()
        };
        out.push(sanitized(&format!("{label:<14}{k}={v}")));
    }
}

/// A `kubectl describe`-like summary: identity, labels, status and conditions with ages,
/// owners, children and the events of the object (and of any child in `events`, whose message
/// then names it), newest last.
pub fn describe(obj: &Value, events: &[Value], children: &[Value], now: DateTime<Utc>) -> Vec<String> {
    let mut out = Vec::new();
    let meta = obj.get("metadata").cloned().unwrap_or(Value::Null);
    let field = |label: &str, value: &str| sanitized(&format!("{label:<14}{value}"));
    out.push(field("Name:", str_at(&meta, &["name"]).unwrap_or("")));
    if let Some(ns) = str_at(&meta, &["namespace"]) {
        out.push(field("Namespace:", ns));
    }
    out.push(field(
        "Kind:",
        &format!(
            "{} ({})",
            str_at(obj, &["kind"]).unwrap_or("?"),
            str_at(obj, &["apiVersion"]).unwrap_or("?")
        ),
    ));
    let created = str_at(&meta, &["creationTimestamp"]);
    out.push(field(
        "Created:",
        &format!("{} ({} ago)", created.unwrap_or("—"), age_of(created, now)),
    ));
    map_lines(&mut out, "Labels:", meta.get("labels"));
    map_lines(&mut out, "Annotations:", meta.get("annotations"));
    if let Some(owners) = meta.get("ownerReferences").and_then(Value::as_array) {
        for (i, o) in owners.iter().enumerate() {
            let label = if i == 0 { "Owned by:" } else { "" };
            out.push(field(
                label,
                &format!(
                    "{}/{}",
                    str_at(o, &["kind"]).unwrap_or("?"),
                    str_at(o, &["name"]).unwrap_or("?")
                ),
            ));
        }
    }

    let status = obj.get("status");
    out.push(String::new());
    out.push("Status".to_string());
    if let Some(status) = status.and_then(Value::as_object) {
        for key in [
            "phase",
            "progress",
            "message",
            "startedAt",
            "finishedAt",
            "url",
            "readyReplicas",
        ] {
            if let Some(v) = status.get(key) {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                out.push(field(&format!("  {key}:"), &text));
            }
        }
    } else {
        out.push("  (no status)".to_string());
    }

    if let Some(conditions) = status.and_then(|s| s.get("conditions")).and_then(Value::as_array) {
        out.push(String::new());
        out.push(format!("Conditions ({})", conditions.len()));
        out.push(format!(
            "  {:<26} {:<7} {:<8} {:<24} MESSAGE",
            "TYPE", "STATUS", "AGE", "REASON"
        ));
        for c in conditions {
            let when = str_at(c, &["lastTransitionTime"]).or_else(|| str_at(c, &["lastUpdateTime"]));
            out.push(sanitized(&format!(
                "  {:<26} {:<7} {:<8} {:<24} {}",
                str_at(c, &["type"]).unwrap_or(""),
                str_at(c, &["status"]).unwrap_or(""),
                age_of(when, now),
                str_at(c, &["reason"]).unwrap_or(""),
                str_at(c, &["message"]).unwrap_or(""),
            )));
        }
    }

    if !children.is_empty() {
        out.push(String::new());
        out.push(format!("Children ({})", children.len()));
        for c in children {
            out.push(sanitized(&format!(
                "  {}/{}  {}",
                str_at(c, &["kind"]).unwrap_or("Pod"),
                str_at(c, &["metadata", "name"]).unwrap_or("?"),
                str_at(c, &["status", "phase"]).unwrap_or(""),
            )));
        }
    }

    out.push(String::new());
    if events.is_empty() {
        out.push("Events: <none>".to_string());
    } else {
        let mut events: Vec<&Value> = events.iter().collect();
        let when = |e: &Value| {
            str_at(e, &["lastTimestamp"])
                .or_else(|| str_at(e, &["eventTime"]))
                .or_else(|| str_at(e, &["metadata", "creationTimestamp"]))
                .and_then(parse_time)
        };
        events.sort_by_key(|e| when(e));
        out.push(format!("Events ({})", events.len()));
        out.push(format!(
            "  {:<8} {:<22} {:<8} {:<24} MESSAGE",
            "TYPE", "REASON", "AGE", "FROM"
        ));
        let own_name = str_at(&meta, &["name"]).unwrap_or("");
        for e in events {
            let age = when(e).map_or_else(|| "—".to_string(), |t| human_duration(now - t));
            let about = match (
                str_at(e, &["involvedObject", "kind"]),
                str_at(e, &["involvedObject", "name"]),
            ) {
                (Some(kind), Some(name)) if name != own_name => {
                    format!("{}/{name}: ", kind.to_ascii_lowercase())
                }
                _ => String::new(),
            };
            let from = str_at(e, &["source", "component"])
                .or_else(|| str_at(e, &["reportingComponent"]))
                .unwrap_or("");
            out.push(sanitized(&format!(
                "  {:<8} {:<22} {:<8} {:<24} {about}{}",
                str_at(e, &["type"]).unwrap_or(""),
                str_at(e, &["reason"]).unwrap_or(""),
                age,
                from,
                str_at(e, &["message"]).unwrap_or(""),
            )));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        parse_time("2026-11-28T15:00:00Z").unwrap()
    }

    #[test]
    fn yaml_folds_managed_fields_and_neutralises_escapes() {
        let obj = serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p\u{1b}[2J", "managedFields": [{"manager": "a"}, {"manager": "b"}]},
        });
        let lines = yaml_lines(&obj);
        let text = lines.join("\n");
        assert!(text.contains("managedFields: … (2 entries folded)"), "{text}");
        assert!(!text.contains("manager: a"));
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
        assert!(text.contains("p\\e[2J"), "the escape is shown escaped: {text}");
    }

    #[test]
    fn describe_lists_conditions_with_age_and_events_in_order() {
        let obj = serde_json::json!({
            "apiVersion": "kubeflow.org/v1", "kind": "Notebook",
            "metadata": {"name": "nb", "namespace": "team", "creationTimestamp": "2026-11-28T14:00:00Z",
                          "labels": {"app": "nb"}, "ownerReferences": [{"kind": "Profile", "name": "team"}]},
            "status": {"readyReplicas": 0, "conditions": [
                {"type": "Ready", "status": "False", "reason": "ImagePullBackOff", "message": "Back-off pulling image",
                 "lastTransitionTime": "2026-11-28T14:55:00Z"}]}
        });
        let events = vec![
            serde_json::json!({"type": "Warning", "reason": "Failed", "message": "later", "lastTimestamp": "2026-11-28T14:59:00Z", "source": {"component": "kubelet"}}),
            serde_json::json!({"type": "Normal", "reason": "Scheduled", "message": "earlier", "lastTimestamp": "2026-11-28T14:50:00Z",
                "involvedObject": {"kind": "Notebook", "name": "nb"}}),
            serde_json::json!({"type": "Warning", "reason": "BackOff", "message": "Back-off pulling image \"x\"",
                "lastTimestamp": "2026-11-28T14:58:00Z", "involvedObject": {"kind": "Pod", "name": "nb-0"}}),
        ];
        let text = describe(&obj, &events, &[], now()).join("\n");
        assert!(
            text.contains("Created:      2026-11-28T14:00:00Z (60m ago)"),
            "{text}"
        );
        assert!(
            text.contains("ImagePullBackOff") && text.contains(" 5m "),
            "{text}"
        );
        assert!(text.contains("Owned by:     Profile/team"), "{text}");
        let earlier = text.find("earlier").unwrap();
        let later = text.find("later").unwrap();
        assert!(earlier < later, "events are oldest first");
        assert!(
            text.contains("pod/nb-0: Back-off pulling image"),
            "a child's event names the child: {text}"
        );
        assert!(!text.contains("notebook/nb:"), "the object's own do not: {text}");
    }
}
