#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Pipelines pane against the embedded cluster: KFP pipelines and Argo templates in one
//! list, a pipeline's detail, uploading a pipeline and a version from a file, starting a run of
//! it with a changed parameter, and deleting.

#[path = "support/app.rs"]
mod app_support;
#[path = "support/sim.rs"]
mod sim_support;

use app_support::App;
use kftui::app::pane::PaneId;
use kftui::app::state::SourceState;
use kftui::kube::resources::pipeline::PipelineSource;
use kube::api::{Api, DynamicObject};
use sim_support::{NS, client, workflow_resource};

/// The two-step pipeline spec of the shared fixtures, or (when they are absent) the same
/// pipeline's parameters and two tasks inline.
fn two_step_spec() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/objects/kfp_pipelinespec_ir_two_step_pipeline.yaml");
    match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) => {
            eprintln!(
                "SKIPPED reading {}: not present; using an inline spec",
                path.display()
            );
            "pipelineInfo:\n  name: simple-two-step-pipeline\nroot:\n  dag:\n    tasks:\n      write-to-gcs:\n        taskInfo: {name: write-to-gcs}\n      read-from-gcs:\n        taskInfo: {name: read-from-gcs}\n        dependentTasks: [write-to-gcs]\n  inputDefinitions:\n    parameters:\n      text:\n        defaultValue: Hello KFP!\n        isOptional: true\n        parameterType: STRING\nschemaVersion: 2.1.0\n".into()
        }
    }
}

async fn pipelines_listed(app: &mut App) {
    app.press("1");
    app.until("the pipelines", |s| {
        s.pipelines.source == SourceState::Live && !s.pipelines.rows.is_empty()
    })
    .await;
}

fn select(app: &mut App, name: &str) {
    let pos = app
        .state
        .pipelines
        .visible_rows()
        .position(|r| r.name == name)
        .unwrap_or_else(|| panic!("{name} is not listed"));
    app.state.pipelines.selected = pos;
}

#[tokio::test]
async fn one_list_of_kfp_pipelines_and_templates_and_a_pipelines_detail() {
    let mut app = App::start().await;
    pipelines_listed(&mut app).await;
    let rows = &app.state.pipelines.rows;
    let source = |n: &str| rows.iter().find(|r| r.name == n).map(|r| r.source);
    assert_eq!(source("xgboost-training"), Some(PipelineSource::KfpApi));
    assert_eq!(
        source("data-prep-template"),
        Some(PipelineSource::WorkflowTemplate)
    );
    assert_eq!(
        source("cluster-hello"),
        Some(PipelineSource::ClusterWorkflowTemplate)
    );
    let xgb = rows.iter().find(|r| r.name == "xgboost-training").unwrap();
    assert_eq!(
        (xgb.versions, xgb.latest_version.as_str()),
        (Some(2), "xgboost-training v2")
    );
    // No other profile's pipelines.
    assert!(rows.iter().all(|r| r.namespace.is_empty() || r.namespace == NS));

    select(&mut app, "xgboost-training");
    app.press("enter");
    app.until("the pipeline's detail", |s| {
        s.pipeline.as_ref().is_some_and(|p| p.detail.is_some())
    })
    .await;
    let open = app.state.pipeline.as_ref().unwrap();
    let detail = open.detail.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(detail.versions.len(), 2);
    let params: Vec<(&str, &str)> = detail
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.ty.word()))
        .collect();
    assert!(params.contains(&("max_depth", "int")), "{params:?}");
    let graph = open.graph.as_ref().expect("the task graph");
    let deps_of_register = detail
        .tasks
        .iter()
        .find(|(n, _, _)| n == "register-model")
        .map(|(_, _, d)| d.clone())
        .unwrap();
    assert_eq!(deps_of_register.len(), 2, "{deps_of_register:?}");
    assert_eq!(graph.nodes.len(), detail.tasks.len());
    let screen = app.screen().join("\n");
    assert!(
        screen.contains("register-model") && screen.contains("VERSIONS"),
        "{screen}"
    );

    // `r`: the runs of this pipeline.
    app.press("r");
    assert_eq!(app.state.pane, PaneId::Runs);
    app.until("its runs", |s| s.runs.visible_rows().count() > 0).await;
    assert!(
        app.state
            .runs
            .visible_rows()
            .all(|r| r.pipeline == "xgboost-training")
    );
    app.sim.shutdown().await;
}

#[tokio::test]
async fn upload_a_pipeline_and_a_version_then_run_it_with_a_changed_parameter() {
    let mut app = App::start().await;
    pipelines_listed(&mut app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("two-step.yaml");
    std::fs::write(&file, two_step_spec()).unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "just: [a, list").unwrap();

    app.command(&format!("upload {}", bad.display()));
    app.until("the refusal", |s| {
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("is not a pipeline spec"))
    })
    .await;

    app.command(&format!("upload {} two-step", file.display()));
    app.until("the upload", |s| {
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.starts_with("uploaded pipeline"))
    })
    .await;
    app.until("the new pipeline listed", |s| {
        s.pipelines.rows.iter().any(|r| r.name == "two-step")
    })
    .await;
    select(&mut app, "two-step");
    // KFP orders versions by their creation time, in seconds.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.command(&format!("upload-version {} two-step-v2", file.display()));
    app.until("the new version", |s| {
        s.pipelines
            .rows
            .iter()
            .any(|r| r.name == "two-step" && r.versions == Some(2))
    })
    .await;

    // New run of it from the pane: change `text`, submit, land on the run.
    select(&mut app, "two-step");
    app.press("+");
    app.until("the form", |s| s.form.is_some()).await;
    let form = app.state.form.as_ref().unwrap();
    assert!(
        form.title.contains("two-step-v2"),
        "the latest version: {}",
        form.title
    );
    let text = form.fields.iter().position(|f| f.label == "text").unwrap();
    for _ in 0..text {
        app.press("tab");
    }
    for _ in 0.."Hello KFP!".len() {
        app.press("backspace");
    }
    app.type_text("changed from kftui");
    app.press("ctrl-s");
    app.until("the run", |s| s.form.is_none() && s.detail.is_some())
        .await;
    assert_eq!(app.state.pane, PaneId::Runs);
    let name = app.state.detail.as_ref().unwrap().name.clone();
    let api: Api<DynamicObject> = Api::namespaced_with(client(&app.sim), NS, &workflow_resource());
    let wf = serde_json::to_value(api.get(&name).await.unwrap()).unwrap();
    let col = kftui::runs::compare::column(&wf);
    assert_eq!(
        col.params.get("text").map(String::as_str),
        Some("changed from kftui")
    );
    app.sim.shutdown().await;
}

#[tokio::test]
async fn delete_a_template_with_confirmation() {
    let mut app = App::start().await;
    pipelines_listed(&mut app).await;
    select(&mut app, "data-prep-template");
    app.press("D");
    let confirm = app.state.confirm.as_ref().expect("a confirmation");
    assert_eq!(confirm.targets[0].name, "data-prep-template");
    assert!(
        app.screen_has("Delete template data-prep-template?"),
        "{}",
        app.screen().join("\n")
    );
    app.press("y");
    app.until("the template gone from the list", |s| {
        s.pipelines.source == SourceState::Live
            && !s.pipelines.rows.is_empty()
            && !s.pipelines.rows.iter().any(|r| r.name == "data-prep-template")
    })
    .await;
    let ar = kftui::kube::pipelines::workflow_templates();
    let api: Api<DynamicObject> = Api::namespaced_with(client(&app.sim), NS, &ar);
    assert!(api.get_opt("data-prep-template").await.unwrap().is_none());
    app.sim.shutdown().await;
}

#[tokio::test]
async fn recurring_runs_are_listed_and_enabled_or_disabled() {
    let mut app = App::start().await;
    pipelines_listed(&mut app).await;
    app.press("R");
    assert!(app.state.show_recurring);
    let rows = app.state.recurring.rows.clone();
    let swf = rows
        .iter()
        .find(|r| r.name == "nightly-xgboost")
        .expect("the KFP schedule");
    assert!(swf.enabled && swf.schedule == "cron 0 0 3 * * *" && swf.target == "xgboost-training");
    assert!(swf.next.is_some() && swf.last.is_some());
    let cron = rows
        .iter()
        .find(|r| r.name == "nightly-data-prep")
        .expect("the CronWorkflow");
    let next = cron.next.expect("its next time, from its schedule");
    assert!(next > chrono::Utc::now() && next - chrono::Utc::now() <= chrono::TimeDelta::hours(24));
    assert!(app.screen_has("Recurring runs"), "{}", app.screen().join("\n"));

    // Disable the KFP schedule (through KFP's API) and suspend the CronWorkflow.
    for name in ["nightly-xgboost", "nightly-data-prep"] {
        let pos = app
            .state
            .recurring
            .visible_rows()
            .position(|r| r.name == name)
            .unwrap();
        app.state.recurring.selected = pos;
        app.press("p");
        assert!(
            app.screen_has(&format!("Disable recurring run {name}?")),
            "{}",
            app.screen().join("\n")
        );
        app.press("y");
        app.until("the schedule disabled", |s| {
            s.recurring.rows.iter().any(|r| r.name == name && !r.enabled)
        })
        .await;
    }
    let get = |plural: &str, group: &str, version: &str, kind: &str| kube::api::ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: format!("{group}/{version}"),
        kind: kind.into(),
        plural: plural.into(),
    };
    let swfs: Api<DynamicObject> = Api::namespaced_with(
        client(&app.sim),
        NS,
        &get(
            "scheduledworkflows",
            "kubeflow.org",
            "v1beta1",
            "ScheduledWorkflow",
        ),
    );
    let v = serde_json::to_value(swfs.get("nightly-xgboost").await.unwrap()).unwrap();
    assert_eq!(v["spec"]["enabled"], serde_json::json!(false));
    let crons: Api<DynamicObject> = Api::namespaced_with(
        client(&app.sim),
        NS,
        &get("cronworkflows", "argoproj.io", "v1alpha1", "CronWorkflow"),
    );
    let v = serde_json::to_value(crons.get("nightly-data-prep").await.unwrap()).unwrap();
    assert_eq!(v["spec"]["suspend"], serde_json::json!(true));
    // And back on.
    app.press("u y");
    app.until("enabled again", |s| {
        s.recurring
            .rows
            .iter()
            .any(|r| r.name == "nightly-data-prep" && r.enabled)
    })
    .await;
    app.sim.shutdown().await;
}

/// All namespaces is every profile's KFP pipelines and the shared ones, and every profile's
/// KFP history in the Runs pane with its experiments.
#[tokio::test]
async fn all_namespaces_keeps_everything_from_kfp() {
    let mut app = App::start().await;
    pipelines_listed(&mut app).await;
    let one_ns: Vec<String> = app
        .state
        .pipelines
        .rows
        .iter()
        .filter(|r| r.source == PipelineSource::KfpApi)
        .map(|r| r.name.clone())
        .collect();
    assert!(!one_ns.is_empty());
    app.command("ns all");
    app.until("KFP's pipelines under all namespaces", |s| {
        s.target.namespace.is_none()
            && s.pipelines
                .rows
                .iter()
                .filter(|r| r.source == PipelineSource::KfpApi)
                .count()
                >= one_ns.len()
    })
    .await;
    let all: Vec<&str> = app
        .state
        .pipelines
        .rows
        .iter()
        .filter(|r| r.source == PipelineSource::KfpApi)
        .map(|r| r.name.as_str())
        .collect();
    for name in &one_ns {
        assert!(
            all.contains(&name.as_str()),
            "{name} is gone under all namespaces: {all:?}"
        );
    }
    app.press("2");
    app.until("KFP's history under all namespaces", |s| {
        s.runs
            .rows
            .iter()
            .any(|r| r.origin == kftui::kube::resources::workflow::RunOrigin::History)
            && !s.kfp_runs.is_empty()
    })
    .await;
    let namespaces: std::collections::BTreeSet<&str> =
        app.state.kfp_runs.iter().map(|r| r.namespace.as_str()).collect();
    assert!(namespaces.len() >= 2, "KFP runs of every profile: {namespaces:?}");
    assert!(
        app.state.runs.rows.iter().any(|r| !r.experiment.is_empty()),
        "experiments are named under all namespaces"
    );
    app.sim.shutdown().await;
}
