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

/// A Notebook as the API server would send it, projected to its row.
pub fn notebook_row(json: serde_json::Value) -> kftui::kube::resources::notebook::NotebookRow {
    let nb: kftui::kube::resources::notebook::NotebookLite = serde_json::from_value(json).unwrap();
    kftui::kube::resources::notebook::NotebookRow::from_notebook(&nb)
}

/// An InferenceService as the API server would send it, projected to its row.
pub fn model_row(json: serde_json::Value) -> kftui::kube::resources::inference_service::IsvcRow {
    let o: kftui::kube::resources::inference_service::IsvcLite = serde_json::from_value(json).unwrap();
    kftui::kube::resources::inference_service::IsvcRow::from_isvc(&o)
}

fn nb_json(
    name: &str,
    server: &str,
    image: &str,
    resources: serde_json::Value,
    annotations: serde_json::Value,
    status: serde_json::Value,
    age_min: i64,
) -> serde_json::Value {
    let mut ann = serde_json::json!({
        "notebooks.kubeflow.org/server-type": server,
        "notebooks.kubeflow.org/last-activity": ts(Duration::minutes(age_min / 3)),
    });
    if let (Some(a), Some(extra)) = (ann.as_object_mut(), annotations.as_object()) {
        a.extend(extra.clone());
    }
    serde_json::json!({
        "metadata": {"name": name, "namespace": "kubeflow-user-example-com", "uid": format!("nb-{name}"),
            "creationTimestamp": ts(Duration::minutes(age_min)), "annotations": ann},
        "spec": {"template": {"spec": {"containers": [{"name": name, "image": image, "resources": resources}]}}},
        "status": status
    })
}

/// Notebooks in every status the Jupyter web app shows.
pub fn sample_notebooks() -> Vec<kftui::kube::resources::notebook::NotebookRow> {
    use serde_json::json;
    let small = json!({"requests": {"cpu": "500m", "memory": "1Gi"}});
    vec![
        notebook_row(nb_json(
            "jupyter-scipy",
            "jupyter",
            "kubeflownotebookswg/jupyter-scipy:v1.9.2",
            small.clone(),
            json!({}),
            json!({"readyReplicas": 1, "containerState": {"running": {}}}),
            600,
        )),
        notebook_row(nb_json(
            "vscode-dev",
            "group-one",
            "kubeflownotebookswg/codeserver-python:v1.9.2",
            json!({"requests": {"cpu": "1", "memory": "2Gi"}}),
            json!({}),
            json!({"readyReplicas": 0, "containerState": {"waiting": {"reason": "PodInitializing"}}}),
            2,
        )),
        notebook_row(nb_json(
            "rstudio-stats",
            "group-two",
            "kubeflownotebookswg/rstudio-tidyverse:v1.9.2",
            small,
            json!({"kubeflow-resource-stopped": ts(Duration::hours(3))}),
            json!({"readyReplicas": 0}),
            3000,
        )),
        notebook_row(nb_json(
            "pytorch-gpu",
            "jupyter",
            "kubeflownotebookswg/jupyter-pytorch-cuda-full:v1.10.0-rc.9",
            json!({"requests": {"cpu": "4", "memory": "16Gi"}, "limits": {"nvidia.com/gpu": "1"}}),
            json!({}),
            json!({"readyReplicas": 0, "containerState": {"waiting": {"reason": "ImagePullBackOff",
                "message": "Back-off pulling image \"kubeflownotebookswg/jupyter-pytorch-cuda-full:v1.10.0-rc.9\""}}}),
            45,
        )),
    ]
}

/// Models: a ready one, a canary, a failing one and a stopped one.
pub fn sample_models() -> Vec<kftui::kube::resources::inference_service::IsvcRow> {
    use serde_json::json;
    let meta = |name: &str, age_min: i64, ann: serde_json::Value| {
        json!({"name": name, "namespace": "kubeflow-user-example-com", "uid": format!("isvc-{name}"),
            "creationTimestamp": ts(Duration::minutes(age_min)), "annotations": ann})
    };
    let ready = json!([{"type": "PredictorReady", "status": "True"}, {"type": "Ready", "status": "True"}]);
    vec![
        model_row(json!({
            "metadata": meta("sklearn-iris", 1440, json!({"serving.kserve.io/deploymentMode": "RawDeployment"})),
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "runtime": "kserve-sklearnserver",
                "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model"}}},
            "status": {"url": "http://sklearn-iris.kubeflow-user-example-com.example.com", "conditions": ready}
        })),
        model_row(json!({
            "metadata": meta("flowers", 300, json!({})),
            "spec": {"predictor": {"canaryTrafficPercent": 20, "tensorflow": {
                "storageUri": "gs://kfserving-examples/models/tensorflow/flowers-2"}}},
            "status": {"url": "http://flowers.kubeflow-user-example-com.example.com", "conditions": ready,
                "deploymentMode": "Serverless",
                "components": {"predictor": {"traffic": [
                    {"revisionName": "flowers-predictor-00002", "latestRevision": true, "percent": 20},
                    {"revisionName": "flowers-predictor-00001", "latestRevision": false, "percent": 80}]}}}
        })),
        model_row(json!({
            "metadata": meta("xgb-broken", 30, json!({})),
            "spec": {"predictor": {"model": {"modelFormat": {"name": "xgboost"},
                "storageUri": "s3://models/xgb/missing"}}},
            "status": {"conditions": [
                {"type": "IngressReady", "status": "Unknown"},
                {"type": "PredictorReady", "status": "False", "reason": "ModelLoadFailed"},
                {"type": "Ready", "status": "False", "reason": "ModelLoadFailed"}]}
        })),
        model_row(json!({
            "metadata": meta("llm-paused", 5000, json!({"serving.kserve.io/stop": "true"})),
            "spec": {"predictor": {"model": {"modelFormat": {"name": "huggingface"},
                "storageUri": "hf://meta-llama/Llama-3.2-1B"}}},
            "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Stopped"},
                {"type": "Stopped", "status": "True"}]}
        })),
    ]
}

/// The watch key a pane's kind subscribes in a namespace.
pub fn kind_key(kind: Kind, ns: Option<&str>) -> SubKey {
    SubKey { kind, ..key_for(ns) }
}

/// The loaded state switched to the Notebooks pane (key `4`), with the sample notebooks
/// delivered through the watch it subscribes.
pub fn notebooks_state(width: u16, height: u16) -> State {
    let mut state = loaded_state(width, height);
    press(&mut state, "4");
    let key = kind_key(Kind::Notebooks, Some("kubeflow-user-example-com"));
    assert!(
        state.subs.contains(&key),
        "the Notebooks pane subscribes to notebooks"
    );
    let rows = Arc::from(sample_notebooks());
    update(
        &mut state,
        &keymap(),
        Msg::Data(DataEvent::Notebooks { key, rows }),
    );
    state
}

/// The loaded state switched to the Models pane (key `5`), with the sample models delivered.
pub fn models_state(width: u16, height: u16) -> State {
    let mut state = loaded_state(width, height);
    press(&mut state, "5");
    let key = kind_key(Kind::InferenceServices, Some("kubeflow-user-example-com"));
    assert!(
        state.subs.contains(&key),
        "the Models pane subscribes to InferenceServices"
    );
    let rows = Arc::from(sample_models());
    update(&mut state, &keymap(), Msg::Data(DataEvent::Models { key, rows }));
    state
}

pub mod kubeflow;
