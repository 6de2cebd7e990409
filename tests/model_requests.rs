#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Models pane from the keyboard against the embedded cluster: test requests to a
//! predictor (v1 and v2 bodies, status, latency, history, invalid JSON, a stopped model), the
//! detail following the watch, and the canary verbs on both canary shapes.

#[path = "support/app.rs"]
mod app_support;
#[path = "support/sim.rs"]
mod sim_support;

use std::time::{Duration, Instant};

use app_support::App;
use kftui::app::effect::Effect;
use kftui::app::pane::PaneId;
use kftui::app::state::SourceState;
use kftui::app::subs::Kind;
use kftui::kube::fetch::api_resource;
use kftui::kube::resources::inference_service::{Protocol, Readiness};
use kube::api::{Api, DynamicObject, PostParams};
use serde_json::{Value, json};
use sim_support::{NS, client};

fn isvc_api(app: &App) -> Api<DynamicObject> {
    Api::namespaced_with(client(&app.sim), NS, &api_resource(Kind::InferenceServices))
}

async fn object(app: &App, name: &str) -> Value {
    serde_json::to_value(isvc_api(app).get(name).await.unwrap()).unwrap()
}

async fn create(app: &App, body: Value) {
    let o: DynamicObject = serde_json::from_value(body).unwrap();
    isvc_api(app).create(&PostParams::default(), &o).await.unwrap();
}

/// The Models pane, with `name` listed and in the state `ready`, selected through the filter.
async fn select_model(app: &mut App, name: &str, ready: Readiness) {
    app.press("5");
    assert_eq!(app.state.pane, PaneId::Models);
    let wanted = name.to_string();
    app.until(&format!("model {name} {ready:?}"), |s| {
        s.models.source == SourceState::Live
            && s.models.rows.iter().any(|r| r.name == wanted && r.ready == ready)
    })
    .await;
    app.press("/");
    app.type_text(name);
    app.press("enter");
    assert_eq!(
        app.state.models.selected_row().map(|r| r.name.as_str()),
        Some(name)
    );
}

fn predicts(app: &App) -> usize {
    app.effects
        .iter()
        .filter(|e| matches!(e, Effect::Predict { .. }))
        .count()
}

fn editor_text(app: &App) -> String {
    app.state.model.test.as_ref().unwrap().editor.lines().join("\n")
}

/// ctrl-s, then waits for the answer.
async fn send(app: &mut App) {
    let before = predicts(app);
    app.press("ctrl-s");
    assert_eq!(predicts(app), before + 1, "ctrl-s sends one request");
    app.until("the answer", |s| {
        s.model.test.as_ref().is_some_and(|t| t.pending.is_none())
    })
    .await;
}

#[tokio::test]
async fn a_v1_test_request_answers_with_predictions_latency_and_history() {
    let mut app = App::start().await;
    select_model(&mut app, "sklearn-iris", Readiness::Ready).await;
    app.press("t");
    let t = app.state.model.test.as_ref().expect("t opens the test view");
    assert_eq!(t.protocol, Protocol::V1);
    let body: Value = serde_json::from_str(&editor_text(&app)).unwrap();
    assert!(body["instances"][0].is_array(), "a v1 example: {body}");
    assert!(app.screen_has("POST /v1/models/sklearn-iris:predict"));

    send(&mut app).await;
    let shown = app.state.model.test.as_ref().unwrap().shown.clone().unwrap();
    let answer = shown.result.clone().unwrap();
    assert_eq!(answer.status, 200);
    let v: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(v["predictions"].as_array().map(Vec::len), Some(2), "{v}");
    assert!(answer.body.contains("\n  \"predictions\""), "pretty-printed");
    assert!(
        app.screen_has(&format!("HTTP 200 · {} ms", answer.latency_ms)),
        "status and latency on screen"
    );
    assert!(app.screen_has("\"predictions\": ["));
    let history = app.state.model.history_of(NS, "sklearn-iris").unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].latency_text(), format!("{} ms", answer.latency_ms));

    // A second body: the history grows, newest first.
    app.press("ctrl-r");
    app.press("down down");
    app.press("end");
    app.type_text(" [1.0, 2.0, 3.0, 4.0],");
    send(&mut app).await;
    let history = app.state.model.history_of(NS, "sklearn-iris").unwrap();
    assert_eq!(history.len(), 2);
    let v: Value = serde_json::from_str(&history[0].result.as_ref().unwrap().body).unwrap();
    assert_eq!(v["predictions"].as_array().map(Vec::len), Some(3));
    assert!(app.screen_has("200"), "the history lists the status");

    // Invalid JSON is refused before sending, with the parse error.
    app.press("ctrl-r");
    app.type_text("x");
    let before = predicts(&app);
    app.press("ctrl-s");
    assert_eq!(predicts(&app), before, "nothing is sent");
    let error = app.state.model.test.as_ref().unwrap().error.clone().unwrap();
    assert!(
        error.starts_with("not valid JSON: expected value at line 1 column 1"),
        "{error}"
    );
    assert!(app.screen_has("not valid JSON"));
    assert_eq!(app.state.model.history_of(NS, "sklearn-iris").unwrap().len(), 2);

    // The history loads a past body into the editor.
    app.press("tab");
    app.press("down");
    let older = app.state.model.history_of(NS, "sklearn-iris").unwrap()[1]
        .body
        .clone();
    assert_eq!(editor_text(&app), older);
    assert!(app.state.model.test.as_ref().unwrap().error.is_none());
    app.press("up");
    let newer = app.state.model.history_of(NS, "sklearn-iris").unwrap()[0]
        .body
        .clone();
    assert_eq!(editor_text(&app), newer);

    // esc closes; the history stays and the next open starts from the last body.
    app.press("esc");
    assert!(app.state.model.test.is_none());
    app.press("t");
    assert_eq!(editor_text(&app), newer);
}

#[tokio::test]
async fn a_v2_model_gets_an_open_inference_protocol_body_and_outputs() {
    let mut app = App::start().await;
    create(
        &app,
        json!({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": "iris-v2", "namespace": NS},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "protocolVersion": "v2",
                "runtime": "kserve-mlserver", "storageUri": "gs://kfserving-examples/models/sklearn/1.0/model"}}}}),
    )
    .await;
    select_model(&mut app, "iris-v2", Readiness::Ready).await;
    app.press("t");
    assert_eq!(app.state.model.test.as_ref().unwrap().protocol, Protocol::V2);
    let body: Value = serde_json::from_str(&editor_text(&app)).unwrap();
    assert_eq!(body["inputs"][0]["name"], "input-0");
    assert_eq!(body["inputs"][0]["shape"], json!([1, 4]));
    assert!(app.screen_has("POST /v2/models/iris-v2/infer"));
    send(&mut app).await;
    let shown = app.state.model.test.as_ref().unwrap().shown.clone().unwrap();
    let answer = shown.result.unwrap();
    assert_eq!(answer.status, 200);
    let v: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(v["model_name"], "iris-v2");
    assert_eq!(v["outputs"][0]["data"].as_array().map(Vec::len), Some(1), "{v}");
    assert!(app.screen_has("\"outputs\": ["));
}

#[tokio::test]
async fn a_stopped_model_answers_an_error_quickly() {
    let mut app = App::start().await;
    let patch = json!({"metadata": {"annotations": {"serving.kserve.io/stop": "true"}}});
    isvc_api(&app)
        .patch(
            "sklearn-iris",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await
        .unwrap();
    select_model(&mut app, "sklearn-iris", Readiness::Stopped).await;
    app.press("t");
    let before = predicts(&app);
    app.press("ctrl-s");
    assert_eq!(predicts(&app), before, "a stopped model is not asked");
    let error = app.state.model.test.as_ref().unwrap().error.clone().unwrap();
    assert!(error.contains("sklearn-iris is stopped"), "{error}");
    assert!(app.screen_has("is stopped"));

    // Asked anyway (the list not caught up yet), the proxy's refusal comes back in seconds.
    let started = Instant::now();
    let result = kftui::kube::predict::send(
        &client(&app.sim),
        NS,
        "sklearn-iris",
        Protocol::V1,
        r#"{"instances": [[1, 2, 3, 4]]}"#.into(),
    )
    .await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let error = result.unwrap_err().to_string();
    assert!(error.contains("sklearn-iris is stopped"), "{error}");
}

#[tokio::test]
async fn the_detail_shows_conditions_components_and_follows_the_watch() {
    let mut app = App::start().await;
    select_model(&mut app, "fraud-detector", Readiness::Ready).await;
    app.press("enter");
    assert!(app.state.model.open.is_some());
    assert!(app.screen_has(" model/fraud-detector "));
    assert!(app.screen_has("PredictorReady"));
    assert!(app.screen_has("s3://kf-demo-models/fraud/v2"));
    assert!(app.screen_has("latest created"));
    assert!(app.screen_has("fraud-detector-predictor-00002"));
    // A change made elsewhere shows without reopening.
    app.press("s");
    app.press("y");
    app.until("the stop to show in the detail", |s| {
        kftui::app::models::open_row(s).is_some_and(|r| r.ready == Readiness::Stopped)
    })
    .await;
    assert!(app.screen_has("Stopped"));
    assert!(app.state.model.open.is_some(), "the detail stays open");
    app.press("esc");
    assert!(app.state.model.open.is_none());
}

/// Sends `:canary N`, `B` or `P` and confirms.
/// Runs a verb, saying yes; what the confirmation said the verb would do.
async fn verb(app: &mut App, keys: &str, command: bool) -> String {
    if command {
        app.command(keys);
    } else {
        app.press(keys);
    }
    let effect = match &app.state.confirm {
        Some(c) => c.effect().to_string(),
        None => panic!("{keys} asks first"),
    };
    assert!(
        app.screen_has(&effect[1..]),
        "the popup says what happens: {effect}\n{}",
        app.screen().join("\n")
    );
    app.press("y");
    app.until("the verb's answer", |s| {
        s.notice.as_ref().is_some_and(|n| n.text.starts_with("model "))
    })
    .await;
    app.state.notice = None;
    effect
}

#[tokio::test]
async fn canary_verbs_on_canary_traffic_percent() {
    let mut app = App::start().await;
    select_model(&mut app, "fraud-detector", Readiness::Ready).await;
    let pct = |o: &Value| o.pointer("/spec/predictor/canaryTrafficPercent").cloned();
    let said = verb(&mut app, "canary 30", true).await;
    assert!(said.contains("latest revision"), "{said}");
    let o = object(&app, "fraud-detector").await;
    assert_eq!(pct(&o), Some(json!(30)));
    assert!(o.pointer("/spec/canary").is_none());
    verb(&mut app, "B", false).await;
    assert_eq!(pct(&object(&app, "fraud-detector").await), Some(json!(0)));
    verb(&mut app, "P", false).await;
    let o = object(&app, "fraud-detector").await;
    assert_eq!(pct(&o), None, "promote ends with the field removed");
    assert_eq!(
        o.pointer("/spec/predictor/model/storageUri"),
        Some(&json!("s3://kf-demo-models/fraud/v2"))
    );
}

#[tokio::test]
async fn canary_verbs_on_the_canary_list() {
    let mut app = App::start().await;
    create(
        &app,
        json!({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": "iris-raw", "namespace": NS,
                "annotations": {"serving.kserve.io/deploymentMode": "Standard"}},
            "spec": {
                "predictor": {"model": {"modelFormat": {"name": "sklearn"}, "runtime": "kserve-sklearnserver",
                    "storageUri": "gs://models/iris/v1"}},
                "canary": [{"predictor": {"name": "v2", "model": {"modelFormat": {"name": "sklearn"},
                    "storageUri": "gs://models/iris/v2"}}, "trafficPercent": 10}]}}),
    )
    .await;
    select_model(&mut app, "iris-raw", Readiness::Ready).await;
    let canary = |o: &Value| o.pointer("/spec/canary").cloned();
    let said = verb(&mut app, "canary 40", true).await;
    assert_eq!(said, "canary v2 gets 40% of the traffic");
    let o = object(&app, "iris-raw").await;
    assert_eq!(
        canary(&o),
        Some(
            json!([{"predictor": {"name": "v2", "model": {"modelFormat": {"name": "sklearn"},
            "storageUri": "gs://models/iris/v2"}}, "trafficPercent": 40}])
        )
    );
    assert!(
        o.pointer("/spec/predictor/canaryTrafficPercent").is_none(),
        "the list form is used, not canaryTrafficPercent"
    );
    let said = verb(&mut app, "B", false).await;
    assert_eq!(said, "canary v2 stays defined but takes no traffic");
    let o = object(&app, "iris-raw").await;
    assert_eq!(o.pointer("/spec/canary/0/trafficPercent"), Some(&json!(0)));
    assert_eq!(
        o.pointer("/spec/predictor/model/storageUri"),
        Some(&json!("gs://models/iris/v1"))
    );
    let said = verb(&mut app, "P", false).await;
    assert_eq!(said, "canary v2 becomes the predictor and takes all the traffic");
    let o = object(&app, "iris-raw").await;
    assert_eq!(canary(&o), None, "the promoted canary leaves the list");
    assert_eq!(
        o.pointer("/spec/predictor"),
        Some(&json!({"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://models/iris/v2"}})),
        "the canary's predictor, exactly"
    );
}
