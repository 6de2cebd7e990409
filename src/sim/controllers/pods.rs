//! Pods: the objects Argo creates for its pod nodes, and a tiny kubelet that starts (and, when
//! asked to, stops) pods created directly through the API.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::argo::{Node, Owner, Template, parse_time};
use crate::sim::logs::ERROR_ANNOTATION;
use crate::sim::rng::fnv32a;
use crate::sim::store::timestamp;

/// Annotation: a directly created pod's containers exit after this many seconds.
pub const RUN_SECONDS: &str = "sim.kftui.dev/run-seconds";
/// Annotation: the exit code they exit with (default 0).
pub const EXIT_CODE: &str = "sim.kftui.dev/exit-code";

const EXECUTOR_IMAGE: &str = "quay.io/argoproj/argoexec:v3.5.10";

/// Where a pod is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodState {
    Pending,
    Running {
        since: DateTime<Utc>,
    },
    Terminated {
        since: DateTime<Utc>,
        at: DateTime<Utc>,
        exit: i64,
    },
}

/// The (simulated) node a pod runs on.
pub fn host_for(id: &str) -> String {
    format!("kftui-sim-worker-{}", fnv32a(id) % 3 + 1)
}

fn pod_ip(name: &str) -> String {
    let h = fnv32a(name);
    format!("10.244.{}.{}", h % 3, (h >> 8) % 250 + 2)
}

fn container_id(pod: &str, container: &str) -> String {
    format!(
        "containerd://{:08x}{:08x}",
        fnv32a(pod),
        fnv32a(&format!("{pod}/{container}"))
    )
}

fn container_status(pod: &str, name: &str, image: &str, state: PodState, exit: i64) -> Value {
    let (state_v, ready) = match state {
        PodState::Pending => (json!({"waiting": {"reason": "PodInitializing"}}), false),
        PodState::Running { since } => (json!({"running": {"startedAt": timestamp(since)}}), true),
        PodState::Terminated { since, at, .. } => (
            json!({"terminated": {
                "exitCode": exit,
                "reason": if exit == 0 { "Completed" } else { "Error" },
                "startedAt": timestamp(since),
                "finishedAt": timestamp(at),
                "containerID": container_id(pod, name),
            }}),
            false,
        ),
    };
    let mut s = json!({
        "name": name,
        "image": image,
        "imageID": "",
        "ready": ready,
        "restartCount": 0,
        "started": matches!(state, PodState::Running { .. }),
        "state": state_v,
    });
    if !matches!(state, PodState::Pending)
        && let Some(o) = s.as_object_mut()
    {
        o.insert("containerID".into(), json!(container_id(pod, name)));
        o.insert(
            "imageID".into(),
            json!(format!("{image}@sha256:{:064x}", u64::from(fnv32a(image)))),
        );
    }
    s
}

fn condition(kind: &str, ok: bool, at: DateTime<Utc>, reason: Option<&str>) -> Value {
    let mut c = json!({"type": kind, "status": if ok { "True" } else { "False" },
        "lastProbeTime": null, "lastTransitionTime": timestamp(at)});
    if let (Some(r), Some(o)) = (reason, c.as_object_mut()) {
        o.insert("reason".into(), json!(r));
    }
    c
}

/// A pod `status` for containers `(name, image, exit code)` and init containers.
pub fn pod_status(
    pod: &str,
    created: DateTime<Utc>,
    containers: &[(&str, &str, i64)],
    inits: &[(&str, &str)],
    host: &str,
    state: PodState,
) -> Value {
    let (phase, running) = match state {
        PodState::Pending => ("Pending", false),
        PodState::Running { .. } => ("Running", true),
        PodState::Terminated { exit, .. } => (if exit == 0 { "Succeeded" } else { "Failed" }, false),
    };
    let started = match state {
        PodState::Running { since } | PodState::Terminated { since, .. } => Some(since),
        PodState::Pending => None,
    };
    let changed = match state {
        PodState::Pending => created,
        PodState::Running { since } => since,
        PodState::Terminated { at, .. } => at,
    };
    let statuses: Vec<Value> = containers
        .iter()
        .map(|(n, img, exit)| container_status(pod, n, img, state, *exit))
        .collect();
    let init_state = match (state, started) {
        (PodState::Pending, _) | (_, None) => PodState::Pending,
        (_, Some(s)) => PodState::Terminated {
            since: created.min(s),
            at: s,
            exit: 0,
        },
    };
    let init_statuses: Vec<Value> = inits
        .iter()
        .map(|(n, img)| container_status(pod, n, img, init_state, 0))
        .collect();
    let reason = matches!(state, PodState::Terminated { .. }).then_some("PodCompleted");
    let mut s = json!({
        "phase": phase,
        "hostIP": format!("172.18.0.{}", fnv32a(host) % 3 + 2),
        "qosClass": "Burstable",
        "startTime": timestamp(created),
        "conditions": [
            condition("PodReadyToStartContainers", true, created, None),
            condition("Initialized", started.is_some(), started.unwrap_or(created), None),
            condition("Ready", running, changed, if running { None } else { reason.or(Some("ContainersNotReady")) }),
            condition("ContainersReady", running, changed, if running { None } else { reason.or(Some("ContainersNotReady")) }),
            condition("PodScheduled", true, created, None),
        ],
        "containerStatuses": statuses,
    });
    if let Some(o) = s.as_object_mut() {
        if !inits.is_empty() {
            o.insert("initContainerStatuses".into(), json!(init_statuses));
        }
        if started.is_some() {
            o.insert("podIP".into(), json!(pod_ip(pod)));
            o.insert("podIPs".into(), json!([{"ip": pod_ip(pod)}]));
        }
    }
    s
}

/// The pod Argo would create for `node`, in `state`.
pub fn argo_pod(
    owner: &Owner,
    node: &Node,
    tmpl: &Template,
    name: &str,
    state: PodState,
    error: Option<&str>,
) -> Value {
    let created = parse_time(node.started_at.as_deref()).unwrap_or_else(Utc::now);
    let host = node.host_node_name.clone().unwrap_or_else(|| host_for(&node.id));
    let mut main = tmpl
        .container
        .clone()
        .or_else(|| tmpl.script.clone())
        .unwrap_or_else(|| json!({"image": "python:3.11-slim"}));
    if let Some(m) = main.as_object_mut() {
        m.insert("name".into(), json!("main"));
        if let Some(src) = m.remove("source") {
            m.insert("command".into(), json!(["python"]));
            m.insert("args".into(), json!(["/argo/staging/script"]));
            m.insert("env".into(), json!([{"name": "ARGO_SCRIPT_SOURCE_LINES", "value": src.as_str().map_or(0, |s| s.lines().count()).to_string()}]));
        }
        m.entry("resources").or_insert_with(|| json!({}));
        m.entry("terminationMessagePath")
            .or_insert_with(|| json!("/dev/termination-log"));
        m.entry("terminationMessagePolicy")
            .or_insert_with(|| json!("File"));
        m.entry("imagePullPolicy")
            .or_insert_with(|| json!("IfNotPresent"));
    }
    let main_image = main
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or("python:3.11-slim")
        .to_string();
    let mut labels = json!({
        "workflows.argoproj.io/workflow": owner.name,
        "workflows.argoproj.io/completed": if matches!(state, PodState::Terminated { .. }) { "true" } else { "false" },
    });
    if let (Some(runid), Some(l)) = (owner.labels.get("pipeline/runid"), labels.as_object_mut()) {
        l.insert("pipeline/runid".into(), runid.clone());
        l.insert("pipelines.kubeflow.org/v2_component".into(), json!("true"));
    }
    let mut annotations = json!({
        "workflows.argoproj.io/node-name": node.name,
        "workflows.argoproj.io/node-id": node.id,
        "kubectl.kubernetes.io/default-container": "main",
    });
    if let (Some(e), Some(a)) = (error, annotations.as_object_mut()) {
        a.insert(ERROR_ANNOTATION.into(), json!(e));
    }
    let role = tmpl
        .metadata
        .pointer("/annotations/pipelines.kubeflow.org~1runtime-role")
        .and_then(Value::as_str);
    if let (Some("driver"), Some(a)) = (role, annotations.as_object_mut()) {
        a.insert(crate::sim::logs::PROFILE_ANNOTATION.into(), json!("driver"));
    }
    let exit = match state {
        PodState::Terminated { exit, .. } => exit,
        _ => 0,
    };
    let wait_exit = if exit == 143 { 143 } else { 0 };
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": owner.namespace,
            "creationTimestamp": timestamp(created),
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [{
                "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "name": owner.name,
                "uid": owner.uid, "controller": true, "blockOwnerDeletion": true,
            }],
        },
        "spec": {
            "initContainers": [{"name": "init", "image": EXECUTOR_IMAGE, "command": ["argoexec", "init", "--loglevel", "info", "--log-format", "text"],
                "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}}}],
            "containers": [
                {"name": "wait", "image": EXECUTOR_IMAGE, "command": ["argoexec", "wait", "--loglevel", "info", "--log-format", "text"],
                 "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}}},
                main,
            ],
            "restartPolicy": "Never",
            "serviceAccountName": owner.service_account,
            "nodeName": host,
            "schedulerName": "default-scheduler",
            "terminationGracePeriodSeconds": 30,
        },
        "status": pod_status(name, created, &[("wait", EXECUTOR_IMAGE, wait_exit), ("main", &main_image, exit)], &[("init", EXECUTOR_IMAGE)], &host, state),
    })
}

fn annotation<'a>(pod: &'a Value, key: &str) -> Option<&'a str> {
    pod.pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

/// When the kubelet stops a pod created through the API: its `sim.kftui.dev/run-seconds` after
/// it started, a second after creation. The log ends there even before the status says so.
pub fn planned_end(pod: &Value) -> Option<DateTime<Utc>> {
    let created = parse_time(pod.pointer("/metadata/creationTimestamp").and_then(Value::as_str))?;
    let run_for = annotation(pod, RUN_SECONDS).and_then(|s| s.parse::<i64>().ok())?;
    Some(created + TimeDelta::seconds(1) + TimeDelta::seconds(run_for.max(0)))
}

/// The kubelet's next move for a pod created through the API: start it a second after
/// creation, and stop it when its `sim.kftui.dev/run-seconds` are up. `None`: nothing to do.
pub fn kubelet_step(pod: &Value, now: DateTime<Utc>) -> Option<(Value, Option<DateTime<Utc>>)> {
    let name = pod.pointer("/metadata/name").and_then(Value::as_str)?;
    let created = parse_time(pod.pointer("/metadata/creationTimestamp").and_then(Value::as_str))?;
    let start = created + TimeDelta::seconds(1);
    let exit = annotation(pod, EXIT_CODE)
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    let end = planned_end(pod);
    let state = match end {
        Some(end) if now >= end => PodState::Terminated {
            since: start,
            at: end,
            exit,
        },
        _ if now >= start => PodState::Running { since: start },
        _ => return None,
    };
    let phase = pod.pointer("/status/phase").and_then(Value::as_str).unwrap_or("");
    let unchanged = match state {
        PodState::Running { .. } => phase == "Running",
        _ => matches!(phase, "Succeeded" | "Failed"),
    };
    if unchanged {
        return None;
    }
    let pairs = |field: &str| -> Vec<(String, String)> {
        pod.pointer(&format!("/spec/{field}"))
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .map(|c| {
                        let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                        (s("name"), s("image"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let containers = pairs("containers");
    let inits = pairs("initContainers");
    let host = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .map_or_else(|| host_for(name), String::from);
    let cs: Vec<(&str, &str, i64)> = containers
        .iter()
        .map(|(n, i)| (n.as_str(), i.as_str(), exit))
        .collect();
    let is: Vec<(&str, &str)> = inits.iter().map(|(n, i)| (n.as_str(), i.as_str())).collect();
    let mut status = pod_status(name, created, &cs, &is, &host, state);
    if let Some(q) = pod.pointer("/status/qosClass") {
        status["qosClass"] = q.clone();
    }
    let mut next = pod.clone();
    next["status"] = status;
    if let Some(spec) = next.get_mut("spec").and_then(Value::as_object_mut) {
        spec.entry("nodeName").or_insert_with(|| json!(host));
    }
    let due = match state {
        PodState::Running { .. } => end,
        _ => None,
    };
    Some((next, due))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_starts_and_stops_pods() {
        let created = Utc::now() - TimeDelta::seconds(3);
        let pod = json!({"metadata": {"name": "p", "creationTimestamp": timestamp(created),
            "annotations": {RUN_SECONDS: "1", EXIT_CODE: "3"}},
            "spec": {"containers": [{"name": "main", "image": "busybox"}]},
            "status": {"phase": "Pending"}});
        let Some((next, _)) = kubelet_step(&pod, created + TimeDelta::seconds(1)) else {
            panic!("pod did not start")
        };
        assert_eq!(next["status"]["phase"], "Running");
        assert!(next["status"]["containerStatuses"][0]["state"]["running"].is_object());
        let Some((done, _)) = kubelet_step(&next, Utc::now()) else {
            panic!("pod did not stop")
        };
        assert_eq!(done["status"]["phase"], "Failed");
        assert_eq!(
            done["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"],
            3
        );
        assert!(kubelet_step(&done, Utc::now()).is_none());
    }
}
