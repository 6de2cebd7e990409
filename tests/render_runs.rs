#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Render snapshots of the new-run form (fields, a typing error, the YAML editor) and of a
//! comparison of runs, at 80x24 and 160x48 with a fixed clock.

mod support;

use kftui::app::form::{RunForm, RunFormSeed, RunOrigin};
use kftui::runs::compare::{Comparison, column};
use kftui::runs::params::kfp_params;
use serde_json::{Value, json};
use support::*;

fn snapshot(name: &str, state: &kftui::app::state::State, w: u16, h: u16) {
    let term = draw(state, w, h, &support::theme("default"));
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), term.backend());
}

/// The pipeline spec of a KFP-compiled two-step pipeline from the shared fixtures, or `None`
/// (after saying so) when they are absent.
fn two_step_fixture() -> Option<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/objects/kfp_pipelinespec_ir_two_step_pipeline.yaml");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_saphyr::from_str(&text).unwrap()),
        Err(_) => {
            eprintln!("SKIPPED reading {}: not present", path.display());
            None
        }
    }
}

/// The two-step pipeline's spec, or (without the fixtures) a copy of its parameters, which is
/// all a form needs.
fn two_step_ir() -> Value {
    two_step_fixture().unwrap_or_else(|| {
        json!({"root": {"inputDefinitions": {"parameters": {
            "text": {"defaultValue": "Hello KFP!", "isOptional": true, "parameterType": "STRING"}}}}})
    })
}

fn form_state(w: u16, h: u16) -> kftui::app::state::State {
    let mut state = loaded_state(w, h);
    let mut params: Vec<_> = kfp_params(&two_step_ir())
        .into_iter()
        .map(|p| (p, None))
        .collect();
    params.extend(
        kfp_params(&json!({"root": {"inputDefinitions": {"parameters": {
            "epochs": {"parameterType": "NUMBER_INTEGER", "defaultValue": 10.0},
            "learning_rate": {"parameterType": "NUMBER_DOUBLE", "defaultValue": 0.01},
        }}}}))
        .into_iter()
        .map(|p| (p, None)),
    );
    state.form = Some(RunForm::new(RunFormSeed {
        namespace: "kubeflow-user-example-com".into(),
        title: "pipeline two-step · version v1".into(),
        origin: RunOrigin::Kfp {
            pipeline_id: "p".into(),
            version_id: "v".into(),
        },
        run_name: "Run of two-step 2026-11-28 10:00".into(),
        experiment: Some("Default".into()),
        params,
    }));
    state
}

#[test]
fn the_new_run_form_with_a_typing_error() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut state = form_state(w, h);
        // To the epochs field, and a word where an int goes.
        let epochs = state
            .form
            .as_ref()
            .unwrap()
            .fields
            .iter()
            .position(|f| f.label == "epochs")
            .unwrap();
        for _ in 0..epochs {
            press(&mut state, "tab");
        }
        press(&mut state, "backspace");
        press(&mut state, "backspace");
        type_text(&mut state, "ten");
        snapshot("new_run_form", &state, w, h);
    }
}

#[test]
fn the_new_run_form_as_yaml() {
    let mut state = form_state(80, 24);
    press(&mut state, "ctrl-e");
    assert!(state.form.as_ref().unwrap().yaml.is_some());
    snapshot("new_run_yaml", &state, 80, 24);
}

fn run(name: &str, phase: &str, lr: &str, acc: &str, finished: Option<&str>) -> Value {
    let mut status = json!({"phase": phase, "startedAt": "2026-11-28T09:00:00Z",
        "nodes": {format!("{name}-1"): {"displayName": "evaluate", "outputs": {"parameters": [
            {"name": "accuracy", "value": acc}, {"name": "loss", "value": "0.31"}]}}}});
    if let Some(f) = finished {
        status["finishedAt"] = json!(f);
    }
    json!({"metadata": {"name": name, "namespace": "kubeflow-user-example-com"},
        "spec": {"arguments": {"parameters": [
            {"name": "learning_rate", "value": lr}, {"name": "max_depth", "value": "6"},
            {"name": "source", "value": "s3://kf-demo-data/events/2026-11-27"}]}},
        "status": status})
}

#[test]
fn a_comparison_highlights_what_differs() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut state = loaded_state(w, h);
        state.compare = Some(Comparison {
            request: 1,
            columns: Some(Ok(vec![
                column(&run(
                    "train-a",
                    "Succeeded",
                    "0.01",
                    "0.91",
                    Some("2026-11-28T09:04:10Z"),
                )),
                column(&run(
                    "train-b",
                    "Succeeded",
                    "0.1",
                    "0.87",
                    Some("2026-11-28T09:06:00Z"),
                )),
                column(&run("train-c", "Running", "0.3", "0.5", None)),
            ])),
            scroll: 0,
            first_column: 0,
        });
        snapshot("compare", &state, w, h);
    }
}

fn pipelines_state(w: u16, h: u16) -> kftui::app::state::State {
    use kftui::kube::resources::pipeline::PipelineRow;
    let mut state = loaded_state(w, h);
    state.pane = kftui::app::pane::PaneId::Pipelines;
    let at = "2026-11-20T10:00:00Z";
    let rows = vec![
        PipelineRow::from_kfp(
            &json!({"pipeline_id": "p1", "name": "simple-two-step-pipeline", "display_name": "simple-two-step-pipeline",
                "description": "Writes text to GCS and reads it back.", "created_at": at, "namespace": "kubeflow-user-example-com"}),
            &[
                json!({"pipeline_version_id": "v2", "display_name": "two-step v2", "created_at": at}),
                json!({"pipeline_version_id": "v1", "display_name": "two-step v1", "created_at": at}),
            ],
        ),
        PipelineRow::from_template(
            &json!({"metadata": {"name": "data-prep-template", "namespace": "kubeflow-user-example-com",
                "uid": "t1", "creationTimestamp": at}}),
            false,
        ),
        PipelineRow::from_template(
            &json!({"metadata": {"name": "cluster-hello", "uid": "t2", "creationTimestamp": at}}),
            true,
        ),
    ];
    state
        .pipelines
        .set_rows(rows.into(), state.list_height, state.now);
    state
}

#[test]
fn the_pipelines_pane_and_a_pipelines_task_graph() {
    for (w, h) in [(80, 24), (160, 48)] {
        let state = pipelines_state(w, h);
        snapshot("pipelines", &state, w, h);
    }
    // The detail of the two-step pipeline, from its real spec.
    let Some(ir) = two_step_fixture() else {
        eprintln!("SKIPPED: the two-step pipeline's task graph needs ../shared/fixtures");
        return;
    };
    let tasks = kftui::runs::synthetic::ir_tasks(&ir);
    for (w, h) in [(80, 24), (160, 48)] {
        let mut state = pipelines_state(w, h);
        let row = state.pipelines.rows[0].clone();
        let wf = kftui::runs::synthetic::pipeline_graph(&row.name, &tasks);
        let graph = kftui::runs::model::RunGraph::from_workflow(&wf).unwrap();
        assert_eq!(graph.nodes.len(), tasks.len());
        state.pipeline = Some(kftui::app::pipelines::OpenPipeline {
            row,
            request: 1,
            detail: Some(Ok(kftui::kube::pipelines::PipelineDetail {
                versions: vec![kftui::kube::pipelines::VersionInfo {
                    id: "v2".into(),
                    name: "two-step v2".into(),
                    created: None,
                    description: String::new(),
                }],
                spec_of: "two-step v2".into(),
                params: kfp_params(&ir),
                tasks: tasks.clone(),
                seed: None,
            })),
            graph: Some(std::sync::Arc::new(graph)),
            view: Default::default(),
            form_when_loaded: false,
        });
        snapshot("pipeline_detail", &state, w, h);
    }
}

/// The screen's text, one string per row.
fn screen(state: &kftui::app::state::State, w: u16, h: u16) -> Vec<String> {
    let term = draw(state, w, h, &support::theme("default"));
    let buf = term.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

fn image_classifier_runs(progress: &str) -> Vec<kftui::kube::resources::workflow::RunRow> {
    let ns = "kubeflow-user-example-com";
    ["ed8f1", "e1184"]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            row(workflow(
                &format!("image-classifier-{id}"),
                ns,
                "Succeeded",
                progress,
                600 + i as i64 * 60,
                Some(300),
                Some((&format!("Run of image-classifier ({id})"), "image-classifier")),
            ))
        })
        .collect()
}

#[test]
fn at_80_columns_run_names_keep_their_distinguishing_end() {
    let state = state_with(80, 24, "kubeflow-user-example-com", image_classifier_runs("3/3"));
    let text = screen(&state, 80, 24).join("\n");
    assert!(text.contains("(ed8f1)"), "the first run's end shows:\n{text}");
    assert!(text.contains("(e1184)"), "the second run's end shows:\n{text}");
    assert!(
        text.contains('…'),
        "the names are shortened in the middle:\n{text}"
    );
}

#[test]
fn at_80_columns_an_empty_column_gives_way_before_a_filled_one() {
    // No run reports progress: PROGRESS is empty, so PIPELINE takes its room.
    let state = state_with(80, 24, "kubeflow-user-example-com", image_classifier_runs(""));
    let header = screen(&state, 80, 24)[3].clone();
    assert!(header.contains("PIPELINE"), "{header}");
    assert!(!header.contains("PROGRESS"), "{header}");
    // With progress reported, PROGRESS stays and PIPELINE gives way, as before.
    let state = state_with(80, 24, "kubeflow-user-example-com", image_classifier_runs("3/3"));
    let header = screen(&state, 80, 24)[3].clone();
    assert!(
        header.contains("PROGRESS") && !header.contains("PIPELINE"),
        "{header}"
    );
    // At 200 columns every column shows.
    let state = state_with(200, 50, "kubeflow-user-example-com", image_classifier_runs(""));
    let header = screen(&state, 200, 50)[3].clone();
    for col in [
        "NAME", "PIPELINE", "STATUS", "PROGRESS", "STARTED", "DURATION", "AGE", "MESSAGE",
    ] {
        assert!(header.contains(col), "{col} in {header}");
    }
}

fn sort_runs(state: &mut kftui::app::state::State, column: &str, descending: bool) {
    use kftui::kube::row::ListRow;
    let column = kftui::kube::resources::workflow::RunRow::SORT_COLUMNS
        .iter()
        .position(|c| *c == column)
        .unwrap();
    state.runs.sort = kftui::app::state::Sort { column, descending };
}

#[test]
fn at_80_columns_the_sorted_column_shows_its_arrow() {
    // DURATION is as wide as its title: the arrow stays, the title gives a letter.
    let mut state = loaded_state(80, 24);
    sort_runs(&mut state, "duration", true);
    let header = screen(&state, 80, 24)[3].clone();
    assert!(header.contains("DURATIO▼"), "{header}");
    // PIPELINE gives way at 80 columns unless the list is sorted by it.
    sort_runs(&mut state, "pipeline", false);
    let header = screen(&state, 80, 24)[3].clone();
    assert!(header.contains("PIPELINE▲"), "{header}");
    // One namespace has no NAMESPACE column: the border says what the order is.
    sort_runs(&mut state, "namespace", false);
    let rows = screen(&state, 80, 24);
    assert!(!rows[3].contains('▲') && !rows[3].contains('▼'), "{}", rows[3]);
    assert!(rows[21].contains("sorted by NAMESPACE▲"), "{}", rows[21]);
}

#[test]
fn the_models_list_marks_its_model_column_when_sorted_by_format() {
    let mut state = loaded_state(80, 24);
    state.pane = kftui::app::pane::PaneId::Models;
    let rows = support::sample_models();
    state.models.set_rows(rows.into(), state.list_height, state.now);
    state.models.sort = kftui::app::state::Sort {
        column: 4,
        descending: false,
    };
    let header = screen(&state, 80, 24)[3].clone();
    assert!(header.contains("MODEL▲"), "{header}");
}
