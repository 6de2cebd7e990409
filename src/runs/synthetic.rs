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

/// A not-yet-run Workflow shaped like a pipeline's task DAG, for drawing a pipeline's graph with
/// the run graph's widget: `tasks` are (name, image, dependencies); every task is pending.
pub fn pipeline_graph(name: &str, tasks: &[(String, String, Vec<String>)]) -> Value {
    let full = |t: &str| format!("{name}.{t}");
    let mut dependents: std::collections::HashMap<&str, Vec<String>> = Default::default();
    for (t, _, deps) in tasks {
        for d in deps {
            dependents
                .entry(d.as_str())
                .or_default()
                .push(node_id(name, &full(t)));
        }
    }
    let roots: Vec<String> = tasks
        .iter()
        .filter(|(_, _, deps)| deps.iter().all(|d| !tasks.iter().any(|(n, _, _)| n == d)))
        .map(|(t, _, _)| node_id(name, &full(t)))
        .collect();
    let mut nodes = Map::new();
    nodes.insert(
        name.to_string(),
        json!({"id": name, "name": name, "displayName": name, "type": "DAG", "templateName": "main",
               "phase": "Pending", "children": roots}),
    );
    for (t, image, _) in tasks {
        let id = node_id(name, &full(t));
        nodes.insert(
            id.clone(),
            json!({"id": id, "name": full(t), "displayName": t, "type": "Pod", "templateName": t,
                   "phase": "Pending", "boundaryID": name, "message": image,
                   "children": dependents.remove(t.as_str()).unwrap_or_default()}),
        );
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"name": name, "namespace": "", "uid": format!("pipeline-{name}")},
        "status": {"phase": "Pending", "nodes": Value::Object(nodes)},
    })
}

/// The tasks of a KFP pipeline spec's root DAG: (name, image, dependencies), in spec order.
pub fn ir_tasks(ir: &Value) -> Vec<(String, String, Vec<String>)> {
    let ir = crate::runs::params::pipeline_spec(ir);
    let Some(tasks) = ir.pointer("/root/dag/tasks").and_then(Value::as_object) else {
        return Vec::new();
    };
    tasks
        .iter()
        .map(|(name, t)| {
            let comp = t
                .pointer("/componentRef/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let exec = ir
                .pointer(&format!("/components/{comp}/executorLabel"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let image = ir
                .pointer(&format!("/deploymentSpec/executors/{exec}/container/image"))
                .and_then(Value::as_str)
                .unwrap_or(if comp.is_empty() { "" } else { "(sub-pipeline)" })
                .to_string();
            let deps = t
                .get("dependentTasks")
                .and_then(Value::as_array)
                .map(|d| d.iter().filter_map(|x| x.as_str().map(String::from)).collect())
                .unwrap_or_default();
            (name.clone(), image, deps)
        })
        .collect()
}

/// The tasks of an Argo spec's entrypoint: its DAG tasks, or its steps in order (each step
/// depending on the group before).
pub fn argo_tasks(spec: &Value) -> Vec<(String, String, Vec<String>)> {
    let templates = spec
        .get("templates")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let image_of = |tmpl: &str| {
        templates
            .iter()
            .find(|t| t["name"] == tmpl)
            .and_then(|t| {
                t.pointer("/container/image")
                    .or_else(|| t.pointer("/script/image"))
                    .and_then(Value::as_str)
            })
            .unwrap_or("")
            .to_string()
    };
    let entry = spec.get("entrypoint").and_then(Value::as_str).unwrap_or("");
    let Some(main) = templates.iter().find(|t| t["name"] == entry) else {
        return Vec::new();
    };
    if let Some(tasks) = main.pointer("/dag/tasks").and_then(Value::as_array) {
        return tasks
            .iter()
            .filter_map(|t| {
                let name = t.get("name")?.as_str()?.to_string();
                let mut deps: Vec<String> = t
                    .get("dependencies")
                    .and_then(Value::as_array)
                    .map(|d| d.iter().filter_map(|x| x.as_str().map(String::from)).collect())
                    .unwrap_or_default();
                if let Some(expr) = t.get("depends").and_then(Value::as_str) {
                    for part in expr.split("&&").flat_map(|p| p.split("||")) {
                        let d = part.trim().trim_matches(|c| c == '(' || c == ')' || c == '!');
                        let d = d.split('.').next().unwrap_or("").trim().to_string();
                        if !d.is_empty() && !deps.contains(&d) {
                            deps.push(d);
                        }
                    }
                }
                let image = image_of(t.get("template").and_then(Value::as_str).unwrap_or(""));
                Some((name, image, deps))
            })
            .collect();
    }
    let mut out = Vec::new();
    let mut before: Vec<String> = Vec::new();
    for group in main.get("steps").and_then(Value::as_array).into_iter().flatten() {
        let mut this = Vec::new();
        for step in group.as_array().into_iter().flatten() {
            if let Some(name) = step.get("name").and_then(Value::as_str) {
                let image = image_of(step.get("template").and_then(Value::as_str).unwrap_or(""));
                out.push((name.to_string(), image, before.clone()));
                this.push(name.to_string());
            }
        }
        before = this;
    }
    out
}
