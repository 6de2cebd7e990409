//! The run detail's step graph: folding, retries, compressed and offloaded status, pod names,
//! navigation and live sync, and render snapshots of the real Argo fixtures and a KFP-shaped run
//! at 80x24 and 200x50 with a fixed "now".

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use serde_json::{Value, json};

use kftui::config::theme::Theme;
use kftui::runs::{
    GraphLayout, GraphView, LayoutMode, NodeType, OFFLOADED_REASON, Phase, PodNameFormat, RunGraph, ViewMode,
    node_id, pod_name,
};
use kftui::ui::widgets::graph::{GraphWidget, NodeDetail};

// ---------------------------------------------------------------------------------------------
// Fixtures

const DAG_FAILED: &str = "argoproj.io_workflow_status_dag-failfast-disabled-failed.yaml";
const DAG_RETRY_NODES: &str = "argoproj.io_workflow_status_dag-retry-nodes-failed.yaml";
const DAG_RETRY_OK: &str = "argoproj.io_workflow_status_dag-retry-succeeded.yaml";
const DAG_RUNNING: &str = "argoproj.io_workflow_status_dag-running-with-failed-pod.yaml";
const STEPS_RUNNING: &str = "argoproj.io_workflow_status_steps-stepgroup-retry-running.yaml";
const KFP_TWO_STEP: &str = "argoproj.io_workflow_spec_kfp-v2-compiled-two-step.yaml";

/// (snapshot name, fixture file)
const REAL: [(&str, &str); 5] = [
    ("dag_failed", DAG_FAILED),
    ("dag_retry_nodes_failed", DAG_RETRY_NODES),
    ("dag_retry_succeeded", DAG_RETRY_OK),
    ("dag_running", DAG_RUNNING),
    ("steps_running", STEPS_RUNNING),
];

fn fixtures_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/objects");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("SKIPPED: ../shared/fixtures not found");
        None
    }
}

fn load(dir: &Path, file: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

fn graph_of(wf: &Value) -> RunGraph {
    RunGraph::from_workflow(wf).unwrap()
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// A fixed "now" per run: five minutes after it started.
fn now_for(graph: &RunGraph) -> DateTime<Utc> {
    graph.started_at.unwrap_or_else(|| t("2024-01-01T00:00:00Z")) + Duration::minutes(5)
}

fn names(graph: &RunGraph) -> Vec<&str> {
    graph.nodes.iter().map(|n| n.display_name.as_str()).collect()
}

fn node<'g>(graph: &'g RunGraph, display: &str) -> &'g kftui::runs::GraphNode {
    graph.nodes.iter().find(|n| n.display_name == display).unwrap()
}

fn edges(graph: &RunGraph) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for n in &graph.nodes {
        for &c in &n.children {
            out.push((n.display_name.clone(), graph.nodes[c].display_name.clone()));
        }
    }
    out.sort();
    out
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

// ---------------------------------------------------------------------------------------------
// A KFP-shaped run: the compiled two-step pipeline with a status written for it.

const KFP_WF: &str = "simple-two-step-pipeline-x7k2p";

struct KfpNode<'a> {
    name: &'a str,
    display: &'a str,
    kind: &'a str,
    template: &'a str,
    phase: &'a str,
    children: &'a [&'a str],
    start: &'a str,
    end: Option<&'a str>,
}

fn kfp_node(n: &KfpNode<'_>) -> (String, Value) {
    let full = |s: &str| {
        if s.is_empty() {
            KFP_WF.to_string()
        } else {
            format!("{KFP_WF}.{s}")
        }
    };
    let name = full(n.name);
    let id = node_id(KFP_WF, &name);
    let children: Vec<String> = n.children.iter().map(|c| node_id(KFP_WF, &full(c))).collect();
    let mut v = json!({
        "id": id, "name": name, "displayName": n.display, "type": n.kind, "templateName": n.template,
        "phase": n.phase, "startedAt": n.start, "finishedAt": n.end, "children": children,
    });
    // Argo's boundary: the DAG template a node was started from.
    let boundary = match n.name {
        "" => None,
        "root-driver" | "root" => Some(KFP_WF.to_string()),
        s if s.ends_with(".executor") || s.contains(".executor(") => {
            Some(full(s.split(".executor").next().unwrap()))
        }
        _ => Some(full("root")),
    };
    if let Some(b) = boundary {
        v["boundaryID"] = json!(node_id(KFP_WF, &b));
    }
    if n.kind == "Pod" && n.template == "system-container-driver" {
        let task = if n.name.contains("write") {
            "Producer"
        } else {
            "Consumer"
        };
        v["inputs"] = json!({"parameters": [
            {"name": "task", "value": format!("{{\"taskInfo\":{{\"name\":\"{task}\"}}}}")},
            {"name": "task-name", "value": n.display.trim_end_matches("-driver")},
        ]});
    }
    (id, v)
}

/// The two-step KFP pipeline after a run: Producer's executor errored once and was retried,
/// Consumer was a cache hit (its executor Skipped).
fn kfp_workflow(dir: &Path) -> Value {
    let mut wf = load(dir, KFP_TWO_STEP);
    wf["metadata"]["name"] = json!(KFP_WF);
    wf["metadata"]["uid"] = json!("5b1c2a4e-0000-4000-8000-000000000001");
    let s = |m: u32, sec: u32| format!("2025-03-04T10:{m:02}:{sec:02}Z");
    let nodes = [
        KfpNode {
            name: "",
            display: KFP_WF,
            kind: "DAG",
            template: "entrypoint",
            phase: "Succeeded",
            children: &["root-driver"],
            start: &s(0, 0),
            end: Some(&s(3, 30)),
        },
        KfpNode {
            name: "root-driver",
            display: "root-driver",
            kind: "Pod",
            template: "system-dag-driver",
            phase: "Succeeded",
            children: &["root"],
            start: &s(0, 0),
            end: Some(&s(0, 12)),
        },
        KfpNode {
            name: "root",
            display: "root",
            kind: "DAG",
            template: "root",
            phase: "Succeeded",
            children: &["root.write-to-gcs-driver"],
            start: &s(0, 13),
            end: Some(&s(3, 30)),
        },
        KfpNode {
            name: "root.write-to-gcs-driver",
            display: "write-to-gcs-driver",
            kind: "Pod",
            template: "system-container-driver",
            phase: "Succeeded",
            children: &["root.write-to-gcs"],
            start: &s(0, 13),
            end: Some(&s(0, 25)),
        },
        KfpNode {
            name: "root.write-to-gcs",
            display: "write-to-gcs",
            kind: "DAG",
            template: "system-container-executor",
            phase: "Succeeded",
            children: &["root.write-to-gcs.executor"],
            start: &s(0, 26),
            end: Some(&s(2, 50)),
        },
        KfpNode {
            name: "root.write-to-gcs.executor",
            display: "executor",
            kind: "Retry",
            template: "system-container-impl",
            phase: "Succeeded",
            children: &["root.write-to-gcs.executor(0)", "root.write-to-gcs.executor(1)"],
            start: &s(0, 26),
            end: Some(&s(2, 50)),
        },
        KfpNode {
            name: "root.write-to-gcs.executor(0)",
            display: "executor(0)",
            kind: "Pod",
            template: "system-container-impl",
            phase: "Error",
            children: &[],
            start: &s(0, 26),
            end: Some(&s(1, 2)),
        },
        KfpNode {
            name: "root.write-to-gcs.executor(1)",
            display: "executor(1)",
            kind: "Pod",
            template: "system-container-impl",
            phase: "Succeeded",
            children: &["root.read-from-gcs-driver"],
            start: &s(1, 5),
            end: Some(&s(2, 50)),
        },
        KfpNode {
            name: "root.read-from-gcs-driver",
            display: "read-from-gcs-driver",
            kind: "Pod",
            template: "system-container-driver",
            phase: "Succeeded",
            children: &["root.read-from-gcs"],
            start: &s(2, 52),
            end: Some(&s(3, 20)),
        },
        KfpNode {
            name: "root.read-from-gcs",
            display: "read-from-gcs",
            kind: "DAG",
            template: "system-container-executor",
            phase: "Succeeded",
            children: &["root.read-from-gcs.executor"],
            start: &s(3, 21),
            end: Some(&s(3, 30)),
        },
        KfpNode {
            name: "root.read-from-gcs.executor",
            display: "executor",
            kind: "Skipped",
            template: "system-container-impl",
            phase: "Skipped",
            children: &[],
            start: &s(3, 21),
            end: Some(&s(3, 21)),
        },
    ];
    let mut map = serde_json::Map::new();
    for n in &nodes {
        let (id, mut v) = kfp_node(n);
        if n.name == "root.write-to-gcs.executor(0)" {
            v["message"] = json!("pod deleted during operation");
        }
        if n.name == "root.write-to-gcs.executor(1)" {
            v["outputs"] = json!({"exitCode": "0", "artifacts": [
                {"name": "main-logs", "s3": {"bucket": "mlpipeline", "key": "artifacts/x7k2p/main.log"}}],
                "parameters": [{"name": "pod-spec-patch", "value": "{}"}]});
        }
        if n.name == "root.read-from-gcs.executor" {
            v["message"] = json!("when 'true != true' evaluated false");
        }
        map.insert(id, v);
    }
    wf["status"] = json!({
        "phase": "Succeeded", "startedAt": s(0, 0), "finishedAt": s(3, 30), "nodes": Value::Object(map),
    });
    wf
}

// ---------------------------------------------------------------------------------------------
// Rendering helpers

fn theme() -> Theme {
    Theme::builtin("default").unwrap()
}

fn draw(graph: &RunGraph, view: &GraphView, w: u16, h: u16, now: DateTime<Utc>) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = theme();
    term.draw(|f| {
        f.render_widget(
            GraphWidget {
                graph,
                view,
                theme: &theme,
                now,
            },
            f.area(),
        )
    })
    .unwrap();
    term
}

fn draw_detail(
    graph: &RunGraph,
    view: &GraphView,
    w: u16,
    h: u16,
    now: DateTime<Utc>,
) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = theme();
    let tz = FixedOffset::east_opt(0).unwrap();
    term.draw(|f| {
        f.render_widget(
            NodeDetail {
                graph,
                view,
                theme: &theme,
                now,
                tz,
            },
            f.area(),
        )
    })
    .unwrap();
    term
}

fn screen(term: &Terminal<TestBackend>) -> String {
    format!("{}", term.backend())
}

fn area(w: u16, h: u16) -> Rect {
    Rect::new(0, 0, w, h)
}

/// Snapshots a graph at 80x24 (as laid out automatically, and as the tree) and at 200x50.
fn snapshot_sizes(name: &str, graph: &RunGraph) {
    let now = now_for(graph);
    let mut view = GraphView::new(graph);
    for (w, h) in [(80, 24), (200, 50)] {
        view.set_mode(ViewMode::Auto);
        view.keep_visible(graph, area(w, h));
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), draw(graph, &view, w, h, now).backend());
    }
    view.set_mode(ViewMode::Tree);
    view.keep_visible(graph, area(80, 24));
    insta::assert_snapshot!(
        format!("{name}_80x24_tree"),
        draw(graph, &view, 80, 24, now).backend()
    );
}

// ---------------------------------------------------------------------------------------------
// Snapshots

#[test]
fn real_fixtures_render_at_80x24_and_200x50() {
    let Some(dir) = fixtures_dir() else {
        return;
    };
    for (name, file) in REAL {
        let graph = graph_of(&load(&dir, file));
        snapshot_sizes(name, &graph);
    }
}

#[test]
fn kfp_run_renders_one_node_per_task() {
    let Some(dir) = fixtures_dir() else {
        return;
    };
    let graph = graph_of(&kfp_workflow(&dir));
    snapshot_sizes("kfp_two_step", &graph);
    let mut view = GraphView::new(&graph);
    assert!(view.select(&graph, &node(&graph, "Producer").id.clone()));
    let now = now_for(&graph);
    insta::assert_snapshot!(
        "kfp_two_step_detail_producer",
        draw_detail(&graph, &view, 80, 24, now).backend()
    );
}

#[test]
fn node_detail_shows_pod_io_artifacts_and_attempts() {
    let Some(dir) = fixtures_dir() else {
        return;
    };
    let graph = graph_of(&load(&dir, DAG_RETRY_NODES));
    let mut view = GraphView::new(&graph);
    assert!(view.select(&graph, &node(&graph, "fail").id.clone()));
    let now = now_for(&graph);
    insta::assert_snapshot!(
        "dag_retry_nodes_detail_fail",
        draw_detail(&graph, &view, 100, 30, now).backend()
    );

    let graph = graph_of(&load(&dir, DAG_RUNNING));
    let mut view = GraphView::new(&graph);
    assert!(view.select(&graph, &node(&graph, "C").id.clone()));
    insta::assert_snapshot!(
        "dag_running_detail_c",
        draw_detail(&graph, &view, 80, 20, now_for(&graph)).backend()
    );
}

#[test]
fn selection_is_drawn_with_the_selection_role_and_phases_in_colour() {
    let Some(dir) = fixtures_dir() else {
        return;
    };
    let graph = graph_of(&load(&dir, DAG_FAILED));
    let mut view = GraphView::new(&graph);
    assert_eq!(
        view.selected_node(&graph).unwrap().display_name,
        "C",
        "the failed task is selected first"
    );
    for mode in [ViewMode::Layered, ViewMode::Tree] {
        view.set_mode(mode);
        let term = draw(&graph, &view, 200, 50, now_for(&graph));
        let buf = term.backend().buffer();
        let (cx, cy) = find(buf, "✗", "C");
        assert!(
            buf[(cx, cy)].modifier.contains(Modifier::REVERSED),
            "{mode:?}: selected glyph is reversed"
        );
        let (ax, ay) = find(buf, "✓", "A");
        assert!(!buf[(ax, ay)].modifier.contains(Modifier::REVERSED));
        assert_ne!(
            buf[(ax, ay)].fg,
            buf[(cx, cy)].fg,
            "succeeded and failed differ in colour"
        );
    }
}

/// The cell holding `glyph` followed by a space and `name`.
fn find(buf: &ratatui::buffer::Buffer, glyph: &str, name: &str) -> (u16, u16) {
    let area = buf.area;
    for y in 0..area.height {
        for x in 0..area.width.saturating_sub(2) {
            if buf[(x, y)].symbol() == glyph && buf[(x + 2, y)].symbol() == name {
                return (x, y);
            }
        }
    }
    panic!("{glyph} {name} not on screen");
}

#[test]
fn offloaded_status_says_where_the_nodes_are() {
    let wf = json!({
        "metadata": {"name": "big-run", "uid": "u1"},
        "status": {"phase": "Running", "offloadNodeStatusVersion": "fnv:1234", "nodes": {}},
    });
    let graph = graph_of(&wf);
    assert!(graph.is_offloaded());
    assert_eq!(graph.notice(), Some(OFFLOADED_REASON));
    let view = GraphView::new(&graph);
    let text = screen(&draw(&graph, &view, 100, 5, t("2024-01-01T00:00:00Z")));
    assert!(
        text.contains("node status is offloaded to the Argo database"),
        "{text}"
    );
    let detail = screen(&draw_detail(&graph, &view, 100, 5, t("2024-01-01T00:00:00Z")));
    assert!(detail.contains("only the Argo Server can return it"), "{detail}");
}

#[test]
fn an_empty_run_says_so() {
    let wf = json!({"metadata": {"name": "new-run"}, "status": {}});
    let graph = graph_of(&wf);
    assert!(graph.nodes.is_empty() && !graph.is_offloaded());
    let text = screen(&draw(
        &graph,
        &GraphView::new(&graph),
        40,
        3,
        t("2024-01-01T00:00:00Z"),
    ));
    assert!(text.contains("No steps yet."), "{text}");
    assert!(
        RunGraph::from_workflow(&json!({"spec": {}})).is_err(),
        "no metadata.name"
    );
}

// ---------------------------------------------------------------------------------------------
// Folding and retries

#[test]
fn kfp_driver_executor_and_wrappers_fold_into_one_node_per_task() {
    let Some(dir) = fixtures_dir() else {
        return;
    };
    let graph = graph_of(&kfp_workflow(&dir));
    assert!(graph.kfp);
    assert_eq!(
        names(&graph),
        ["Producer", "Consumer"],
        "one node per task; root-driver and root are gone"
    );
    assert!(
        graph.groups.is_empty(),
        "the root DAG is not shown as a group: {:?}",
        graph.groups
    );
    assert_eq!(edges(&graph), [pair("Producer", "Consumer")]);

    let producer = node(&graph, "Producer");
    assert_eq!(producer.name, format!("{KFP_WF}.root.write-to-gcs"));
    assert_eq!(
        producer.id,
        node_id(KFP_WF, &producer.name),
        "the ID is the executor DAG's"
    );
    assert_eq!(producer.phase, Phase::Succeeded);
    assert_eq!(producer.retries(), 1);
    assert_eq!(producer.attempts.len(), 2);
    assert_eq!(producer.attempts[0].phase, Phase::Error);
    let latest = format!("{KFP_WF}.root.write-to-gcs.executor(1)");
    let expected_pod = pod_name(
        KFP_WF,
        &latest,
        Some("system-container-impl"),
        "",
        PodNameFormat::V2,
    );
    assert_eq!(
        producer.pod_name.as_deref(),
        Some(expected_pod.as_str()),
        "the pod is the latest executor's"
    );
    assert!(expected_pod.starts_with(&format!("{KFP_WF}-system-container-impl-")));
    let kfp = producer.kfp.as_ref().unwrap();
    assert_eq!(kfp.task, "write-to-gcs");
    assert!(
        kfp.driver_pod
            .as_deref()
            .unwrap()
            .starts_with(&format!("{KFP_WF}-system-container-driver-"))
    );
    assert!(
        producer.outputs.parameters.is_empty(),
        "KFP's pod-spec-patch is not a user output"
    );
    assert_eq!(
        producer.outputs.artifacts[0].uri.as_deref(),
        Some("s3://mlpipeline/artifacts/x7k2p/main.log")
    );
    assert_eq!(producer.exit_code.as_deref(), Some("0"));
    assert_eq!(
        producer.started_at,
        Some(t("2025-03-04T10:00:13Z")),
        "from the driver's start"
    );

    let consumer = node(&graph, "Consumer");
    assert_eq!(consumer.phase, Phase::Cached, "a skipped executor is a cache hit");
    assert!(consumer.is_cached());
    assert_eq!(consumer.pod_name, None, "a cached task ran no executor pod");
    assert!(
        consumer.logs_pod().unwrap().contains("system-container-driver"),
        "logs fall back to the driver"
    );
}

#[test]
fn kfp_driver_failure_fails_the_task_and_prefixed_templates_fold() {
    let wf = "p-1";
    let n = |name: &str, kind: &str, template: &str, phase: &str, children: &[&str]| {
        let full = format!("{wf}.{name}");
        let children: Vec<String> = children
            .iter()
            .map(|c| node_id(wf, &format!("{wf}.{c}")))
            .collect();
        (
            node_id(wf, &full),
            json!({"id": node_id(wf, &full), "name": full, "displayName": name, "type": kind,
            "templateName": template, "phase": phase, "children": children,
            "message": if phase == "Failed" { "driver: bad input" } else { "" }}),
        )
    };
    let nodes = [
        n(
            "root.a-driver",
            "Pod",
            "metadata-1-0-system-container-driver",
            "Succeeded",
            &["root.a"],
        ),
        n(
            "root.a",
            "DAG",
            "retry-system-container-executor",
            "Running",
            &["root.a.executor"],
        ),
        n(
            "root.a.executor",
            "Pod",
            "retry-metadata-1-0-system-container-impl",
            "Running",
            &[],
        ),
        n("root.b-driver", "Pod", "system-container-driver", "Failed", &[]),
        n(
            "root.c-driver",
            "Pod",
            "system-container-driver",
            "Succeeded",
            &[],
        ),
        n("root.d-driver", "Pod", "system-container-driver", "Running", &[]),
    ];
    let wfv = json!({"metadata": {"name": wf}, "status": {"nodes": nodes.into_iter().collect::<serde_json::Map<_, _>>()}});
    let graph = graph_of(&wfv);
    let phase = |name: &str| {
        graph
            .nodes
            .iter()
            .find(|x| x.kfp.as_ref().unwrap().task == name)
            .unwrap()
            .phase
    };
    assert_eq!(graph.nodes.len(), 4);
    assert_eq!(
        phase("a"),
        Phase::Running,
        "prefixed templates fold; the executor's phase wins"
    );
    assert_eq!(phase("b"), Phase::Failed, "driver failed → task failed");
    assert_eq!(
        phase("c"),
        Phase::Pending,
        "driver done, executor not started yet"
    );
    assert_eq!(phase("d"), Phase::Running, "driver running → task running");
    let b = graph
        .nodes
        .iter()
        .find(|x| x.kfp.as_ref().unwrap().task == "b")
        .unwrap();
    assert_eq!(b.message.as_deref(), Some("driver: bad input"));
    assert_eq!(
        b.id,
        node_id(wf, &format!("{wf}.root.b")),
        "the ID of a task is stable before its DAG exists"
    );
}

#[test]
fn kfp_runtime_role_annotation_marks_drivers() {
    let wf = json!({
        "metadata": {"name": "w"},
        "spec": {"templates": [
            {"name": "my-driver", "metadata": {"annotations": {"pipelines.kubeflow.org/runtime-role": "driver"}}},
            {"name": "my-launcher", "metadata": {"annotations": {"pipelines.kubeflow.org/runtime-role": "launcher"}}},
        ]},
        "status": {"nodes": {
            "w-1": {"id": "w-1", "name": "w.t-driver", "type": "Pod", "templateName": "my-driver", "phase": "Succeeded",
                    "children": ["w-2"]},
            "w-2": {"id": "w-2", "name": "w.t.executor", "type": "Pod", "templateName": "my-launcher", "phase": "Running"},
        }},
    });
    let graph = graph_of(&wf);
    assert_eq!(graph.nodes.len(), 1, "{:?}", names(&graph));
    assert_eq!(graph.nodes[0].display_name, "t");
    assert_eq!(graph.nodes[0].phase, Phase::Running);
}

#[test]
fn retry_nodes_become_one_node_with_attempts() {
    let Some(dir) = fixtures_dir() else {
        return;
    };
    let graph = graph_of(&load(&dir, DAG_RETRY_OK));
    assert_eq!(names(&graph), ["step1"]);
    let step = &graph.nodes[0];
    assert_eq!(step.phase, Phase::Succeeded);
    assert_eq!(step.retries(), 2);
    let attempts: Vec<_> = step
        .attempts
        .iter()
        .map(|a| (a.display_name.as_str(), a.phase))
        .collect();
    assert_eq!(
        attempts,
        [
            ("step1(0)", Phase::Failed),
            ("step1(1)", Phase::Failed),
            ("step1(2)", Phase::Succeeded)
        ]
    );
    let latest = "dag-with-retries-4wkh8.step1(2)";
    assert_eq!(
        step.pod_name.as_deref(),
        Some(
            format!(
                "dag-with-retries-4wkh8-randomly-fail-{}",
                kftui::runs::fnv32a(latest)
            )
            .as_str()
        )
    );
    assert_eq!(
        step.id, "dag-with-retries-4wkh8-2805650605",
        "the Retry node's ID"
    );

    let graph = graph_of(&load(&dir, DAG_FAILED));
    assert_eq!(names(&graph), ["A", "B", "C", "D", "E"]);
    assert_eq!(
        edges(&graph),
        [pair("A", "B"), pair("A", "C"), pair("B", "D"), pair("D", "E")]
    );
    let c = node(&graph, "C");
    assert_eq!((c.phase, c.retries()), (Phase::Failed, 1));
    assert_eq!(
        c.message.as_deref(),
        Some("failed with exit code 2"),
        "the latest attempt's message"
    );
    assert_eq!(node(&graph, "B").retries(), 0);
    assert_eq!(node(&graph, "B").attempts.len(), 1);
    let layers: Vec<usize> = graph.nodes.iter().map(|n| n.layer).collect();
    assert_eq!(layers, [0, 1, 1, 2, 3]);
}

#[test]
fn nested_dags_become_groups_and_edges_pass_through_them() {
    let Some(dir) = fixtures_dir() else {
        return;
    };
    let graph = graph_of(&load(&dir, DAG_RETRY_NODES));
    assert_eq!(names(&graph), ["success1", "fail", "success2"]);
    assert_eq!(
        edges(&graph),
        [pair("fail", "success2"), pair("success1", "fail")]
    );
    assert_eq!(graph.groups.len(), 1);
    assert_eq!(graph.groups[0].display_name, "sub-dag1");
    assert_eq!(graph.groups[0].phase, Phase::Failed);
    assert_eq!(node(&graph, "fail").group, Some(0));
    assert_eq!(node(&graph, "success2").phase, Phase::Omitted);
    assert_eq!(node(&graph, "success2").node_type, NodeType::Skipped);
    let fail = node(&graph, "fail");
    assert_eq!(fail.exit_code.as_deref(), Some("1"));
    assert_eq!(
        fail.outputs.artifacts[0].uri.as_deref(),
        Some("s3://my-bucket/retry-with-dags/retry-with-dags-3153835778/main.log")
    );
}

#[test]
fn steps_keep_their_groups_and_order() {
    let Some(dir) = fixtures_dir() else {
        return;
    };
    let graph = graph_of(&load(&dir, STEPS_RUNNING));
    assert_eq!(names(&graph), ["fail", "delayed-fail"]);
    assert_eq!(
        graph.groups.len(),
        1,
        "the parallel step group shows; the Steps root does not"
    );
    assert_eq!(graph.groups[0].display_name, "[0]");
    assert_eq!(node(&graph, "fail").phase, Phase::Failed);
    assert_eq!(node(&graph, "delayed-fail").phase, Phase::Running);
    assert_eq!(node(&graph, "delayed-fail").retries(), 1);
}

#[test]
fn stepgroups_chain_in_order() {
    // [a] → [b, c] → [d]: edges a→b, a→c, b→d, c→d.
    let wf = "s";
    let id = |n: &str| node_id(wf, n);
    let node = |name: &str, kind: &str, children: &[&str]| {
        let children: Vec<String> = children.iter().map(|c| id(c)).collect();
        (
            id(name),
            json!({"id": id(name), "name": name, "displayName": name.rsplit('.').next().unwrap(),
            "type": kind, "phase": "Succeeded", "boundaryID": "s", "templateName": "t", "children": children}),
        )
    };
    let nodes = [
        (
            wf.to_string(),
            json!({"id": "s", "name": "s", "type": "Steps", "phase": "Succeeded", "children": [id("s[0]")]}),
        ),
        node("s[0]", "StepGroup", &["s[0].a"]),
        node("s[0].a", "Pod", &["s[1]"]),
        node("s[1]", "StepGroup", &["s[1].b", "s[1].c"]),
        node("s[1].b", "Pod", &["s[2]"]),
        node("s[1].c", "Pod", &["s[2]"]),
        node("s[2]", "StepGroup", &["s[2].d"]),
        node("s[2].d", "Pod", &[]),
    ];
    let graph = graph_of(
        &json!({"metadata": {"name": wf}, "status": {"nodes": nodes.into_iter().collect::<serde_json::Map<_, _>>()}}),
    );
    assert_eq!(names(&graph), ["a", "b", "c", "d"]);
    assert_eq!(
        edges(&graph),
        [pair("a", "b"), pair("a", "c"), pair("b", "d"), pair("c", "d")]
    );
    assert_eq!(graph.groups.len(), 1, "only the parallel group [1] is a group");
}

// ---------------------------------------------------------------------------------------------
// compressedNodes, pod names

#[test]
fn compressed_nodes_round_trip() {
    let Some(dir) = fixtures_dir() else {
        return;
    };
    let mut wf = load(&dir, DAG_FAILED);
    let plain = graph_of(&wf);
    let nodes = wf["status"]["nodes"].take();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(serde_json::to_string(&nodes).unwrap().as_bytes())
        .unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
    wf["status"]["compressedNodes"] = json!(b64);
    let mut decoded = graph_of(&wf);
    assert!(decoded.from_compressed);
    decoded.from_compressed = false;
    assert_eq!(decoded, plain);
    assert_eq!(
        kftui::runs::decode_compressed(&b64).unwrap(),
        *nodes.as_object().unwrap()
    );
}

#[test]
fn pod_names_match_the_fixture_node_ids() {
    let Some(dir) = fixtures_dir() else {
        return;
    };
    let mut checked = 0;
    for (_, file) in REAL {
        let wf = load(&dir, file);
        let name = wf["metadata"]["name"].as_str().unwrap();
        for (id, n) in wf["status"]["nodes"].as_object().unwrap() {
            let node_name = n["name"].as_str().unwrap();
            assert_eq!(&node_id(name, node_name), id, "{file}: node ID of {node_name}");
            if n["type"] != "Pod" {
                continue;
            }
            let template = n["templateName"].as_str();
            let hash = id.rsplit('-').next().unwrap();
            let v2 = pod_name(name, node_name, template, id, PodNameFormat::V2);
            assert_eq!(
                v2,
                format!("{name}-{}-{hash}", template.unwrap()),
                "{file}: {node_name}"
            );
            assert_eq!(pod_name(name, node_name, template, id, PodNameFormat::V1), *id);
            checked += 1;
        }
    }
    assert!(checked >= 15, "checked {checked} pods");

    // The graph uses v1 names when the workflow asks for them.
    let mut wf = load(&dir, DAG_RETRY_OK);
    wf["metadata"]["annotations"] = json!({"workflows.argoproj.io/pod-name-format": "v1"});
    let graph = graph_of(&wf);
    assert_eq!(
        graph.nodes[0].pod_name.as_deref(),
        Some("dag-with-retries-4wkh8-2172006682")
    );
    // templateRef nodes use the referenced template's name.
    let wf = json!({"metadata": {"name": "w"}, "status": {"nodes": {"w-1": {
        "id": "w-1", "name": "w.x", "type": "Pod", "phase": "Running",
        "templateRef": {"name": "lib", "template": "whalesay"}}}}});
    let pod = graph_of(&wf).nodes[0].pod_name.clone().unwrap();
    assert_eq!(pod, format!("w-whalesay-{}", kftui::runs::fnv32a("w.x")));
}

// ---------------------------------------------------------------------------------------------
// Navigation and live sync

#[test]
fn navigation_moves_through_the_layout() {
    let Some(dir) = fixtures_dir() else {
        return;
    };
    let graph = graph_of(&load(&dir, DAG_FAILED));
    let big = area(200, 50);
    let mut view = GraphView::new(&graph);
    assert_eq!(view.layout(&graph, big).mode, LayoutMode::Layered);
    let sel = |v: &GraphView| v.selected_node(&graph).unwrap().display_name.clone();
    view.select_first(&graph);
    assert_eq!(sel(&view), "A");
    view.move_right(&graph, big);
    assert_eq!(sel(&view), "B");
    view.move_down(&graph, big);
    assert_eq!(sel(&view), "C");
    view.move_up(&graph, big);
    assert_eq!(sel(&view), "B");
    view.move_right(&graph, big);
    assert_eq!(sel(&view), "D");
    view.move_left(&graph, big);
    assert_eq!(sel(&view), "B");
    view.select_child(&graph);
    assert_eq!(sel(&view), "D");
    view.select_parent(&graph);
    assert_eq!(sel(&view), "B");
    view.select_next(&graph);
    assert_eq!(sel(&view), "C");
    view.select_prev(&graph);
    view.select_prev(&graph);
    view.select_prev(&graph);
    assert_eq!(sel(&view), "A", "stops at the first");
    view.select_last(&graph);
    assert_eq!(sel(&view), "E");

    view.set_mode(ViewMode::Tree);
    view.move_up(&graph, big);
    assert_eq!(sel(&view), "D", "tree: up is the previous row");
    view.move_left(&graph, big);
    assert_eq!(sel(&view), "B", "tree: left is the dependency");
}

#[test]
fn keep_visible_scrolls_a_long_tree() {
    let wf = synthetic_chain(60);
    let graph = graph_of(&wf);
    let mut view = GraphView::new(&graph);
    view.set_mode(ViewMode::Tree);
    let small = area(80, 10);
    view.select_last(&graph);
    view.keep_visible(&graph, small);
    let layout = view.layout(&graph, small);
    let row = layout.row_of(graph.nodes.len() - 1).unwrap();
    let (_, sy) = view.scroll();
    assert!(sy <= row && row < sy + 10, "row {row} visible from {sy}");
    let text = screen(&draw(&graph, &view, 80, 10, t("2024-01-01T01:00:00Z")));
    assert!(text.contains("step-59"), "{text}");
    view.select_first(&graph);
    view.keep_visible(&graph, small);
    assert_eq!(view.scroll(), (0, 0));
}

#[test]
fn live_updates_keep_the_selection_and_the_scroll() {
    let Some(dir) = fixtures_dir() else {
        return;
    };
    let mut wf = load(&dir, DAG_RUNNING);
    let graph = graph_of(&wf);
    let mut view = GraphView::new(&graph);
    let small = area(30, 3);
    view.set_mode(ViewMode::Tree);
    view.select(&graph, &node(&graph, "B").id.clone());
    view.keep_visible(&graph, small);
    let before = (view.selected().map(str::to_string), view.scroll());

    // Progress: D starts, after B and C.
    let d_name = "dag-fail-r4gvc.D";
    let d_id = node_id("dag-fail-r4gvc", d_name);
    let nodes = wf["status"]["nodes"].as_object_mut().unwrap();
    nodes.insert(
        d_id.clone(),
        json!({"id": d_id, "name": d_name, "displayName": "D", "type": "Pod",
        "templateName": "echo", "phase": "Running", "startedAt": "2018-08-01T09:58:02Z",
        "boundaryID": "dag-fail-r4gvc"}),
    );
    for parent in ["dag-fail-r4gvc-831398187", "dag-fail-r4gvc-814620568"] {
        nodes[parent]["children"] = json!([d_id]);
    }
    let next = graph_of(&wf);
    assert_eq!(next.nodes.len(), graph.nodes.len() + 1);
    view.sync(&next);
    assert_eq!((view.selected().map(str::to_string), view.scroll()), before);
    assert_eq!(view.selected_node(&next).unwrap().display_name, "B");

    // A selected node that disappears (retry removed it): the neighbour is selected.
    view.select(&next, &d_id);
    view.sync(&graph);
    assert!(view.selected_node(&graph).is_some());

    // Another run: the view starts over.
    let other = graph_of(&load(&dir, DAG_FAILED));
    view.sync(&other);
    assert_eq!(view.selected_node(&other).unwrap().display_name, "C");
}

// ---------------------------------------------------------------------------------------------
// Scale

/// A chain of `n` pods (a long tree).
fn synthetic_chain(n: usize) -> Value {
    let wf = "chain";
    let mut nodes = serde_json::Map::new();
    let name = |i: usize| format!("{wf}.step-{i}");
    nodes.insert(
        wf.into(),
        json!({"id": wf, "name": wf, "type": "DAG", "phase": "Running",
        "children": [node_id(wf, &name(0))]}),
    );
    for i in 0..n {
        let children: Vec<String> = if i + 1 < n {
            vec![node_id(wf, &name(i + 1))]
        } else {
            vec![]
        };
        nodes.insert(
            node_id(wf, &name(i)),
            json!({"id": node_id(wf, &name(i)), "name": name(i),
            "displayName": format!("step-{i}"), "type": "Pod", "templateName": "t", "phase": "Succeeded",
            "boundaryID": wf, "children": children,
            "startedAt": "2024-01-01T00:00:00Z", "finishedAt": "2024-01-01T00:00:30Z"}),
        );
    }
    json!({"metadata": {"name": wf}, "status": {"phase": "Running", "nodes": Value::Object(nodes)}})
}

#[test]
fn a_two_thousand_node_graph_lays_out_both_ways() {
    let wf = synthetic_chain(2000);
    let graph = graph_of(&wf);
    assert_eq!(graph.nodes.len(), 2000);
    let tree = GraphLayout::tree(&graph, 80);
    assert_eq!(tree.rows.len(), 2000);
    let layered = GraphLayout::compute(&graph, 200, 50, ViewMode::Layered);
    assert_eq!(layered.mode, LayoutMode::Layered);
    assert_eq!(layered.columns.len(), 2000);
    let auto = GraphLayout::compute(&graph, 200, 50, ViewMode::Auto);
    assert_eq!(auto.mode, LayoutMode::Tree, "2,000 columns do not fit 200 cells");
}

#[test]
fn a_wide_dag_routes_edges_through_the_gaps() {
    let wf = kftui::runs::synthetic::wide_deep_dag("synth", 5, 4);
    let graph = graph_of(&wf);
    assert_eq!(graph.nodes.len(), 20);
    let now = t("2024-05-01T10:06:00Z");
    let mut view = GraphView::new(&graph);
    for (w, h) in [(200, 50), (80, 24)] {
        view.set_mode(ViewMode::Auto);
        view.keep_visible(&graph, area(w, h));
        insta::assert_snapshot!(
            format!("synthetic_dag_{w}x{h}"),
            draw(&graph, &view, w, h, now).backend()
        );
    }
}

#[test]
fn exit_handlers_come_last_suspends_pause_and_container_sets_fold() {
    let wf = "w";
    let id = |n: &str| node_id(wf, n);
    let n = |name: &str, kind: &str, phase: &str, children: &[&str], boundary: &str| {
        let children: Vec<String> = children.iter().map(|c| id(c)).collect();
        (
            id(name),
            json!({"id": id(name), "name": name, "displayName": name.rsplit('.').next().unwrap(),
            "type": kind, "phase": phase, "templateName": "t", "boundaryID": boundary, "children": children,
            "startedAt": "2024-01-01T00:00:00Z"}),
        )
    };
    let nodes = [
        (
            wf.to_string(),
            json!({"id": "w", "name": "w", "type": "DAG", "phase": "Running", "children": [id("w.a")]}),
        ),
        n("w.a", "Pod", "Succeeded", &["w.approve", "w.loop"], "w"),
        n("w.approve", "Suspend", "Running", &[], "w"),
        n(
            "w.loop",
            "TaskGroup",
            "Running",
            &["w.loop(0:x)", "w.loop(1:y)"],
            "w",
        ),
        n("w.loop(0:x)", "Pod", "Running", &[], "w"),
        n("w.loop(1:y)", "Pod", "Pending", &["w.loop(1:y).main"], "w"),
        n("w.loop(1:y).main", "Container", "Pending", &[], "w"),
        n("w.onExit", "Pod", "Pending", &[], ""),
    ];
    let wfv = json!({"metadata": {"name": wf}, "status": {"nodes": nodes.into_iter().collect::<serde_json::Map<_, _>>()}});
    let graph = graph_of(&wfv);
    assert_eq!(
        names(&graph),
        ["a", "approve", "loop(0:x)", "loop(1:y)", "onExit"],
        "containers fold into their pod"
    );
    assert_eq!(
        edges(&graph),
        [
            pair("a", "approve"),
            pair("a", "loop(0:x)"),
            pair("a", "loop(1:y)")
        ]
    );
    assert_eq!(
        node(&graph, "onExit").layer,
        2,
        "the exit handler is laid out after the main run"
    );
    assert_eq!(graph.groups.len(), 1);
    assert_eq!(graph.groups[0].display_name, "loop");
    assert!(node(&graph, "approve").is_suspended());
    let mut view = GraphView::new(&graph);
    view.set_mode(ViewMode::Tree);
    let text = screen(&draw(&graph, &view, 80, 8, t("2024-01-01T00:01:00Z")));
    assert!(text.contains("‖ approve"), "{text}");
    assert!(text.contains("● loop"), "{text}");
    assert!(text.contains("├─ ● loop(0:x)"), "{text}");
}
