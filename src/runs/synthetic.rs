//! Synthetic Workflows for benchmarks, tests and demos: a wide-and-deep DAG shaped the way Argo
//! records one (`children` run from a task's last pod to its dependents; retried tasks have a
//! Retry node with attempts).

use serde_json::{Map, Value, json};

use super::pod_name::node_id;

/// A finished DAG run of `layers` x `width` tasks. Task `t<l>-<k>` depends on two tasks of the
/// layer before, every fifth also on one three layers back; every tenth was retried once;
/// a few failed and the last layer is still running.
pub fn wide_deep_dag(name: &str, layers: usize, width: usize) -> Value {
    let task = |l: usize, k: usize| format!("{name}.t{l}-{k}");
    let mut deps: Vec<Vec<String>> = vec![Vec::new(); layers * width];
    for l in 1..layers {
        for k in 0..width {
            let mut ds = vec![task(l - 1, k), task(l - 1, (k * 7 + 3) % width)];
            if l >= 3 && k % 5 == 0 {
                ds.push(task(l - 3, (k + 1) % width));
            }
            ds.dedup();
            deps[l * width + k] = ds;
        }
    }
    // Argo's children: dependency (its last pod) → dependent.
    let mut dependents: std::collections::HashMap<String, Vec<String>> = Default::default();
    for l in 0..layers {
        for k in 0..width {
            for d in &deps[l * width + k] {
                dependents
                    .entry(d.clone())
                    .or_default()
                    .push(node_id(name, &task(l, k)));
            }
        }
    }
    let mut nodes = Map::new();
    let roots: Vec<String> = (0..width).map(|k| node_id(name, &task(0, k))).collect();
    nodes.insert(
        name.to_string(),
        json!({"id": name, "name": name, "displayName": name, "type": "DAG", "templateName": "main",
               "phase": "Running", "startedAt": "2024-05-01T10:00:00Z", "children": roots}),
    );
    for l in 0..layers {
        for k in 0..width {
            let t = task(l, k);
            let out = dependents.remove(&t).unwrap_or_default();
            let (start, end) = (l * 60 + k % 7, l * 60 + 40 + k % 13);
            let phase = if l + 1 == layers {
                "Running"
            } else if (l * width + k) % 97 == 13 {
                "Failed"
            } else {
                "Succeeded"
            };
            let retried = (l * width + k) % 10 == 4;
            insert_task(&mut nodes, name, &t, phase, (start, end), retried, out);
        }
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"name": name, "namespace": "kubeflow", "uid": format!("uid-{name}")},
        "status": {"phase": "Running", "startedAt": "2024-05-01T10:00:00Z", "nodes": Value::Object(nodes)},
    })
}

fn time(secs: usize) -> String {
    let (h, m, s) = (10 + secs / 3600, (secs / 60) % 60, secs % 60);
    format!("2024-05-01T{h:02}:{m:02}:{s:02}Z")
}

fn insert_task(
    nodes: &mut Map<String, Value>,
    wf: &str,
    task: &str,
    phase: &str,
    (start, end): (usize, usize),
    retried: bool,
    children: Vec<String>,
) {
    let display = task.rsplit('.').next().unwrap_or(task);
    let finished = (phase != "Running").then(|| time(end));
    let pod = |name: &str, display: &str, phase: &str, children: Vec<String>, s: usize, e: Option<String>| {
        json!({"id": node_id(wf, name), "name": name, "displayName": display, "type": "Pod",
               "templateName": "work", "phase": phase, "boundaryID": wf, "children": children,
               "startedAt": time(s), "finishedAt": e,
               "outputs": {"exitCode": if phase == "Failed" { "1" } else { "0" }}})
    };
    if !retried {
        nodes.insert(
            node_id(wf, task),
            pod(task, display, phase, children, start, finished),
        );
        return;
    }
    let a0 = format!("{task}(0)");
    let a1 = format!("{task}(1)");
    nodes.insert(
        node_id(wf, task),
        json!({"id": node_id(wf, task), "name": task, "displayName": display, "type": "Retry",
               "templateName": "work", "phase": phase, "boundaryID": wf,
               "children": [node_id(wf, &a0), node_id(wf, &a1)],
               "startedAt": time(start), "finishedAt": finished}),
    );
    let mid = start + (end - start) / 2;
    let first = pod(
        &a0,
        &format!("{display}(0)"),
        "Failed",
        Vec::new(),
        start,
        Some(time(mid)),
    );
    nodes.insert(node_id(wf, &a0), first);
    nodes.insert(
        node_id(wf, &a1),
        pod(&a1, &format!("{display}(1)"), phase, children, mid + 1, finished),
    );
}
