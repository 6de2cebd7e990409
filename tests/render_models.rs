#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Render snapshots of a model's detail (from the real KServe objects in the shared fixtures)
//! and of the test-request view with an answer, with a fixed clock.

mod support;

use std::sync::Arc;

use kftui::app::effect::Effect;
use kftui::app::msg::{DataEvent, Msg};
use kftui::app::state::State;
use kftui::app::subs::Kind;
use kftui::app::update::update;
use kftui::kube::predict::Answer;
use kftui::kube::resources::inference_service::IsvcRow;
use serde_json::json;
use support::kubeflow::{fixture, fixtures};
use support::*;

fn snapshot(name: &str, state: &State, w: u16, h: u16) {
    let term = draw(state, w, h, &support::theme("default"));
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), term.backend());
}

/// The Models pane showing only `row`, its detail open.
fn detail_state(row: IsvcRow, w: u16, h: u16) -> State {
    let mut state = models_state(w, h);
    let key = kind_key(Kind::InferenceServices, Some("kubeflow-user-example-com"));
    let rows = Arc::from(vec![row]);
    update(&mut state, &keymap(), Msg::Data(DataEvent::Models { key, rows }));
    press(&mut state, "enter");
    assert!(state.model.open.is_some(), "enter opens the detail");
    state
}

/// The knative tensorflow fixture as it is, and the canary traffic split excerpt's status on
/// the same object (renamed to the excerpt's model).
fn fixture_rows() -> Option<(IsvcRow, IsvcRow)> {
    fixtures()?;
    let whole = fixture("serving.kserve.io_inferenceservice_status_knative-tensorflow-canary.json");
    let excerpt = fixture("serving.kserve.io_inferenceservice_status-excerpt_canary-traffic-split.json");
    let mut split = whole.clone();
    split["metadata"]["name"] = json!("my-model");
    split["metadata"]["namespace"] = json!("default");
    split["status"]["components"] = excerpt["status"]["components"].clone();
    split["status"]["url"] = json!("http://my-model.default.example.com");
    Some((model_row(whole), model_row(split)))
}

#[test]
fn model_detail_from_the_real_fixtures() {
    let Some((whole, split)) = fixture_rows() else {
        return;
    };
    for (w, h) in [(80, 24), (160, 48)] {
        let state = detail_state(whole.clone(), w, h);
        let screen = format!("{:?}", draw(&state, w, h, &support::theme("default")).backend());
        if h >= 48 {
            assert!(
                screen.contains("PredictorRouteReady"),
                "every condition is listed"
            );
        }
        snapshot("model_detail_knative_canary", &state, w, h);
        let state = detail_state(split.clone(), w, h);
        snapshot("model_detail_traffic_split", &state, w, h);
    }
    let state = detail_state(split, 160, 48);
    let screen = format!(
        "{:?}",
        draw(&state, 160, 48, &support::theme("default")).backend()
    );
    assert!(screen.contains("my-model-predictor-default-00003"));
    assert!(screen.contains("90%"), "the previous revision's share");
    assert!(screen.contains("prev"), "traffic tags");
}

#[test]
fn model_detail_with_a_failed_load() {
    let row = model_row(json!({
        "metadata": {"name": "xgb-broken", "namespace": "kubeflow-user-example-com",
            "creationTimestamp": ts(chrono::Duration::minutes(30)),
            "annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"}},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "xgboost"}, "protocolVersion": "v2",
            "runtime": "kserve-mlserver", "storageUri": "s3://models/xgb/missing"}},
            "canary": [{"predictor": {"name": "xgb-v2"}, "trafficPercent": 25}]},
        "status": {
            "conditions": [
                {"type": "PredictorReady", "status": "False", "reason": "ModelLoadFailed",
                    "message": "failed to load model from s3://models/xgb/missing",
                    "lastTransitionTime": ts(chrono::Duration::minutes(12))},
                {"type": "Ready", "status": "False", "reason": "ModelLoadFailed",
                    "lastTransitionTime": ts(chrono::Duration::minutes(12))}],
            "modelStatus": {"transitionStatus": "BlockedByFailedLoad",
                "states": {"activeModelState": "", "targetModelState": "FailedToLoad"},
                "lastFailureInfo": {"reason": "ModelLoadFailed", "message": "no such key: xgb/missing",
                    "time": ts(chrono::Duration::minutes(12))}}}
    }));
    let state = detail_state(row, 120, 30);
    snapshot("model_detail_failed_load", &state, 120, 30);
}

#[test]
fn test_request_view_with_an_answer() {
    for (w, h) in [(80, 24), (160, 48)] {
        let mut state = models_state(w, h);
        press(&mut state, "/");
        type_text(&mut state, "sklearn-iris");
        press(&mut state, "enter");
        press(&mut state, "t");
        let effects = press(&mut state, "ctrl-s");
        let Some(Effect::Predict {
            request,
            namespace,
            name,
            body,
            ..
        }) = effects.into_iter().next()
        else {
            panic!("ctrl-s sends the request");
        };
        let answer = Answer {
            status: 200,
            latency_ms: 42,
            body: "{\n  \"predictions\": [\n    1,\n    1\n  ]\n}".into(),
        };
        update(
            &mut state,
            &keymap(),
            Msg::Predicted {
                request,
                namespace,
                name,
                body,
                result: Ok(answer),
            },
        );
        snapshot("model_test_request", &state, w, h);
    }
}

#[test]
fn test_request_view_refusing_invalid_json() {
    let mut state = models_state(120, 30);
    press(&mut state, "/");
    type_text(&mut state, "sklearn-iris");
    press(&mut state, "enter");
    press(&mut state, "t");
    type_text(&mut state, "{");
    let effects = press(&mut state, "ctrl-s");
    assert!(effects.is_empty(), "nothing is sent");
    snapshot("model_test_request_invalid", &state, 120, 30);
}

#[test]
fn a_pasted_body_replaces_nothing_and_keeps_its_lines() {
    let mut state = models_state(120, 30);
    press(&mut state, "t");
    assert!(state.model.test.is_some());
    let t = state.model.test.as_mut().unwrap();
    t.editor = tui_textarea::TextArea::default();
    update(
        &mut state,
        &keymap(),
        Msg::Paste("{\"instances\":\r\n [[1, 2,\t3, 4]]}\x1b".into()),
    );
    let lines = state.model.test.as_ref().unwrap().editor.lines().to_vec();
    assert_eq!(lines, ["{\"instances\":", " [[1, 2, 3, 4]]}"]);
}

/// Prometheus's answer for the list's columns: numbers for two of the sample models.
fn traffic_answer(state: &mut State) {
    use kftui::kube::prometheus::{Metrics, Traffic};
    let key = state
        .subs
        .iter()
        .find(|k| k.kind == Kind::ModelTraffic)
        .cloned()
        .expect("the list asks Prometheus for its columns");
    let mut m = std::collections::BTreeMap::new();
    let ns = "kubeflow-user-example-com".to_string();
    m.insert(
        (ns.clone(), "flowers".to_string()),
        Traffic {
            rps: Some(12.5),
            p50_ms: Some(18.0),
            p99_ms: Some(140.0),
            error_ratio: Some(0.021),
            ready: Some(2.0),
            desired: Some(2.0),
        },
    );
    m.insert(
        (ns, "sklearn-iris".to_string()),
        Traffic {
            rps: Some(0.0),
            p50_ms: None,
            p99_ms: None,
            error_ratio: None,
            ready: Some(1.0),
            desired: Some(1.0),
        },
    );
    let result = Ok(Arc::new(Metrics::Models(m)));
    update(state, &keymap(), Msg::Data(DataEvent::Metrics { key, result }));
}

#[test]
fn models_list_with_prometheus_columns() {
    for (w, h) in [(80, 24), (200, 30)] {
        let mut state = models_state(w, h);
        traffic_answer(&mut state);
        snapshot("models_with_traffic", &state, w, h);
    }
}

#[test]
fn model_detail_with_traffic_of_default_and_canary() {
    use kftui::kube::prometheus::{Metrics, Panel, Unit};
    for (w, h) in [(80, 24), (160, 48)] {
        let mut state = models_state(w, h);
        press(&mut state, "/");
        type_text(&mut state, "flowers");
        press(&mut state, "enter enter");
        let key = state
            .subs
            .iter()
            .find(|k| k.kind == Kind::ModelHistory)
            .cloned()
            .expect("the detail asks Prometheus for its history");
        // A morning's swell on the default, the canary starting late and slower.
        let wave = |base: f64, amp: f64, from: usize| -> Vec<f64> {
            (0..61)
                .map(|i| {
                    if i < from {
                        f64::NAN
                    } else {
                        base + amp * ((i as f64) / 6.0).sin()
                    }
                })
                .collect()
        };
        let series = |a: Vec<f64>, b: Vec<f64>| {
            vec![
                ("flowers-predictor-00001".to_string(), a),
                ("flowers-predictor-00002".to_string(), b),
            ]
        };
        let panel = |title, unit, series| Panel {
            title,
            unit,
            series,
            error: None,
        };
        let result = Ok(Arc::new(Metrics::History {
            start: 0,
            panels: vec![
                panel(
                    "requests/s",
                    Unit::PerSecond,
                    series(wave(10.0, 3.0, 0), wave(2.5, 0.8, 30)),
                ),
                panel(
                    "p50 latency",
                    Unit::Millis,
                    series(wave(18.0, 2.0, 0), wave(26.0, 3.0, 30)),
                ),
                panel(
                    "p99 latency",
                    Unit::Millis,
                    series(wave(120.0, 30.0, 0), wave(210.0, 40.0, 30)),
                ),
                panel(
                    "errors",
                    Unit::Ratio,
                    series(wave(0.004, 0.002, 0), wave(0.03, 0.01, 30)),
                ),
            ],
        }));
        update(
            &mut state,
            &keymap(),
            Msg::Data(DataEvent::Metrics { key, result }),
        );
        snapshot("model_detail_with_traffic", &state, w, h);
    }
}
