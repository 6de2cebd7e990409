#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]
//! Shared helpers for the headless UI tests (flows.rs, render.rs, screenshots.rs): a fixed clock,
//! sample runs, and a render harness.

use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use kftui::app::msg::{DataEvent, Msg};
use kftui::app::state::{ConnState, State, Target};
use kftui::app::subs::{Kind, SubKey};
use kftui::app::update::update;
use kftui::config::keymap::Keymap;
use kftui::config::theme::Theme;
use kftui::kube::resources::workflow::{RunRow, WorkflowLite};
use kftui::ui::{View, render};

/// The fixed "now" every headless test sees.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T15:00:00Z")
        .unwrap()
        .to_utc()
}

pub fn ts(ago: Duration) -> String {
    (now() - ago).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn keymap() -> Keymap {
    Keymap::builtin("default").unwrap()
}

pub fn theme(name: &str) -> Theme {
    Theme::builtin(name).unwrap()
}

/// A Workflow as the API server would send it.
pub fn workflow(
    name: &str,
    ns: &str,
    phase: &str,
    progress: &str,
    created_ago: i64,
    finished_ago: Option<i64>,
    kfp: Option<(&str, &str)>,
) -> serde_json::Value {
    let mut meta = serde_json::json!({
        "name": name, "namespace": ns, "uid": format!("uid-{ns}-{name}"),
        "creationTimestamp": ts(Duration::seconds(created_ago)),
        "labels": {"workflows.argoproj.io/phase": phase},
    });
    if let Some((run_name, pipeline)) = kfp {
        meta["annotations"] = serde_json::json!({
            "pipelines.kubeflow.org/run_name": run_name,
            "pipelines.kubeflow.org/pipeline_name": pipeline,
        });
        meta["labels"]["pipeline/runid"] = serde_json::json!(format!("id-{name}"));
    }
    let mut status = serde_json::json!({"phase": phase, "progress": progress});
    if phase != "Pending" {
        status["startedAt"] = serde_json::json!(ts(Duration::seconds(created_ago - 2)));
    }
    if let Some(f) = finished_ago {
        status["finishedAt"] = serde_json::json!(ts(Duration::seconds(f)));
    }
    if phase == "Failed" {
        status["message"] = serde_json::json!("child 'train-model' failed: exit code 1: CUDA out of memory");
    }
    serde_json::json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": meta, "spec": {}, "status": status})
}

pub fn row(wf: serde_json::Value) -> RunRow {
    let wf: WorkflowLite = serde_json::from_value(wf).unwrap();
    RunRow::from_workflow(&wf)
}

/// A believable mix of runs in one namespace.
pub fn sample_runs() -> Vec<RunRow> {
    let ns = "kubeflow-user-example-com";
    vec![
        row(workflow(
            "xgboost-training-7k2lp",
            ns,
            "Running",
            "3/7",
            95,
            None,
            Some(("xgboost nightly 2026-11-28", "xgboost-training")),
        )),
        row(workflow("data-prep-q8x4z", ns, "Pending", "0/4", 4, None, None)),
        row(workflow(
            "bert-finetune-m2n9c",
            ns,
            "Failed",
            "5/9",
            3 * 3600,
            Some(2 * 3600 + 600),
            Some(("bert lr=3e-5", "bert-finetune")),
        )),
        row(workflow(
            "xgboost-training-5hd7w",
            ns,
            "Succeeded",
            "7/7",
            26 * 3600,
            Some(25 * 3600),
            Some(("xgboost nightly 2026-11-27", "xgboost-training")),
        )),
        row(workflow(
            "data-prep-a1b2c",
            ns,
            "Succeeded",
            "4/4",
            5 * 86400,
            Some(5 * 86400 - 300),
            None,
        )),
        row(workflow(
            "evil-\u{1b}]0;pwned\u{7}-run",
            ns,
            "Error",
            "1/3",
            40 * 86400,
            Some(40 * 86400 - 60),
            None,
        )),
    ]
}

pub fn key_for(ns: Option<&str>) -> SubKey {
    SubKey {
        context: "kftui-sim".into(),
        namespace: ns.map(str::to_string),
        kind: Kind::Workflows,
        selector: None,
        field: None,
    }
}

/// A State connected to `kftui-sim` and the given namespace, with `rows` delivered through
/// `update` as a watch would deliver them.
pub fn state_with(width: u16, height: u16, ns: &str, rows: Vec<RunRow>) -> State {
    let target = Target {
        context: "kftui-sim".into(),
        namespace: Some(ns.into()),
        server_version: Some("v1.32.0-kftui-sim".into()),
        conn: ConnState::Connected,
        demo: true,
    };
    let mut state = State::new(target, now());
    let km = keymap();
    update(&mut state, &km, Msg::Resize { width, height });
    let key = key_for(Some(ns));
    assert!(
        state.subs.contains(&key),
        "the state subscribes to its namespace's runs"
    );
    update(
        &mut state,
        &km,
        Msg::Data(DataEvent::Runs {
            key,
            rows: Arc::from(rows),
        }),
    );
    state
}

/// The sample runs in `kubeflow-user-example-com`.
pub fn loaded_state(width: u16, height: u16) -> State {
    state_with(width, height, "kubeflow-user-example-com", sample_runs())
}

/// Renders the state into a test terminal of the given size.
pub fn draw(state: &State, width: u16, height: u16, theme: &Theme) -> Terminal<TestBackend> {
    let km = keymap();
    let view = View {
        theme,
        keymap: &km,
        tz: FixedOffset::east_opt(0).unwrap(),
    };
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| render(state, &view, f)).unwrap();
    term
}

/// Presses keys given in keymap notation (`"/"`, `"g g"`, `"esc"`).
pub fn press(state: &mut State, keys: &str) -> Vec<kftui::app::effect::Effect> {
    let km = keymap();
    let mut effects = Vec::new();
    for k in kftui::config::keymap::parse_keys(keys).unwrap() {
        effects.extend(update(state, &km, Msg::Key(k)));
    }
    effects
}

/// Types text into whatever input is open.
pub fn type_text(state: &mut State, text: &str) {
    let km = keymap();
    for c in text.chars() {
        update(state, &km, Msg::Key(kftui::config::keymap::Key::char(c)));
    }
}
