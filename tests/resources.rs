//! The resource view's cluster side against the embedded cluster over real HTTP: discovery names
//! every kind as kubectl does, the Table watch lists with the server's columns and follows
//! changes, any kind can be deleted, and a pod is described with its containers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/sim.rs"]
mod simsupport;

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kftui::kube::discovery::{self, ApiKind};
use kftui::kube::event::{DataEvent, SubStatus};
use kftui::kube::key::{Kind, SubKey};
use kftui::kube::kubeflow_ops::Verb;
use kftui::kube::resources::table::{Column, TableRow};
use kube::api::{Api, PostParams};
use serde_json::json;
use simsupport::{NS, client, start};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const TIMEOUT: Duration = Duration::from_secs(20);

async fn kinds(c: &kube::Client) -> Vec<ApiKind> {
    discovery::discover(c).await.unwrap()
}

/// Waits for a snapshot of the table watch that satisfies `cond`.
async fn table_until(
    rx: &mut mpsc::Receiver<DataEvent>,
    what: &str,
    cond: impl Fn(&[Column], &[TableRow]) -> bool,
) -> (Arc<[Column]>, Arc<[TableRow]>) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(DataEvent::Table { columns, rows, .. })) if cond(&columns, &rows) => {
                return (columns, rows);
            }
            Ok(Some(DataEvent::Status {
                status: SubStatus::Failed { message },
                ..
            })) => panic!("{what}: the watch failed: {message}"),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

fn key(res: &'static discovery::ResKind, ns: Option<&str>) -> SubKey {
    SubKey {
        context: "sim".into(),
        namespace: ns.map(str::to_string),
        kind: Kind::Resource(res),
        selector: None,
        field: None,
    }
}

#[tokio::test]
async fn discovery_names_kinds_as_kubectl_does() {
    let h = start().await;
    let c = client(&h);
    let kinds = kinds(&c).await;
    for (name, plural, group) in [
        ("po", "pods", ""),
        ("pods", "pods", ""),
        ("ev", "events", ""),
        ("pvc", "persistentvolumeclaims", ""),
        ("svc", "services", ""),
        ("nodes", "nodes", ""),
        ("wf", "workflows", "argoproj.io"),
        ("notebooks", "notebooks", "kubeflow.org"),
        (
            "inferenceservices.serving.kserve.io",
            "inferenceservices",
            "serving.kserve.io",
        ),
    ] {
        let k = discovery::resolve(&kinds, name).unwrap_or_else(|| panic!("{name} resolves"));
        assert_eq!(
            (k.res.plural.as_str(), k.res.group.as_str()),
            (plural, group),
            "{name}"
        );
    }
    let nodes = discovery::resolve(&kinds, "no").unwrap();
    assert!(!nodes.res.namespaced, "nodes are cluster-scoped");
    assert!(
        discovery::resolve(&kinds, "pods/log").is_none(),
        "subresources are not kinds"
    );
}

#[tokio::test]
async fn pods_list_and_follow_with_the_servers_columns() {
    let h = start().await;
    let c = client(&h);
    let pods = discovery::pods();
    let (tx, mut rx) = mpsc::channel(64);
    let cancel = CancellationToken::new();
    tokio::spawn(kftui::kube::table_watch::run(
        c.clone(),
        key(pods, Some(NS)),
        pods,
        tx,
        cancel.clone(),
    ));
    let (columns, rows) = table_until(&mut rx, "the pods", |_, rows| !rows.is_empty()).await;
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    for want in ["Name", "Ready", "Status", "Restarts", "Age"] {
        assert!(names.contains(&want), "pod columns {names:?}");
    }
    assert!(columns.iter().any(Column::is_age));
    assert!(rows.iter().all(|r| &*r.namespace == NS && r.created.is_some()));
    assert!(
        rows.iter()
            .any(|r| r.owner.as_ref().is_some_and(|o| o.kind == "Workflow")),
        "a step's pod names its Workflow as owner"
    );

    // A pod created now arrives through the watch, with kubectl's status.
    let api: Api<Pod> = Api::namespaced(c.clone(), NS);
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "table-watch-probe", "labels": {"app": "probe"}},
        "spec": {"containers": [{"name": "main", "image": "busybox",
            "resources": {"limits": {"nvidia.com/gpu": "2"}}}]},
    }))
    .unwrap();
    api.create(&PostParams::default(), &pod).await.unwrap();
    let (_, rows) = table_until(&mut rx, "the new pod", |_, rows| {
        rows.iter().any(|r| &*r.name == "table-watch-probe")
    })
    .await;
    let probe = rows.iter().find(|r| &*r.name == "table-watch-probe").unwrap();
    assert_eq!(probe.gpus, 2, "GPU limits are read from the pod");
    assert!(
        !probe.status.is_empty(),
        "{:?}",
        probe.cells().collect::<Vec<_>>()
    );

    // Deleted through the generic verb, it leaves the view.
    let target = kftui::kube::key::VerbTarget {
        kind: Kind::Resource(pods),
        namespace: NS.into(),
        name: "table-watch-probe".into(),
        display: "table-watch-probe".into(),
    };
    let said = Verb::Delete(Kind::Resource(pods))
        .run_on(&c, &target)
        .await
        .unwrap();
    assert!(said.contains("table-watch-probe"), "{said}");
    table_until(&mut rx, "the pod gone", |_, rows| {
        !rows.is_empty() && rows.iter().all(|r| &*r.name != "table-watch-probe")
    })
    .await;
    cancel.cancel();
}

#[tokio::test]
async fn events_nodes_and_custom_kinds_come_as_kubectl_get_prints_them() {
    let h = start().await;
    let c = client(&h);
    let kinds = kinds(&c).await;
    for (name, ns, want) in [
        ("events", Some(NS), &["Type", "Reason", "Message"][..]),
        ("nodes", None, &["Status", "Roles"][..]),
        ("notebooks", Some(NS), &["Age"][..]),
    ] {
        let res = discovery::resolve(&kinds, name).unwrap().res;
        let (tx, mut rx) = mpsc::channel(64);
        let cancel = CancellationToken::new();
        tokio::spawn(kftui::kube::table_watch::run(
            c.clone(),
            key(res, ns),
            res,
            tx,
            cancel.clone(),
        ));
        let (columns, rows) = table_until(&mut rx, name, |_, rows| !rows.is_empty()).await;
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        for w in want {
            assert!(names.contains(w), "{name} columns {names:?}");
        }
        if res.is_events() {
            assert!(
                rows.iter()
                    .all(|r| r.event.as_ref().is_some_and(|e| e.subject.is_some())),
                "every event names its object"
            );
            assert!(
                rows.iter().any(|r| r.event.as_ref().is_some_and(|e| e.warning)),
                "the demo's failing image pull is a warning"
            );
        }
        cancel.cancel();
    }
}

#[tokio::test]
async fn a_pod_is_described_with_containers_and_its_events() {
    let h = start().await;
    let c = client(&h);
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let all = pods.list(&Default::default()).await.unwrap();
    let pod = all
        .items
        .iter()
        .find(|p| {
            p.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("pytorch-gpu"))
        })
        .expect("the demo's notebook pod that cannot pull its image");
    let name = pod.metadata.name.clone().unwrap();
    let lines = kftui::kube::fetch::fetch(
        c.clone(),
        Kind::Resource(discovery::pods()),
        NS,
        &name,
        kftui::kube::fetch::ViewKind::Describe,
    )
    .await
    .unwrap();
    let text = lines.join("\n");
    for want in [
        "Containers (",
        "Image:",
        "State:",
        "Waiting: ImagePullBackOff",
        "Volumes (",
    ] {
        assert!(text.contains(want), "missing {want:?}:\n{text}");
    }
    assert!(
        text.contains("Warning"),
        "the pull failures are among its events:\n{text}"
    );
}

#[tokio::test]
async fn a_secrets_values_are_hidden_until_asked() {
    use k8s_openapi::api::core::v1::Secret;
    let h = start().await;
    let c = client(&h);
    let api: Api<Secret> = Api::namespaced(c.clone(), NS);
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "db-creds", "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}},
        "data": {"password": "aHVudGVyMg==", "blob": "/wD+"},
    }))
    .unwrap();
    api.create(&PostParams::default(), &secret).await.unwrap();
    let kinds = kinds(&c).await;
    let kind = Kind::Resource(discovery::resolve(&kinds, "secrets").unwrap().res);
    let show = |view| kftui::kube::fetch::fetch(c.clone(), kind, NS, "db-creds", view);
    let hidden = show(kftui::kube::fetch::ViewKind::Yaml).await.unwrap().join("\n");
    assert!(
        !hidden.contains("aHVudGVyMg") && !hidden.contains("hunter2"),
        "{hidden}"
    );
    assert!(
        hidden.contains("password: '<hidden: 7 bytes; x shows>'") || hidden.contains("<hidden: 7 bytes"),
        "{hidden}"
    );
    let described = show(kftui::kube::fetch::ViewKind::Describe)
        .await
        .unwrap()
        .join("\n");
    assert!(!described.contains("aHVudGVyMg"), "{described}");
    let shown = show(kftui::kube::fetch::ViewKind::Revealed)
        .await
        .unwrap()
        .join("\n");
    assert!(shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("<3 bytes, not text>"), "{shown}");
    assert!(
        !shown.contains("aHVudGVyMg"),
        "apply's copy stays hidden: {shown}"
    );
}

#[tokio::test]
async fn pods_cpu_and_memory_come_from_metrics_k8s_io() {
    let h = start().await;
    let c = client(&h);
    let (tx, mut rx) = mpsc::channel::<DataEvent>(8);
    let cancel = CancellationToken::new();
    tokio::spawn(kftui::kube::pod_usage::poll(
        c.clone(),
        key(discovery::pods(), Some(NS)),
        tx,
        cancel.clone(),
    ));
    let usage = match tokio::time::timeout(TIMEOUT, rx.recv()).await {
        Ok(Some(DataEvent::PodUsage { usage, .. })) => usage,
        other => panic!("no pod usage: {other:?}"),
    };
    let running = usage
        .iter()
        .filter(|(k, u)| k.starts_with(&format!("{NS}/")) && u.cpu_milli > 0 && u.memory > 0)
        .count();
    assert!(running > 0, "running pods use CPU and memory: {usage:?}");
    cancel.cancel();
}
