//! `metrics.k8s.io/v1beta1`, as metrics-server serves it for `kubectl top`: `PodMetrics` of
//! running pods (`/pods`, `/namespaces/{ns}/pods[/{name}]`) and `NodeMetrics` (`/nodes[/{name}]`),
//! read-only (`get`, `list`).
//!
//! Usage is a deterministic function of the pod's name and the time, so it moves like a real
//! pod's: a training pod holding GPUs uses about three cores and ten gigabytes (what its
//! `/metrics` cAdvisor series say), a notebook a few hundred millicores, a system pod little.
//! A node uses what its pods use plus its own daemons.

use axum::http::{Method, StatusCode};
use axum::response::Response;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::Request;
use crate::sim::controllers::kit;
use crate::sim::error::ApiError;
use crate::sim::metrics::{drift, gpus};
use crate::sim::store::timestamp;
use crate::sim::types;

pub const GROUP: &str = "metrics.k8s.io";
pub const VERSION: &str = "v1beta1";

/// The resource metrics window, as metrics-server reports it.
const WINDOW: &str = "15s";

/// `/apis/metrics.k8s.io/v1beta1`.
pub fn resource_list() -> Value {
    let entry = |name: &str, kind: &str, namespaced: bool| json!({"name": name, "singularName": "", "namespaced": namespaced, "kind": kind, "verbs": ["get", "list"]});
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": format!("{GROUP}/{VERSION}"),
        "resources": [entry("nodes", "NodeMetrics", false), entry("pods", "PodMetrics", true)],
    })
}

/// CPU and memory a container uses: millicores and bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub cpu_milli: u64,
    pub memory_bytes: u64,
}

impl Usage {
    fn add(self, o: Self) -> Self {
        Self {
            cpu_milli: self.cpu_milli + o.cpu_milli,
            memory_bytes: self.memory_bytes + o.memory_bytes,
        }
    }

    fn json(self) -> Value {
        json!({"cpu": format!("{}m", self.cpu_milli), "memory": format!("{}Ki", self.memory_bytes / 1024)})
    }
}

const MI: f64 = 1024.0 * 1024.0;

fn label<'a>(pod: &'a Value, key: &str) -> &'a str {
    kit::s(pod, &format!("/metadata/labels/{}", key.replace('/', "~1")))
}

/// What a running container of `pod` uses at `now` (None when it is not running).
pub fn container_usage(pod: &Value, container: &Value, now: DateTime<Utc>) -> Option<Usage> {
    let name = container["name"].as_str().unwrap_or("");
    let running = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .is_some_and(|c| c.pointer("/state/running").is_some());
    if !running {
        return None;
    }
    let pod_name = kit::s(pod, "/metadata/name");
    let id = format!("{pod_name}/{name}");
    let secs = now.timestamp_millis() as f64 / 1000.0;
    let started =
        kit::time_at(pod, "/status/startTime").map_or(60.0, |s| (now - s).num_seconds().max(0) as f64);
    let warm = (started / 30.0).clamp(0.05, 1.0);
    let sidecar = matches!(name, "wait" | "istio-proxy" | "queue-proxy" | "kube-rbac-proxy");
    let (cpu, mem) = if sidecar {
        ((1.0, 8.0), (18.0 * MI, 42.0 * MI))
    } else if gpus(pod) > 0 {
        // As its cAdvisor series at /metrics: about three cores and ten gigabytes.
        ((2700.0 * warm, 3400.0 * warm), (9.0e9 * warm, 11.5e9 * warm))
    } else if !label(pod, "notebook-name").is_empty() {
        ((40.0, 420.0), (620.0 * MI, 1500.0 * MI))
    } else if !label(pod, "serving.kserve.io/inferenceservice").is_empty() {
        ((90.0, 650.0), (310.0 * MI, 940.0 * MI))
    } else if kit::s(pod, "/metadata/namespace") == "kubeflow" {
        ((3.0, 45.0), (40.0 * MI, 320.0 * MI))
    } else {
        ((120.0, 950.0), (110.0 * MI, 720.0 * MI))
    };
    let cpu_milli = drift(&id, "cpu", secs, cpu.0, cpu.1).round().max(1.0) as u64;
    let memory_bytes = drift(&id, "mem", secs, mem.0, mem.1).round().max(MI) as u64;
    Some(Usage {
        cpu_milli,
        memory_bytes,
    })
}

/// The `PodMetrics` of a running pod.
pub fn pod_metrics(pod: &Value, now: DateTime<Utc>) -> Option<Value> {
    if kit::s(pod, "/status/phase") != "Running" {
        return None;
    }
    let containers: Vec<Value> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)?
        .iter()
        .filter_map(|c| {
            let u = container_usage(pod, c, now)?;
            Some(json!({"name": c["name"], "usage": u.json()}))
        })
        .collect();
    if containers.is_empty() {
        return None;
    }
    let mut meta = json!({
        "name": kit::s(pod, "/metadata/name"),
        "namespace": kit::s(pod, "/metadata/namespace"),
        "creationTimestamp": timestamp(now),
    });
    if let Some(l) = pod.pointer("/metadata/labels") {
        meta["labels"] = l.clone();
    }
    Some(json!({
        "kind": "PodMetrics",
        "apiVersion": format!("{GROUP}/{VERSION}"),
        "metadata": meta,
        "timestamp": timestamp(scrape_time(now)),
        "window": WINDOW,
        "containers": containers,
    }))
}

/// When metrics-server last scraped: the last 15 s boundary.
fn scrape_time(now: DateTime<Utc>) -> DateTime<Utc> {
    now - TimeDelta::seconds(now.timestamp().rem_euclid(15))
}

fn pod_usage(pod: &Value, now: DateTime<Utc>) -> Usage {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| container_usage(pod, c, now))
        .fold(
            Usage {
                cpu_milli: 0,
                memory_bytes: 0,
            },
            Usage::add,
        )
}

/// The `NodeMetrics` of `node`, from the pods on it.
pub fn node_metrics(node: &Value, pods: &[Value], now: DateTime<Utc>) -> Value {
    let name = kit::s(node, "/metadata/name");
    let secs = now.timestamp_millis() as f64 / 1000.0;
    let base = Usage {
        cpu_milli: drift(name, "node-cpu", secs, 180.0, 420.0).round() as u64,
        memory_bytes: drift(name, "node-mem", secs, 1800.0 * MI, 2600.0 * MI).round() as u64,
    };
    let used = pods
        .iter()
        .filter(|p| kit::s(p, "/spec/nodeName") == name && kit::s(p, "/status/phase") == "Running")
        .map(|p| pod_usage(p, now))
        .fold(base, Usage::add);
    let mut meta = json!({"name": name, "creationTimestamp": timestamp(now)});
    if let Some(l) = node.pointer("/metadata/labels") {
        meta["labels"] = l.clone();
    }
    json!({
        "kind": "NodeMetrics",
        "apiVersion": format!("{GROUP}/{VERSION}"),
        "metadata": meta,
        "timestamp": timestamp(scrape_time(now)),
        "window": WINDOW,
        "usage": used.json(),
    })
}

fn list_doc(kind: &str, items: Vec<Value>) -> Value {
    json!({
        "kind": format!("{kind}List"),
        "apiVersion": format!("{GROUP}/{VERSION}"),
        "metadata": {},
        "items": items,
    })
}

fn not_found(resource: &str, name: &str) -> ApiError {
    ApiError::new(
        404,
        "NotFound",
        format!("{resource}.{GROUP} \"{name}\" not found"),
    )
}

/// Serves `/apis/metrics.k8s.io/v1beta1/{rest}`.
pub fn handle(req: &Request<'_>, rest: &[String]) -> Result<Response, ApiError> {
    if *req.method != Method::GET {
        return Err(ApiError::method_not_allowed(req.method.as_str()));
    }
    let store = &req.shared.store;
    let now = Utc::now();
    let seg: Vec<&str> = rest.iter().map(String::as_str).collect();
    let pods_in = |ns: Option<&str>| -> Result<Vec<Value>, ApiError> {
        let filter = req.filter(types::pod_type(), ns)?;
        let page = store.list(types::pod_type(), &filter, None, None)?;
        Ok(page.items.iter().filter_map(|s| s.value().ok()).collect())
    };
    let doc = match seg.as_slice() {
        ["pods"] => list_doc(
            "PodMetrics",
            pods_in(None)?
                .iter()
                .filter_map(|p| pod_metrics(p, now))
                .collect(),
        ),
        ["namespaces", ns, "pods"] => list_doc(
            "PodMetrics",
            pods_in(Some(ns))?
                .iter()
                .filter_map(|p| pod_metrics(p, now))
                .collect(),
        ),
        ["namespaces", ns, "pods", name] => {
            let pod = store
                .get(types::pod_type(), ns, name)
                .map_err(|_| not_found("podmetrics", &format!("{ns}/{name}")))?
                .value()?;
            pod_metrics(&pod, now).ok_or_else(|| not_found("podmetrics", &format!("{ns}/{name}")))?
        }
        ["nodes"] => {
            let filter = req.filter(types::node_type(), None)?;
            let nodes = store.list(types::node_type(), &filter, None, None)?;
            let pods = pods_in(None)?;
            let items = nodes
                .items
                .iter()
                .filter_map(|s| s.value().ok())
                .map(|n| node_metrics(&n, &pods, now))
                .collect();
            list_doc("NodeMetrics", items)
        }
        ["nodes", name] => {
            let node = store
                .get(types::node_type(), "", name)
                .map_err(|_| not_found("nodemetrics", name))?
                .value()?;
            node_metrics(&node, &pods_in(None)?, now)
        }
        _ => return Err(ApiError::no_route()),
    };
    Ok(super::value_response(StatusCode::OK, &doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, gpu: bool) -> Value {
        let mut c = json!({"name": "main", "image": "pytorch"});
        if gpu {
            c["resources"] = json!({"limits": {"nvidia.com/gpu": "1"}});
        }
        json!({
            "metadata": {"name": name, "namespace": "ns", "labels": {"app": "x"}},
            "spec": {"nodeName": "w1", "containers": [c, {"name": "wait"}]},
            "status": {"phase": "Running", "startTime": "2026-01-01T00:00:00Z", "containerStatuses": [
                {"name": "main", "state": {"running": {}}}, {"name": "wait", "state": {"running": {}}}]}
        })
    }

    #[test]
    fn running_pods_use_plausible_and_moving_resources() {
        let now = Utc::now();
        let m = pod_metrics(&pod("step-1", false), now).unwrap_or_default();
        assert_eq!(m["kind"], "PodMetrics");
        assert_eq!(m["window"], "15s");
        assert_eq!(m["containers"][1]["name"], "wait");
        let cpu = |m: &Value, i: usize| {
            m["containers"][i]["usage"]["cpu"]
                .as_str()
                .and_then(|s| s.trim_end_matches('m').parse::<u64>().ok())
                .unwrap_or(0)
        };
        assert!((120..=950).contains(&cpu(&m, 0)), "{m}");
        assert!(
            m["containers"][0]["usage"]["memory"]
                .as_str()
                .is_some_and(|s| s.ends_with("Ki"))
        );
        let gpu = pod_metrics(&pod("train-0", true), now).unwrap_or_default();
        assert!(cpu(&gpu, 0) > 2000, "{gpu}");
        let later = pod_metrics(&pod("step-1", false), now + TimeDelta::seconds(40)).unwrap_or_default();
        assert_ne!(cpu(&m, 0), cpu(&later, 0), "usage moves");
        let mut done = pod("step-2", false);
        done["status"]["phase"] = json!("Succeeded");
        assert!(pod_metrics(&done, now).is_none());
    }

    #[test]
    fn nodes_sum_their_pods() {
        let now = Utc::now();
        let node = json!({"metadata": {"name": "w1"}});
        let empty = node_metrics(&node, &[], now);
        let busy = node_metrics(&node, &[pod("train-0", true)], now);
        let milli = |m: &Value| {
            m["usage"]["cpu"]
                .as_str()
                .and_then(|s| s.trim_end_matches('m').parse::<u64>().ok())
                .unwrap_or(0)
        };
        assert!(milli(&busy) > milli(&empty) + 2000);
        assert_eq!(resource_list()["resources"][1]["name"], "pods");
    }
}
