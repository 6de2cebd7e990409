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

    if str_at(obj, &["kind"]) == Some("Pod") {
        pod_sections(&mut out, obj, now);
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

/// A container state as `kubectl describe pod` says it: `Running (since 5m)`,
/// `Waiting: CrashLoopBackOff`, `Terminated: OOMKilled (exit code 137, 2m ago)`.
fn container_state(state: Option<&Value>, now: DateTime<Utc>) -> Option<String> {
    let state = state?.as_object()?;
    let (which, s) = state.iter().next()?;
    let reason = s.get("reason").and_then(Value::as_str);
    Some(match which.as_str() {
        "running" => format!("Running (since {} ago)", age_of(str_at(s, &["startedAt"]), now)),
        "waiting" => format!("Waiting: {}", reason.unwrap_or("")),
        "terminated" => format!(
            "Terminated: {} (exit code {}, {} ago)",
            reason.unwrap_or(""),
            s.get("exitCode").and_then(Value::as_i64).unwrap_or(0),
            age_of(str_at(s, &["finishedAt"]), now)
        ),
        other => other.to_string(),
    })
}

fn quantities(v: Option<&Value>) -> String {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// A pod's node, IP, QoS, containers (image, state, last state, exit code, restarts, ready,
/// resources) and volumes.
fn pod_sections(out: &mut Vec<String>, pod: &Value, now: DateTime<Utc>) {
    let field = |label: &str, value: &str| sanitized(&format!("{label:<14}{value}"));
    out.push(String::new());
    for (label, path) in [
        ("Node:", &["spec", "nodeName"][..]),
        ("IP:", &["status", "podIP"][..]),
        ("QoS Class:", &["status", "qosClass"][..]),
        ("Service acct:", &["spec", "serviceAccountName"][..]),
    ] {
        if let Some(v) = str_at(pod, path) {
            out.push(field(label, v));
        }
    }
    let statuses = |key: &str| -> Vec<Value> {
        pod.pointer(&format!("/status/{key}"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for (title, spec_key, status_key) in [
        ("Init Containers", "initContainers", "initContainerStatuses"),
        ("Containers", "containers", "containerStatuses"),
    ] {
        let Some(containers) = pod
            .pointer(&format!("/spec/{spec_key}"))
            .and_then(Value::as_array)
            .filter(|c| !c.is_empty())
        else {
            continue;
        };
        let statuses = statuses(status_key);
        out.push(String::new());
        out.push(format!("{title} ({})", containers.len()));
        for c in containers {
            let name = str_at(c, &["name"]).unwrap_or("?");
            let status = statuses.iter().find(|s| str_at(s, &["name"]) == Some(name));
            out.push(sanitized(&format!("  {name}:")));
            let line = |label: &str, value: &str| sanitized(&format!("    {label:<14}{value}"));
            out.push(line("Image:", str_at(c, &["image"]).unwrap_or("")));
            if let Some(state) = container_state(status.and_then(|s| s.get("state")), now) {
                out.push(line("State:", &state));
            }
            if let Some(last) = container_state(status.and_then(|s| s.get("lastState")), now) {
                out.push(line("Last State:", &last));
            }
            if let Some(s) = status {
                out.push(line(
                    "Ready:",
                    &s.get("ready")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                        .to_string(),
                ));
                out.push(line(
                    "Restarts:",
                    &s.get("restartCount")
                        .and_then(Value::as_i64)
                        .unwrap_or(0)
                        .to_string(),
                ));
            }
            let requests = quantities(c.pointer("/resources/requests"));
            if !requests.is_empty() {
                out.push(line("Requests:", &requests));
            }
            let limits = quantities(c.pointer("/resources/limits"));
            if !limits.is_empty() {
                out.push(line("Limits:", &limits));
            }
            if let Some(ports) = c.get("ports").and_then(Value::as_array).filter(|p| !p.is_empty()) {
                let ports: Vec<String> = ports
                    .iter()
                    .map(|p| {
                        format!(
                            "{}/{}",
                            p.get("containerPort").and_then(Value::as_i64).unwrap_or(0),
                            str_at(p, &["protocol"]).unwrap_or("TCP")
                        )
                    })
                    .collect();
                out.push(line("Ports:", &ports.join(", ")));
            }
        }
    }
    if let Some(volumes) = pod.pointer("/spec/volumes").and_then(Value::as_array) {
        out.push(String::new());
        out.push(format!("Volumes ({})", volumes.len()));
        for v in volumes {
            let name = str_at(v, &["name"]).unwrap_or("?");
            let source = v
                .as_object()
                .and_then(|o| o.iter().find(|(k, _)| k.as_str() != "name"))
                .map(|(k, s)| {
                    let detail = str_at(s, &["claimName"])
                        .or_else(|| str_at(s, &["name"]))
                        .or_else(|| str_at(s, &["secretName"]))
                        .or_else(|| str_at(s, &["path"]))
                        .unwrap_or("");
                    if detail.is_empty() {
                        k.clone()
                    } else {
                        format!("{k} {detail}")
                    }
                })
                .unwrap_or_default();
            out.push(sanitized(&format!("  {name:<24}{source}")));
        }
    }
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
    fn a_pod_is_described_with_its_containers_and_volumes() {
        let pod = serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "train-0", "namespace": "team"},
            "spec": {"nodeName": "gpu-1",
                "initContainers": [{"name": "init", "image": "busybox"}],
                "containers": [{"name": "main", "image": "pytorch:2.4",
                    "resources": {"limits": {"nvidia.com/gpu": "1", "memory": "8Gi"}},
                    "ports": [{"containerPort": 8080}]}],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data-pvc"}},
                            {"name": "scratch", "emptyDir": {}}]},
            "status": {"podIP": "10.0.0.1",
                "initContainerStatuses": [{"name": "init", "ready": true, "restartCount": 0,
                    "state": {"terminated": {"reason": "Completed", "exitCode": 0, "finishedAt": "2026-11-28T14:50:00Z"}}}],
                "containerStatuses": [{"name": "main", "ready": false, "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137, "finishedAt": "2026-11-28T14:58:00Z"}}}]}
        });
        let text = describe(&pod, &[], &[], now()).join("\n");
        for want in [
            "Node:         gpu-1",
            "Init Containers (1)",
            "State:        Terminated: Completed (exit code 0, 10m ago)",
            "Image:        pytorch:2.4",
            "State:        Waiting: CrashLoopBackOff",
            "Last State:   Terminated: OOMKilled (exit code 137, 2m ago)",
            "Restarts:     4",
            "Limits:       memory=8Gi, nvidia.com/gpu=1",
            "Ports:        8080/TCP",
            "data                    persistentVolumeClaim data-pvc",
            "scratch                 emptyDir",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
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
