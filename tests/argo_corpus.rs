#![allow(clippy::unwrap_used, clippy::expect_used)]
//! No Workflow a real cluster holds may stall the embedded cluster or break the step graph.
//!
//! - The corpus: the real Workflows of the shared fixtures (Argo's own controller tests: exit
//!   handlers, lifecycle hooks, `synchronization`, retries, `templateRef`s to templates that are
//!   not there, Running phases whose nodes already ended) are each served by the embedded
//!   cluster, survive its controller's passes while a `get` keeps answering, and are drawn as a
//!   step graph whose steps are the Workflow's `status.nodes`.
//! - A property test: generated Workflows (DAG and steps shapes, retries, hooks, exit handlers,
//!   missing templates, cycles, truncated or `compressedNodes` status) go through the Argo
//!   controller's passes and the graph builder: every pass ends, nothing panics.

#[path = "support/sim.rs"]
mod sim_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use kftui::runs::RunGraph;
use kftui::sim::controllers::argo;
use kftui::sim::rng::Rng;
use kube::api::{Api, DynamicObject, PostParams};
use serde_json::{Value, json};
use sim_support::{NS, client, workflow_resource};

/// How many generated Workflows the property test drives (each through several passes).
const GENERATED: u64 = 400;

/// A pass that takes longer than this is a stall, not slowness.
const STALL: Duration = Duration::from_secs(5);

fn corpus() -> Option<Vec<(String, Value)>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/objects");
    if !dir.is_dir() {
        eprintln!("SKIPPED: the corpus of real Workflows needs {}", dir.display());
        return None;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("argo-controller-tests"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.extend(
        std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("argoproj.io_workflow_"))
            }),
    );
    files.sort();
    Some(
        files
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .map(|p| {
                let text = std::fs::read_to_string(&p).unwrap();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, serde_saphyr::from_str(&text).unwrap())
            })
            .collect(),
    )
}

/// The ids a step graph shows: its steps and their attempts.
fn graph_ids(g: &RunGraph) -> std::collections::BTreeSet<String> {
    g.nodes
        .iter()
        .flat_map(|n| std::iter::once(n.id.clone()).chain(n.attempts.iter().map(|a| a.id.clone())))
        .collect()
}

/// Runs controller passes over `wf` at `times`, feeding each result to the next; returns the
/// slowest pass.
fn passes(wf: &mut Value, times: &[DateTime<Utc>], what: &str) -> Duration {
    let mut slowest = Duration::ZERO;
    for now in times {
        let start = Instant::now();
        let _ = argo::advance(wf, *now);
        let took = start.elapsed();
        assert!(took < STALL, "{what}: a controller pass took {took:?}");
        slowest = slowest.max(took);
    }
    slowest
}

#[test]
fn every_real_workflow_survives_the_controller_and_draws_its_nodes() {
    let Some(corpus) = corpus() else { return };
    assert!(corpus.len() >= 17, "the corpus: {}", corpus.len());
    let mut slowest = Duration::ZERO;
    let mut checked = 0;
    for (name, wf) in &corpus {
        // The graph of the Workflow as stored: every leaf node of its status is a step or an
        // attempt of one.
        if let Some(nodes) = wf.pointer("/status/nodes").and_then(Value::as_object) {
            let graph = RunGraph::from_workflow(wf).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let ids = graph_ids(&graph);
            let leaves: Vec<&String> = nodes
                .iter()
                .filter(|(_, n)| {
                    matches!(
                        n["type"].as_str(),
                        Some("Pod" | "Suspend" | "Skipped" | "HTTP" | "Plugin")
                    )
                })
                .map(|(id, _)| id)
                .collect();
            for id in &leaves {
                assert!(
                    ids.contains(*id),
                    "{name}: node {id} is not drawn ({} steps drawn)",
                    graph.nodes.len()
                );
            }
            assert!(
                graph.nodes.len() <= nodes.len(),
                "{name}: more steps drawn than nodes"
            );
            checked += 1;
        }
        // The controller's passes: as loaded, an hour later, and now.
        let mut copy = wf.clone();
        let created = argo::parse_time(wf.pointer("/metadata/creationTimestamp").and_then(Value::as_str))
            .unwrap_or_else(Utc::now);
        slowest = slowest.max(passes(
            &mut copy,
            &[created, created + TimeDelta::hours(1), Utc::now()],
            name,
        ));
        let after = RunGraph::from_workflow(&copy);
        if RunGraph::from_workflow(wf).is_ok() {
            after.unwrap_or_else(|e| panic!("{name} after a pass: {e:?}"));
        }
    }
    println!(
        "corpus: {} Workflows, {checked} graphs matched their status.nodes, slowest controller pass {slowest:?}",
        corpus.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_cluster_serves_every_real_workflow_and_keeps_answering() {
    let Some(corpus) = corpus() else { return };
    let sim = sim_support::start().await;
    let c = client(&sim);
    let api: Api<DynamicObject> = Api::namespaced_with(c.clone(), NS, &workflow_resource());
    let mut names = Vec::new();
    for (file, wf) in &corpus {
        let mut wf = wf.clone();
        wf["metadata"]["namespace"] = json!(NS);
        if let Some(m) = wf["metadata"].as_object_mut() {
            m.remove("resourceVersion");
            m.remove("uid");
        }
        let obj: DynamicObject = serde_json::from_value(wf).unwrap();
        match api.create(&PostParams::default(), &obj).await {
            Ok(o) => names.push((file.clone(), o.metadata.name.unwrap())),
            // A name two fixtures share is refused as a real server refuses it.
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            Err(e) => panic!("{file}: {e}"),
        }
    }
    // Controller passes run every half second; a get answers all the while.
    let mut slowest = Duration::ZERO;
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        for (file, name) in &names {
            let start = Instant::now();
            let got = tokio::time::timeout(Duration::from_secs(5), api.get(name)).await;
            let took = start.elapsed();
            assert!(
                matches!(got, Ok(Ok(_))),
                "{file}: get {name} did not answer: {got:?}"
            );
            slowest = slowest.max(took);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "served {} real Workflows; slowest get while the controller worked: {slowest:?}",
        names.len()
    );
    assert!(slowest < Duration::from_secs(1), "a get took {slowest:?}");
    sim.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Generated Workflows

fn container(name: &str) -> Value {
    json!({"name": name, "container": {"image": "busybox", "command": ["sh", "-c", "true"]}})
}

/// A template name: usually one that exists, sometimes one that does not.
fn pick_template(rng: &mut Rng, leaves: &[String]) -> Value {
    if rng.chance(0.08) {
        return json!({"template": "no-such-template"});
    }
    if rng.chance(0.05) {
        return json!({"templateRef": {"name": "no-such-workflowtemplate", "template": "main"}});
    }
    json!({"template": rng.pick(leaves).cloned().unwrap_or_default()})
}

fn hooks(rng: &mut Rng, leaves: &[String]) -> Option<Value> {
    rng.chance(0.15).then(|| {
        let mut h = pick_template(rng, leaves);
        h["expression"] = json!("steps.a.status == \"Failed\"");
        json!({"exit": h})
    })
}

fn generated(seed: u64) -> Value {
    let mut rng = Rng::new(seed);
    let mut templates = Vec::new();
    let leaves: Vec<String> = (0..rng.range(1, 4)).map(|i| format!("leaf-{i}")).collect();
    for l in &leaves {
        let mut t = container(l);
        if rng.chance(0.3) {
            t["retryStrategy"] = json!({"limit": rng.range(0, 4), "retryPolicy": "Always"});
        }
        templates.push(t);
    }
    let dag = rng.chance(0.5);
    let n = rng.range(1, 12) as usize;
    let main = if dag {
        let tasks: Vec<Value> = (0..n)
            .map(|i| {
                let mut t = pick_template(&mut rng, &leaves);
                t["name"] = json!(format!("t{i}"));
                let mut deps: Vec<String> = (0..i)
                    .filter(|_| rng.chance(0.3))
                    .map(|d| format!("t{d}"))
                    .collect();
                if rng.chance(0.05) {
                    deps.push(format!("t{}", i + 1)); // a cycle, or a task that is not there
                }
                if rng.chance(0.05) {
                    deps.push(format!("t{i}")); // itself
                }
                if !deps.is_empty() {
                    if rng.chance(0.5) {
                        t["dependencies"] = json!(deps);
                    } else {
                        let depends: Vec<String> = deps.iter().map(|d| format!("{d}.Succeeded")).collect();
                        t["depends"] = json!(depends.join(" || "));
                    }
                }
                if let Some(h) = hooks(&mut rng, &leaves) {
                    t["hooks"] = h;
                }
                t
            })
            .collect();
        json!({"name": "main", "dag": {"tasks": tasks, "failFast": rng.chance(0.5)}})
    } else {
        let groups: Vec<Value> = (0..n.div_ceil(2))
            .map(|g| {
                let steps: Vec<Value> = (0..rng.range(1, 4))
                    .map(|s| {
                        let mut st = pick_template(&mut rng, &leaves);
                        st["name"] = json!(format!("s{g}-{s}"));
                        if let Some(h) = hooks(&mut rng, &leaves) {
                            st["hooks"] = h;
                        }
                        if rng.chance(0.05) {
                            // An inline template, as Argo allows.
                            st = json!({"name": format!("s{g}-{s}"), "inline": container("inline")});
                        }
                        st
                    })
                    .collect();
                json!(steps)
            })
            .collect();
        json!({"name": "main", "steps": groups})
    };
    templates.push(main);
    if rng.chance(0.1) {
        // A template that calls itself: a cycle through templates.
        templates.push(json!({"name": "loop", "steps": [[{"name": "again", "template": "loop"}]]}));
        templates.push(json!({"name": "main2", "steps": [[{"name": "enter", "template": "loop"}]]}));
    }
    let mut spec = json!({"entrypoint": if rng.chance(0.05) { "missing-entry" } else { "main" }, "templates": templates});
    if rng.chance(0.2) {
        spec["onExit"] = json!(rng.pick(&leaves).cloned().unwrap_or_default());
    }
    if rng.chance(0.1) {
        spec["synchronization"] = json!({"mutex": {"name": "m"}});
    }
    if rng.chance(0.1) {
        spec["activeDeadlineSeconds"] = json!(rng.range(0, 120));
    }
    let created = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
        .unwrap()
        .to_utc()
        - TimeDelta::seconds(rng.range(0, 7200) as i64);
    let name = format!("gen-{seed}");
    let mut wf = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": name, "namespace": NS, "uid": format!("uid-{seed}"),
                     "creationTimestamp": created.to_rfc3339()},
        "spec": spec,
    });
    // A status of its own: none, a truncated one, an odd phase, or compressed nodes.
    match rng.range(0, 5) {
        0 => {}
        1 => {
            wf["status"] = json!({"phase": "Running", "startedAt": created.to_rfc3339(), "nodes": {
                name.clone(): {"id": name, "name": name, "displayName": name, "type": if dag { "DAG" } else { "Steps" },
                               "phase": "Succeeded", "templateName": "main", "children": ["missing-child"],
                               "startedAt": created.to_rfc3339(), "finishedAt": created.to_rfc3339()},
            }});
        }
        2 => {
            wf["status"] = json!({"phase": rng.pick(&["Running", "Pending", "Error", "Weird", ""]).copied().unwrap_or(""),
                                  "nodes": {"x": {"id": "x", "name": "x", "type": "Pod", "phase": "Running",
                                                  "startedAt": "not a time", "boundaryID": "nowhere"}}});
        }
        3 => {
            let nodes = json!({name.clone(): {"id": name, "name": name, "type": "Steps", "phase": "Running",
                                              "children": [name.clone()]}});
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(nodes.to_string().as_bytes()).unwrap();
            let text = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
            wf["status"] = json!({"phase": "Running", "compressedNodes": text});
        }
        _ => {
            wf["status"] = json!({"phase": "Running", "compressedNodes": "!!not base64!!"});
        }
    }
    wf
}

#[test]
fn generated_workflows_never_stall_the_controller_or_break_the_graph() {
    let mut slowest = (Duration::ZERO, 0);
    for seed in 0..GENERATED {
        let mut wf = generated(seed);
        let created =
            argo::parse_time(wf.pointer("/metadata/creationTimestamp").and_then(Value::as_str)).unwrap();
        let times: Vec<DateTime<Utc>> = (0..6).map(|k| created + TimeDelta::seconds(30 * k)).collect();
        let what = format!("generated workflow {seed}: {}", wf["spec"]);
        let took = passes(&mut wf, &times, &what);
        if took > slowest.0 {
            slowest = (took, seed);
        }
        // The graph builder answers (a graph, or why not) for whatever the status holds.
        let _ = RunGraph::from_workflow(&wf);
        let _ = RunGraph::from_workflow(&generated(seed));
    }
    println!(
        "generated: {GENERATED} Workflows, 6 controller passes each; slowest pass {:?} (seed {})",
        slowest.0, slowest.1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_workflows_through_the_api_leave_it_answering() {
    let sim = sim_support::start().await;
    let c = client(&sim);
    let api: Api<DynamicObject> = Api::namespaced_with(c.clone(), NS, &workflow_resource());
    for seed in 0..40 {
        let mut wf = generated(seed);
        if let Some(m) = wf["metadata"].as_object_mut() {
            m.remove("uid");
        }
        let obj: DynamicObject = serde_json::from_value(wf).unwrap();
        // The server may refuse what its schema refuses; it must answer either way.
        let answer =
            tokio::time::timeout(Duration::from_secs(5), api.create(&PostParams::default(), &obj)).await;
        assert!(
            answer.is_ok(),
            "create of generated workflow {seed} did not answer"
        );
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let start = Instant::now();
    let list = tokio::time::timeout(Duration::from_secs(5), api.list(&Default::default())).await;
    assert!(
        matches!(list, Ok(Ok(_))),
        "list after the controller's passes: {list:?}"
    );
    println!(
        "list of every workflow after 40 generated ones: {:?}",
        start.elapsed()
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nulls_are_pruned_before_storing_as_a_real_server_prunes_them() {
    let sim = sim_support::start().await;
    let api: Api<DynamicObject> = Api::namespaced_with(client(&sim), NS, &workflow_resource());
    let wf = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"name": "with-nulls", "namespace": NS},
        "spec": {"entrypoint": "main", "templates": [{"name": "main", "container": {"image": "busybox", "args": null}}]},
        "status": {"phase": "Running", "finishedAt": null},
    });
    let obj: DynamicObject = serde_json::from_value(wf).unwrap();
    api.create(&PostParams::default(), &obj).await.unwrap();
    let got = serde_json::to_value(api.get("with-nulls").await.unwrap()).unwrap();
    assert!(got.pointer("/status/finishedAt").is_none(), "{got}");
    assert!(got.pointer("/spec/templates/0/container/args").is_none(), "{got}");
    // The controller's own writes carry no nulls either (a running run has no finishedAt).
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let got = serde_json::to_value(api.get("with-nulls").await.unwrap()).unwrap();
    let text = got.to_string();
    assert!(!text.contains(":null"), "{text}");
    sim.shutdown().await;
}
