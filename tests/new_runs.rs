#![allow(clippy::unwrap_used, clippy::expect_used)]
//! New runs from the keyboard against the embedded cluster: from a KFP pipeline version, from a
//! WorkflowTemplate, as a copy of a run with edited parameters; and marked runs compared.

#[path = "support/app.rs"]
mod app_support;
#[path = "support/sim.rs"]
mod sim_support;

use std::time::Duration;

use app_support::App;
use kftui::app::picker::PickerKind;
use kftui::app::state::SourceState;
use kube::api::{Api, DynamicObject};
use serde_json::Value;
use sim_support::{NS, client, workflow_resource};

async fn workflow(app: &App, name: &str) -> Value {
    let api: Api<DynamicObject> = Api::namespaced_with(client(&app.sim), NS, &workflow_resource());
    serde_json::to_value(api.get(name).await.unwrap()).unwrap()
}

async fn runs_listed(app: &mut App) {
    app.until("the runs", |s| {
        s.runs.source == SourceState::Live && !s.runs.rows.is_empty()
    })
    .await;
}

/// Opens the new-run picker and waits for its sources.
async fn open_sources(app: &mut App) {
    app.press("+");
    app.until("the run sources", |s| {
        s.picker
            .as_ref()
            .is_some_and(|p| p.kind == PickerKind::RunSource && !p.loading)
    })
    .await;
}

fn param(wf: &Value, name: &str) -> Option<String> {
    wf.pointer("/spec/arguments/parameters")?
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["value"].as_str())
        .map(String::from)
}

/// The value a KFP run was given, from its root driver's runtime config.
fn kfp_param(wf: &Value, name: &str) -> Option<String> {
    let col = kftui::runs::compare::column(wf);
    col.params.get(name).cloned()
}

#[tokio::test]
async fn a_kfp_pipeline_version_starts_with_a_changed_typed_parameter() {
    let mut app = App::start().await;
    runs_listed(&mut app).await;
    open_sources(&mut app).await;
    assert!(app.screen_has("New run from"), "{}", app.screen().join("\n"));
    app.type_text("xgboost");
    app.press("enter");
    let form = app
        .state
        .form
        .as_ref()
        .expect("the form opens on the chosen source");
    assert!(form.title.starts_with("pipeline "), "{}", form.title);
    let labels: Vec<&str> = form.fields.iter().map(|f| f.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "run name",
            "experiment",
            "learning_rate",
            "max_depth",
            "n_estimators"
        ]
    );
    assert!(app.screen_has("int, default 4"), "{}", app.screen().join("\n"));
    // max_depth is an int: a word is refused as you type, the form names it.
    app.press("tab tab tab");
    assert_eq!(
        app.state.form.as_ref().unwrap().fields[3].text(),
        "4",
        "pre-filled"
    );
    app.press("backspace");
    app.type_text("deep");
    assert!(
        app.screen_has("\"deep\" is not an integer"),
        "{}",
        app.screen().join("\n")
    );
    app.press("ctrl-s");
    assert!(app.state.form.as_ref().unwrap().submitting.is_none());
    for _ in 0..4 {
        app.press("backspace");
    }
    app.type_text("9");
    app.press("ctrl-s");
    app.until("the run to be created", |s| s.form.is_none()).await;
    let detail = app.state.detail.as_ref().expect("the new run is opened");
    let name = detail.name.clone();
    let wf = workflow(&app, &name).await;
    assert_eq!(kfp_param(&wf, "max_depth").as_deref(), Some("9"));
    assert_eq!(kfp_param(&wf, "learning_rate").as_deref(), Some("0.01"));
    assert!(
        wf.pointer("/metadata/annotations/pipelines.kubeflow.org~1run_name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.starts_with("Run of ")),
        "the KFP display name is the form's run name"
    );
    app.until("the new run selected in the list", |s| {
        s.runs.selected_row().is_some_and(|r| r.name == name)
    })
    .await;
    app.sim.shutdown().await;
}

#[tokio::test]
async fn a_workflow_template_run_executes_the_template() {
    let mut app = App::start().await;
    runs_listed(&mut app).await;
    open_sources(&mut app).await;
    app.type_text("data-prep");
    app.press("enter");
    let form = app.state.form.as_ref().expect("the template form opens");
    assert_eq!(form.title, "workflowtemplate data-prep-template");
    // run name, then the template's one parameter.
    app.press("tab");
    for _ in 0.."s3://kf-demo-data/events".len() {
        app.press("backspace");
    }
    app.type_text("s3://other/events");
    app.press("enter");
    app.until("the run to be created", |s| s.form.is_none()).await;
    let name = app.state.detail.as_ref().unwrap().name.clone();
    assert!(name.starts_with("data-prep-template-"), "{name}");
    let wf = workflow(&app, &name).await;
    assert_eq!(
        wf.pointer("/spec/workflowTemplateRef/name")
            .and_then(Value::as_str),
        Some("data-prep-template")
    );
    assert_eq!(param(&wf, "source").as_deref(), Some("s3://other/events"));
    assert_eq!(
        wf.pointer("/metadata/labels/workflows.argoproj.io~1workflow-template")
            .and_then(Value::as_str),
        Some("data-prep-template")
    );
    // The cluster runs the template's steps.
    app.until("the template's steps in the graph", |s| {
        s.detail
            .as_ref()
            .and_then(|d| d.graph())
            .is_some_and(|g| g.nodes.iter().any(|n| n.display_name == "fetch"))
    })
    .await;
    app.sim.shutdown().await;
}

#[tokio::test]
async fn clone_with_edits_and_the_yaml_escape_hatch() {
    let mut app = App::start().await;
    runs_listed(&mut app).await;
    // A plain Argo run with parameters.
    let row = app
        .state
        .runs
        .visible_rows()
        .position(|r| r.pipeline.contains("data-prep") || r.name.contains("data-prep"));
    let pos = row.unwrap_or(0);
    app.state.runs.selected = pos;
    let source = app.state.runs.selected_row().unwrap().name.clone();
    app.press("c");
    app.until("the copy's form", |s| s.form.is_some()).await;
    assert!(app.state.form.as_ref().unwrap().title.contains(&source));
    // Into the YAML, name it there, submit from the editor.
    app.press("ctrl-e");
    assert!(
        app.state.form.as_ref().unwrap().yaml.is_some(),
        "{:?}",
        app.state.form.as_ref().unwrap().error
    );
    app.press("ctrl-home");
    app.press("ctrl-s");
    app.until("the copy to be created", |s| s.form.is_none()).await;
    let name = app.state.detail.as_ref().unwrap().name.clone();
    assert_ne!(name, source);
    let copy = workflow(&app, &name).await;
    let original = workflow(&app, &source).await;
    assert_eq!(copy["spec"]["templates"], original["spec"]["templates"]);
    assert!(copy.pointer("/metadata/labels/pipeline~1runid").is_none());
    app.sim.shutdown().await;
}

#[tokio::test]
async fn marked_runs_compare_side_by_side() {
    let mut app = App::start().await;
    runs_listed(&mut app).await;
    app.press("C");
    assert!(
        app.state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("mark two or more"),
        "compare needs marks"
    );
    app.command("mark re:.");
    app.press("C");
    app.until("the comparison", |s| {
        s.compare.as_ref().is_some_and(|c| c.columns.is_some())
    })
    .await;
    let cols = match &app.state.compare.as_ref().unwrap().columns {
        Some(Ok(c)) => c.clone(),
        other => panic!("{other:?}"),
    };
    assert!(cols.len() >= 2);
    let screen = app.screen().join("\n");
    assert!(screen.contains("Compare"), "{screen}");
    assert!(screen.contains("parameters"), "{screen}");
    assert!(
        screen.contains("≠"),
        "runs with different parameters are highlighted:\n{screen}"
    );
    app.press("esc");
    assert!(app.state.compare.is_none());
    app.pump(Duration::from_millis(10)).await;
    app.sim.shutdown().await;
}

#[tokio::test]
async fn kfp_history_adds_runs_whose_workflows_are_gone_and_names_experiments() {
    let mut app = App::start().await;
    app.until("KFP's history in the list", |s| {
        s.runs
            .rows
            .iter()
            .any(|r| r.origin == kftui::kube::resources::workflow::RunOrigin::History)
    })
    .await;
    let history: Vec<_> = app
        .state
        .runs
        .rows
        .iter()
        .filter(|r| r.origin == kftui::kube::resources::workflow::RunOrigin::History)
        .cloned()
        .collect();
    assert!(
        history.iter().all(|r| !r.phase.is_active()),
        "only finished runs are history"
    );
    assert!(
        history.iter().any(|r| r.experiment == "xgboost-tuning"),
        "experiment names come from KFP"
    );
    // A live KFP run is listed once, with its experiment.
    let live_kfp: Vec<_> = app
        .state
        .runs
        .rows
        .iter()
        .filter(|r| {
            r.origin != kftui::kube::resources::workflow::RunOrigin::History && r.kfp_run_id().is_some()
        })
        .collect();
    assert!(!live_kfp.is_empty());
    assert!(
        live_kfp.iter().all(|r| r.experiment == "Default"),
        "{:?}",
        live_kfp.iter().map(|r| &r.experiment).collect::<Vec<_>>()
    );
    let ids: std::collections::HashSet<_> = app
        .state
        .runs
        .rows
        .iter()
        .filter_map(|r| r.kfp_run_id())
        .collect();
    assert_eq!(
        ids.len(),
        app.state
            .runs
            .rows
            .iter()
            .filter(|r| r.kfp_run_id().is_some())
            .count(),
        "no run twice"
    );
    // Selecting one: enter explains, verbs refuse, y shows KFP's record.
    let pos = app
        .state
        .runs
        .visible_rows()
        .position(|r| r.origin == kftui::kube::resources::workflow::RunOrigin::History)
        .unwrap();
    app.state.runs.selected = pos;
    app.press("enter");
    assert!(app.state.detail.is_none());
    assert!(
        app.state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("only in KFP's history")
    );
    app.press("R");
    assert!(app.state.confirm.is_none());
    app.press("y");
    app.until("KFP's record", |s| {
        s.viewer
            .as_ref()
            .is_some_and(|v| matches!(&v.body, kftui::app::viewer::ViewBody::Text(_)))
    })
    .await;
    assert!(app.screen_has("run_id:"), "{}", app.screen().join("\n"));
    app.sim.shutdown().await;
}

#[tokio::test]
async fn a_comparison_leaves_out_runs_only_in_kfp_history_and_says_so() {
    let mut app = App::start().await;
    app.until("KFP's history and live runs", |s| {
        let history = s
            .runs
            .rows
            .iter()
            .filter(|r| r.origin == kftui::kube::resources::workflow::RunOrigin::History)
            .count();
        history > 0 && s.runs.rows.len() >= history + 2
    })
    .await;
    app.command("mark re:.");
    app.press("C");
    let text = app
        .state
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(text.contains("left out of the comparison"), "{text}");
    app.until("the comparison", |s| {
        s.compare.as_ref().is_some_and(|c| c.columns.is_some())
    })
    .await;
    assert!(
        matches!(app.state.compare.as_ref().unwrap().columns, Some(Ok(_))),
        "the runs with Workflows are compared: {:?}",
        app.state
            .compare
            .as_ref()
            .unwrap()
            .columns
            .as_ref()
            .map(|c| c.as_ref().err())
    );
    app.sim.shutdown().await;
}
