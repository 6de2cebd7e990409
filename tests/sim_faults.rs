//! Fault injection against kube-rs: dropped watches resume, delays slow every answer, 410s make
//! the watcher relist, 403/500 come back as `Status` errors, log streams are cut.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/sim.rs"]
mod simsupport;

use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, LogParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::watcher;
use serde_json::json;
use simsupport::{NS, client, start};

fn pod(name: &str, log: &str, secs: u64) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "annotations": {"sim.kftui.dev/log": log, "sim.kftui.dev/run-seconds": secs.to_string()}},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
    }))
    .unwrap()
}

async fn admin(h: &kftui::sim::SimHandle, body: serde_json::Value) -> serde_json::Value {
    let c = client(h);
    let req = axum::http::Request::post("/sim/faults")
        .header("content-type", "application/json")
        .body(body.to_string().into_bytes())
        .unwrap();
    serde_json::from_str(&c.request_text(req).await.unwrap()).unwrap()
}

#[test]
fn fault_specs_parse() {
    let f = kftui::sim::parse_faults("delay=100ms,error=pods:403,gone=workflows,log-bytes=10").unwrap();
    assert_eq!(f.delay_ms, 100);
    assert_eq!(f.error_for("pods"), Some(403));
    assert!(f.watch_gone.contains("workflows"));
    assert_eq!(f.log_bytes, Some(10));
    assert!(kftui::sim::parse_faults("nonsense").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_watches_end_and_resume_from_their_resource_version() {
    let h = start().await;
    let c = client(&h);
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let list = pods.list(&ListParams::default()).await.unwrap();
    let rv = list.metadata.resource_version.unwrap();
    let mut stream = pods.watch(&WatchParams::default(), &rv).await.unwrap().boxed();
    let shown = admin(&h, json!({"drop_watches": true})).await;
    assert!(shown.get("drop_watches").is_none(), "a drop is not kept: {shown}");
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(ev) = stream.next().await {
            let _ = ev;
        }
    })
    .await;
    assert!(ended.is_ok(), "the watch did not end when dropped");
    // Resuming from the same RV sees later changes exactly once.
    let mut again = pods.watch(&WatchParams::default(), &rv).await.unwrap().boxed();
    pods.create(&PostParams::default(), &pod("after-drop", "x\n", 60))
        .await
        .unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(ev)) = again.next().await {
            if let WatchEvent::Added(p) = ev
                && p.metadata.name.as_deref() == Some("after-drop")
            {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(seen.ok(), Some(true));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_slows_every_response() {
    let h = start().await;
    let c = client(&h);
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    admin(&h, json!({"delay_ms": 300})).await;
    let t = Instant::now();
    pods.list(&ListParams::default().limit(1)).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(300), "{:?}", t.elapsed());
    h.set_faults(kftui::sim::Faults::default());
    let t = Instant::now();
    pods.list(&ListParams::default().limit(1)).await.unwrap();
    assert!(t.elapsed() < Duration::from_millis(300));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_and_internal_errors_for_a_kind() {
    let h = start().await;
    let c = client(&h);
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    admin(&h, json!({"errors": {"pods": 403, "workflows": 500}})).await;
    let err = pods.list(&ListParams::default()).await.unwrap_err();
    match err {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 403);
            assert_eq!(s.reason, "Forbidden");
            assert!(
                s.message.contains("cannot list resource \"pods\""),
                "{}",
                s.message
            );
        }
        other => panic!("{other}"),
    }
    let wfs: Api<kube::api::DynamicObject> =
        Api::namespaced_with(c.clone(), NS, &simsupport::workflow_resource());
    match wfs.list(&ListParams::default()).await.unwrap_err() {
        kube::Error::Api(s) => assert_eq!(s.code, 500),
        other => panic!("{other}"),
    }
    admin(&h, json!({})).await;
    assert!(pods.list(&ListParams::default()).await.is_ok());
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_watches_make_the_watcher_relist() {
    let h = start().await;
    let c = client(&h);
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let mut w = watcher(pods.clone(), watcher::Config::default()).boxed();
    // The first relist completes.
    let init_done =
        |ev: &Result<watcher::Event<Pod>, watcher::Error>| matches!(ev, Ok(watcher::Event::InitDone));
    let first = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(ev) = w.next().await {
            if init_done(&ev) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(first.ok(), Some(true));
    admin(&h, json!({"watch_gone": ["pods"], "drop_watches": true})).await;
    let relisted = tokio::time::timeout(Duration::from_secs(20), async {
        let mut errors = 0;
        while let Some(ev) = w.next().await {
            match ev {
                Err(_) => errors += 1,
                Ok(watcher::Event::Init) => return errors,
                _ => {}
            }
        }
        errors
    })
    .await;
    assert!(relisted.is_ok(), "the watcher did not relist after 410");
    h.set_faults(kftui::sim::Faults::default());
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_streams_are_cut() {
    let h = start().await;
    let c = client(&h);
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let text: String = (1..=20).map(|i| format!("line {i}\n")).collect();
    pods.create(&PostParams::default(), &pod("cut-me", &text, 1))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let p = pods.get("cut-me").await.unwrap();
        if p.status.and_then(|s| s.phase).as_deref() == Some("Succeeded") {
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    admin(&h, json!({"log_lines": 5})).await;
    let log = pods.logs("cut-me", &LogParams::default()).await.unwrap();
    assert_eq!(log.lines().count(), 5, "{log}");
    admin(&h, json!({"log_bytes": 12})).await;
    let log = pods.logs("cut-me", &LogParams::default()).await.unwrap();
    assert_eq!(log, "line 1\nline ");
    admin(&h, json!({})).await;
    let log = pods.logs("cut-me", &LogParams::default()).await.unwrap();
    assert_eq!(log.lines().count(), 20);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_endpoint_takes_the_same_text_as_the_faults_flag() {
    let h = start().await;
    let c = client(&h);
    let req = axum::http::Request::post("/sim/faults")
        .header("content-type", "text/plain")
        .body(b"error=pods:403,delay=5ms".to_vec())
        .unwrap();
    let shown: serde_json::Value = serde_json::from_str(&c.request_text(req).await.unwrap()).unwrap();
    assert_eq!(shown["delay_ms"], 5, "{shown}");
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let err = pods.list(&ListParams::default()).await.unwrap_err();
    assert!(err.to_string().contains("forbidden"), "{err}");
    let bad = axum::http::Request::post("/sim/faults")
        .body(b"nonsense".to_vec())
        .unwrap();
    assert!(c.request_text(bad).await.is_err(), "a bad spec is refused");
    h.shutdown().await;
}
