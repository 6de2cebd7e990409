#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every run verb against the embedded cluster, asserting the object the cluster ends with.

#[path = "support/sim.rs"]
mod sim_support;

use std::time::Duration;

use kftui::kube::ops::{OpError, RunVerb, run_verb};
use kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;
use sim_support::*;

async fn workflows(client: &kube::Client) -> Vec<Value> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), NS, &workflow_resource());
    api.list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|o| serde_json::to_value(o).unwrap())
        .collect()
}

async fn get(client: &kube::Client, name: &str) -> Option<Value> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), NS, &workflow_resource());
    api.get_opt(name)
        .await
        .unwrap()
        .map(|o| serde_json::to_value(o).unwrap())
}

fn phase(wf: &Value) -> &str {
    wf.pointer("/status/phase").and_then(Value::as_str).unwrap_or("")
}

fn name(wf: &Value) -> String {
    wf.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap()
        .to_string()
}

fn is_kfp(wf: &Value) -> bool {
    wf.pointer("/metadata/labels/pipeline~1runid").is_some()
}

/// A run in phase `want` that is a plain Argo run (the Argo-semantics tests) or a KFP one.
async fn one_with_phase(client: &kube::Client, want: &str, skip: &[String]) -> String {
    one_of(client, want, skip, false).await
}

async fn one_of(client: &kube::Client, want: &str, skip: &[String], kfp: bool) -> String {
    for _ in 0..100 {
        if let Some(wf) = workflows(client).await.into_iter().find(|w| {
            phase(w) == want
                && is_kfp(w) == kfp
                && w.pointer("/spec/suspend").is_none()
                && w.pointer("/spec/shutdown").is_none()
                && !skip.contains(&name(w))
        }) {
            return name(&wf);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no {want} run (KFP: {kfp}) in the demo");
}

#[tokio::test]
async fn stop_and_terminate_set_the_shutdown_strategy_and_the_run_ends() {
    let h = start().await;
    let c = client(&h);
    let a = one_with_phase(&c, "Running", &[]).await;
    let b = one_with_phase(&c, "Running", std::slice::from_ref(&a)).await;
    run_verb(&c, NS, &a, RunVerb::Stop).await.unwrap();
    run_verb(&c, NS, &b, RunVerb::Terminate).await.unwrap();
    assert_eq!(
        get(&c, &a)
            .await
            .unwrap()
            .pointer("/spec/shutdown")
            .and_then(Value::as_str),
        Some("Stop")
    );
    assert_eq!(
        get(&c, &b)
            .await
            .unwrap()
            .pointer("/spec/shutdown")
            .and_then(Value::as_str),
        Some("Terminate")
    );
    for _ in 0..50 {
        let wf = get(&c, &b).await.unwrap();
        if phase(&wf) == "Failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        phase(&get(&c, &b).await.unwrap()),
        "Failed",
        "a terminated run ends"
    );
    let err = run_verb(&c, NS, &b, RunVerb::Stop).await.unwrap_err();
    assert!(
        matches!(err, OpError::Refused(ref m) if m.contains("failed")),
        "{err}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn suspend_then_resume_round_trips_the_spec() {
    let h = start().await;
    let c = client(&h);
    let a = one_with_phase(&c, "Running", &[]).await;
    run_verb(&c, NS, &a, RunVerb::Suspend).await.unwrap();
    assert_eq!(
        get(&c, &a).await.unwrap().pointer("/spec/suspend"),
        Some(&Value::Bool(true))
    );
    run_verb(&c, NS, &a, RunVerb::Resume).await.unwrap();
    assert_eq!(get(&c, &a).await.unwrap().pointer("/spec/suspend"), None);
    let err = run_verb(&c, NS, &a, RunVerb::Resume).await.unwrap_err();
    assert_eq!(err, OpError::Refused("the run is not suspended".into()));
    h.shutdown().await;
}

#[tokio::test]
async fn retry_resets_a_failed_run_and_deletes_its_failed_pods() {
    let h = start().await;
    let c = client(&h);
    let failed = one_with_phase(&c, "Failed", &[]).await;
    let before = get(&c, &failed).await.unwrap();
    let failed_nodes = before["status"]["nodes"]
        .as_object()
        .unwrap()
        .values()
        .filter(|n| n["type"] == "Pod" && matches!(n["phase"].as_str(), Some("Failed" | "Error")))
        .count();
    assert!(failed_nodes > 0, "a failed run has a failed step");
    let msg = run_verb(&c, NS, &failed, RunVerb::Retry).await.unwrap();
    assert!(msg.contains("retrying"), "{msg}");
    let after = get(&c, &failed).await.unwrap();
    assert_ne!(phase(&after), "Failed");
    assert!(after.pointer("/status/finishedAt").is_none());
    let still_failed = after["status"]["nodes"]
        .as_object()
        .map(|n| {
            n.values()
                .filter(|n| n["type"] == "Pod" && n["phase"] == "Failed")
                .count()
        })
        .unwrap_or(0);
    assert_eq!(still_failed, 0, "failed pod nodes are removed");
    let ok = one_with_phase(&c, "Succeeded", &[]).await;
    let err = run_verb(&c, NS, &ok, RunVerb::Retry).await.unwrap_err();
    assert!(matches!(err, OpError::Refused(_)), "{err}");
    h.shutdown().await;
}

#[tokio::test]
async fn resubmit_creates_a_labelled_copy_and_delete_removes_the_run() {
    let h = start().await;
    let c = client(&h);
    let src = one_with_phase(&c, "Succeeded", &[]).await;
    let msg = run_verb(&c, NS, &src, RunVerb::Resubmit).await.unwrap();
    let new_name = msg.rsplit(' ').next().unwrap().to_string();
    let new = get(&c, &new_name).await.expect("the resubmitted run exists");
    assert_eq!(
        new["metadata"]["labels"]["workflows.argoproj.io/resubmitted-from-workflow"],
        Value::from(src.clone())
    );
    assert_eq!(
        new["spec"]["entrypoint"],
        get(&c, &src).await.unwrap()["spec"]["entrypoint"]
    );
    run_verb(&c, NS, &new_name, RunVerb::Delete).await.unwrap();
    assert!(get(&c, &new_name).await.is_none(), "deleted");
    let err = run_verb(&c, NS, &new_name, RunVerb::Delete).await.unwrap_err();
    assert_eq!(err, OpError::NotFound);
    h.shutdown().await;
}

#[tokio::test]
async fn kfp_runs_are_terminated_and_retried_through_the_kfp_api() {
    let h = start().await;
    let c = client(&h);
    let running = one_of(&c, "Running", &[], true).await;
    let msg = run_verb(&c, NS, &running, RunVerb::Terminate).await.unwrap();
    assert!(msg.contains("through the KFP API"), "{msg}");
    let wf = get(&c, &running).await.unwrap();
    assert_eq!(
        wf.pointer("/spec/activeDeadlineSeconds"),
        Some(&Value::from(0)),
        "KFP terminates with activeDeadlineSeconds: 0"
    );
    assert!(wf.pointer("/spec/shutdown").is_none());
    for _ in 0..50 {
        if phase(&get(&c, &running).await.unwrap()) == "Failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(phase(&get(&c, &running).await.unwrap()), "Failed");

    // KFP's own refusal is shown as KFP says it.
    let ok = one_of(&c, "Succeeded", &[], true).await;
    let err = run_verb(&c, NS, &ok, RunVerb::Retry).await.unwrap_err();
    assert!(err.to_string().contains("not in a failed state"), "{err}");

    let failed = one_of(&c, "Failed", std::slice::from_ref(&running), true).await;
    let msg = run_verb(&c, NS, &failed, RunVerb::Retry).await.unwrap();
    assert!(msg.contains("through the KFP API"), "{msg}");
    let after = get(&c, &failed).await.unwrap();
    assert_eq!(
        after.pointer("/metadata/annotations/pipelines.kubeflow.org~1retry-generation"),
        Some(&Value::from("1"))
    );
    h.shutdown().await;
}

#[tokio::test]
async fn without_a_reachable_kfp_api_kfp_runs_fall_back_to_the_workflow() {
    let h = start().await;
    h.set_faults(kftui::sim::parse_faults("error=services:403").unwrap());
    let c = client(&h);
    let running = one_of(&c, "Running", &[], true).await;
    let msg = run_verb(&c, NS, &running, RunVerb::Terminate).await.unwrap();
    assert!(!msg.contains("KFP"), "{msg}");
    let wf = get(&c, &running).await.unwrap();
    assert_eq!(
        wf.pointer("/spec/shutdown").and_then(Value::as_str),
        Some("Terminate")
    );
    h.shutdown().await;
}
