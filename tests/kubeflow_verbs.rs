#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Notebook and model verbs against the embedded cluster, asserting the object the cluster ends
//! with, and the Notebooks/Models watches delivering rows from it.

#[path = "support/sim.rs"]
mod sim_support;

use std::time::Duration;

use kftui::app::subs::Kind;
use kftui::kube::fetch::api_resource;
use kftui::kube::kubeflow_ops::{ModelVerb, NotebookVerb, model_verb, notebook_verb};
use kftui::kube::resources::inference_service::{IsvcLite, IsvcRow};
use kftui::kube::resources::notebook::{NotebookLite, NotebookRow, NotebookStatus};
use kube::api::{Api, DynamicObject};
use serde_json::Value;
use sim_support::*;

async fn get(client: &kube::Client, kind: Kind, name: &str) -> Option<Value> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), NS, &api_resource(kind));
    api.get_opt(name)
        .await
        .unwrap()
        .map(|o| serde_json::to_value(o).unwrap())
}

async fn notebook_status(client: &kube::Client, name: &str) -> NotebookStatus {
    let api: Api<NotebookLite> = Api::namespaced(client.clone(), NS);
    NotebookRow::from_notebook(&api.get(name).await.unwrap()).status
}

async fn wait_for_status(client: &kube::Client, name: &str, want: NotebookStatus) {
    for _ in 0..150 {
        if notebook_status(client, name).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("notebook {name} never became {want:?}");
}

#[tokio::test]
async fn stop_and_start_a_notebook_through_its_annotation() {
    let h = start().await;
    let c = client(&h);
    let name = "jupyter-scipy";
    notebook_verb(&c, NS, name, NotebookVerb::Stop).await.unwrap();
    let nb = get(&c, Kind::Notebooks, name).await.unwrap();
    let stopped = nb
        .pointer("/metadata/annotations/kubeflow-resource-stopped")
        .and_then(Value::as_str)
        .unwrap();
    assert!(
        kftui::kube::resources::parse_time(stopped).is_some(),
        "an RFC 3339 time: {stopped}"
    );
    wait_for_status(&c, name, NotebookStatus::Stopped).await;
    notebook_verb(&c, NS, name, NotebookVerb::Start).await.unwrap();
    let nb = get(&c, Kind::Notebooks, name).await.unwrap();
    assert!(
        nb.pointer("/metadata/annotations/kubeflow-resource-stopped")
            .is_none(),
        "start removes the annotation"
    );
    wait_for_status(&c, name, NotebookStatus::Ready).await;
    notebook_verb(&c, NS, name, NotebookVerb::Delete).await.unwrap();
    for _ in 0..50 {
        if get(&c, Kind::Notebooks, name).await.is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the notebook was not deleted");
}

#[tokio::test]
async fn model_stop_start_canary_promote_and_rollback() {
    let h = start().await;
    let c = client(&h);
    let name = "sklearn-iris";
    let ann = |o: &Value| {
        o.pointer("/metadata/annotations/serving.kserve.io~1stop")
            .cloned()
    };
    let canary = |o: &Value| o.pointer("/spec/predictor/canaryTrafficPercent").cloned();
    model_verb(&c, NS, name, ModelVerb::Stop).await.unwrap();
    let o = get(&c, Kind::InferenceServices, name).await.unwrap();
    assert_eq!(ann(&o), Some(Value::from("true")));
    model_verb(&c, NS, name, ModelVerb::Start).await.unwrap();
    let o = get(&c, Kind::InferenceServices, name).await.unwrap();
    assert_eq!(ann(&o), None);
    model_verb(&c, NS, name, ModelVerb::Canary(25)).await.unwrap();
    let o = get(&c, Kind::InferenceServices, name).await.unwrap();
    assert_eq!(canary(&o), Some(Value::from(25)));
    model_verb(&c, NS, name, ModelVerb::Rollback).await.unwrap();
    let o = get(&c, Kind::InferenceServices, name).await.unwrap();
    assert_eq!(canary(&o), Some(Value::from(0)));
    model_verb(&c, NS, name, ModelVerb::Promote).await.unwrap();
    let o = get(&c, Kind::InferenceServices, name).await.unwrap();
    assert_eq!(canary(&o), None, "promote ends with the field removed");
    let api: Api<IsvcLite> = Api::namespaced(c.clone(), NS);
    let rows: Vec<IsvcRow> = api
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(IsvcRow::from_isvc)
        .collect();
    assert!(
        rows.iter()
            .any(|r| r.name == "sklearn-iris" && !r.format.is_empty())
    );
    model_verb(&c, NS, name, ModelVerb::Delete).await.unwrap();
}
