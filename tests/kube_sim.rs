//! kube-rs against the embedded cluster over real HTTP: lists, watches, paging, patches,
//! selectors and pod logs behave the way a Kubernetes API server's do.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/sim.rs"]
mod simsupport;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, LogParams, Patch, PatchParams, PostParams, WatchEvent,
    WatchParams,
};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;
use simsupport::{NS, client, start, start_with, workflow_resource};

const TIMEOUT: Duration = Duration::from_secs(15);

fn workflows(c: &kube::Client, ns: Option<&str>) -> Api<DynamicObject> {
    let ar = workflow_resource();
    match ns {
        Some(ns) => Api::namespaced_with(c.clone(), ns, &ar),
        None => Api::all_with(c.clone(), &ar),
    }
}

fn phase(wf: &DynamicObject) -> String {
    wf.data["status"]["phase"].as_str().unwrap_or("").to_string()
}

async fn make_namespace(c: &kube::Client, name: &str) {
    let nss: Api<Namespace> = Api::all(c.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    nss.create(&PostParams::default(), &ns).await.unwrap();
}

fn test_pod(name: &str, annotations: serde_json::Value) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"app": "t"}, "annotations": annotations},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
    }))
    .unwrap()
}

#[tokio::test]
async fn lists_namespaces_pods_and_workflows() {
    let h = start().await;
    let c = client(&h);
    let nss: Vec<String> = Api::<Namespace>::all(c.clone())
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    for ns in ["default", "kubeflow", NS, "team-vision"] {
        assert!(nss.contains(&ns.to_string()), "namespace {ns} in {nss:?}");
    }
    let pods = Api::<Pod>::default_namespaced(c.clone())
        .list(&ListParams::default())
        .await
        .unwrap();
    assert!(pods.items.len() > 20, "seeded pods: {}", pods.items.len());
    let pod = &pods.items[0];
    assert!(pod.metadata.resource_version.is_some());
    assert!(pod.status.as_ref().and_then(|s| s.phase.as_ref()).is_some());

    let wfs = workflows(&c, None).list(&ListParams::default()).await.unwrap();
    assert_eq!(wfs.items.len(), 42, "the default seed's run count");
    let phases: BTreeSet<String> = wfs.items.iter().map(phase).collect();
    for p in ["Succeeded", "Failed", "Running"] {
        assert!(phases.contains(p), "a {p} run in {phases:?}");
    }
    let kfp = wfs
        .items
        .iter()
        .find(|w| {
            w.metadata
                .labels
                .as_ref()
                .is_some_and(|l| l.contains_key("pipeline/runid"))
        })
        .expect("a KFP-shaped run");
    assert!(
        kfp.metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key("pipelines.kubeflow.org/run_name"))
    );
    h.shutdown().await;
}

#[tokio::test]
async fn get_of_a_missing_workflow_is_a_404_status() {
    let h = start().await;
    let c = client(&h);
    let err = workflows(&c, Some(NS)).get("nope").await.unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("not an API error: {err:?}")
    };
    assert_eq!(status.code, 404);
    assert_eq!(status.reason, "NotFound");
    assert_eq!(status.message, "workflows.argoproj.io \"nope\" not found");
    h.shutdown().await;
}

#[tokio::test]
async fn watch_sees_create_modify_delete_in_order_exactly_once() {
    let h = start().await;
    let c = client(&h);
    make_namespace(&c, "watch-test").await;
    let pods: Api<Pod> = Api::namespaced(c.clone(), "watch-test");
    let rv = pods
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut stream = pods.watch(&WatchParams::default(), &rv).await.unwrap().boxed();

    pods.create(&PostParams::default(), &test_pod("w1", json!({})))
        .await
        .unwrap();
    let patch = json!({"metadata": {"labels": {"patched": "yes"}}});
    pods.patch("w1", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    pods.delete("w1", &DeleteParams::default()).await.unwrap();

    // The kubelet may start the pod in between (more MODIFIED events); the order of ours and
    // the count of ADDED/DELETED must hold.
    let mut seen = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    while !seen.iter().any(|s: &String| s.starts_with("DELETED")) {
        let ev = tokio::time::timeout_at(deadline.into(), stream.next())
            .await
            .expect("watch events in time")
            .expect("stream open")
            .unwrap();
        let label = |p: &Pod| {
            p.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("patched").cloned())
                .unwrap_or_default()
        };
        match ev {
            WatchEvent::Added(p) => seen.push(format!("ADDED {}", label(&p))),
            WatchEvent::Modified(p) => seen.push(format!("MODIFIED {}", label(&p))),
            WatchEvent::Deleted(p) => seen.push(format!("DELETED {}", label(&p))),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen.first().map(String::as_str), Some("ADDED "), "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("DELETED yes"), "{seen:?}");
    assert_eq!(
        seen.iter().filter(|s| s.starts_with("ADDED")).count(),
        1,
        "{seen:?}"
    );
    assert!(seen.contains(&"MODIFIED yes".to_string()), "{seen:?}");
    let first_patched = seen.iter().position(|s| s == "MODIFIED yes").unwrap();
    assert!(
        seen[first_patched..].iter().all(|s| s.ends_with("yes")),
        "nothing after the patch lacks it: {seen:?}"
    );
    // Nothing more arrives for this pod.
    let extra = tokio::time::timeout(Duration::from_millis(700), stream.next()).await;
    assert!(extra.is_err(), "no events after the delete: {extra:?}");
    h.shutdown().await;
}

#[tokio::test]
async fn watch_resumed_from_a_resource_version_replays_only_later_changes() {
    let h = start().await;
    let c = client(&h);
    make_namespace(&c, "resume-test").await;
    let nss: Api<Namespace> = Api::all(c.clone());
    let before = nss.get("resume-test").await.unwrap();
    let rv = before.metadata.resource_version.clone().unwrap();
    for i in 0..3 {
        let p = json!({"metadata": {"labels": {"step": i.to_string()}}});
        nss.patch("resume-test", &PatchParams::default(), &Patch::Merge(&p))
            .await
            .unwrap();
    }
    let wp = WatchParams::default().fields("metadata.name=resume-test");
    let mut stream = nss.watch(&wp, &rv).await.unwrap().boxed();
    let mut steps = Vec::new();
    for _ in 0..3 {
        match stream.next().await.unwrap().unwrap() {
            WatchEvent::Modified(n) => steps.push(n.metadata.labels.unwrap()["step"].clone()),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(steps, ["0", "1", "2"]);
    let extra = tokio::time::timeout(Duration::from_millis(500), stream.next()).await;
    assert!(extra.is_err(), "replayed exactly once: {extra:?}");
    h.shutdown().await;
}

#[tokio::test]
async fn watch_from_an_expired_resource_version_gets_410_gone() {
    let h = start().await;
    let c = client(&h);
    make_namespace(&c, "churn").await;
    let nss: Api<Namespace> = Api::all(c.clone());
    let old_rv = nss.get("churn").await.unwrap().metadata.resource_version.unwrap();
    // Push the RV out of the 10,000-change history window, in-process for speed.
    let store = h.store();
    let ns_type = kftui::sim::types::namespace_type();
    for i in 0..10_050 {
        store
            .mutate(ns_type, "", "churn", kftui::sim::store::Part::All, |v| {
                v["metadata"]["labels"]["n"] = json!(i.to_string());
                Ok(())
            })
            .unwrap();
    }
    let mut stream = nss.watch(&WatchParams::default(), &old_rv).await.unwrap().boxed();
    match stream.next().await.unwrap() {
        Ok(WatchEvent::Error(status)) => {
            assert_eq!(status.code, 410);
            assert_eq!(status.reason, "Expired");
            assert!(status.message.contains("too old resource version"), "{status:?}");
        }
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 410),
        other => panic!("expected 410, got {other:?}"),
    }
    // A fresh watch from "0" begins with the current objects.
    let mut fresh = nss.watch(&WatchParams::default(), "0").await.unwrap().boxed();
    assert!(matches!(fresh.next().await, Some(Ok(WatchEvent::Added(_)))));
    h.shutdown().await;
}

#[tokio::test]
async fn paging_with_limit_and_continue_returns_every_object_once() {
    let h = start().await;
    let c = client(&h);
    let api = workflows(&c, None);
    let all: Vec<String> = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|w| w.metadata.name)
        .collect();
    let mut paged = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut lp = ListParams::default().limit(7);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = api.list(&lp).await.unwrap();
        assert!(page.items.len() <= 7);
        paged.extend(page.items.into_iter().filter_map(|w| w.metadata.name));
        pages += 1;
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
        assert!(page.metadata.remaining_item_count.is_some_and(|n| n > 0));
    }
    assert!(pages >= 6, "{pages} pages");
    let unique: BTreeSet<&String> = paged.iter().collect();
    assert_eq!(unique.len(), paged.len(), "no duplicates");
    // New runs may arrive meanwhile; every object listed up front is paged exactly once.
    for name in &all {
        assert!(unique.contains(name), "{name} was paged");
    }
    h.shutdown().await;
}

#[tokio::test]
async fn label_and_field_selectors_narrow_lists() {
    let h = start().await;
    let c = client(&h);
    let api = workflows(&c, None);
    let total = api.list(&ListParams::default()).await.unwrap().items.len();
    let failed = api
        .list(&ListParams::default().labels("workflows.argoproj.io/phase=Failed"))
        .await
        .unwrap()
        .items;
    assert!(!failed.is_empty() && failed.len() < total);
    assert!(failed.iter().all(|w| phase(w) == "Failed"));
    let not_done = api
        .list(&ListParams::default().labels("workflows.argoproj.io/completed!=true,pipeline/runid"))
        .await
        .unwrap()
        .items;
    assert!(not_done.iter().all(|w| phase(w) != "Succeeded"));
    let pods: Api<Pod> = Api::all(c.clone());
    let system = pods
        .list(&ListParams::default().fields("metadata.namespace=kubeflow,status.phase=Running"))
        .await
        .unwrap()
        .items;
    assert_eq!(system.len(), 6);
    let err = pods
        .list(&ListParams::default().fields("spec.bogus=1"))
        .await
        .unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (status.code, status.message.as_str()),
        (400, "field label not supported: spec.bogus")
    );
    h.shutdown().await;
}

#[tokio::test]
async fn merge_patch_changes_the_object_and_terminate_stops_a_run() {
    let h = start().await;
    let c = client(&h);
    let api = workflows(&c, Some(NS));
    let running = api
        .list(&ListParams::default().labels("workflows.argoproj.io/phase=Running"))
        .await
        .unwrap()
        .items;
    let name = running
        .iter()
        .find(|w| w.data["spec"]["suspend"].is_null())
        .and_then(|w| w.metadata.name.clone())
        .expect("a running run");
    let patch = json!({"spec": {"shutdown": "Terminate"}, "metadata": {"labels": {"who": "test"}}});
    let patched = api
        .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    assert_eq!(patched.data["spec"]["shutdown"], "Terminate");
    assert_eq!(patched.metadata.labels.unwrap()["who"], "test");
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let wf = api.get(&name).await.unwrap();
        if phase(&wf) == "Failed" {
            assert_eq!(wf.data["status"]["message"], "Stopped with strategy 'Terminate'");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "run {name} did not stop: {:?}",
            wf.data["status"]["phase"]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A JSON patch works too (sent raw: kube's typed JSON patch needs an extra feature).
    let req = axum::http::Request::builder()
        .method("PATCH")
        .uri(format!(
            "/apis/argoproj.io/v1alpha1/namespaces/{NS}/workflows/{name}"
        ))
        .header("content-type", "application/json-patch+json")
        .body(
            serde_json::to_vec(
                &json!([{"op": "add", "path": "/metadata/annotations/note", "value": "json"}]),
            )
            .unwrap(),
        )
        .unwrap();
    c.request_text(req).await.unwrap();
    let wf = api.get(&name).await.unwrap();
    assert_eq!(wf.metadata.annotations.as_ref().unwrap()["note"], "json");
    let mut stale = wf.clone();
    stale.metadata.resource_version = Some("1".into());
    let err = api
        .replace(&name, &PostParams::default(), &stale)
        .await
        .unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    h.shutdown().await;
}

#[tokio::test]
async fn runs_advance_while_watched_and_pods_follow_argo_naming() {
    let h = start().await;
    let c = client(&h);
    let api = workflows(&c, Some(NS));
    let manifest = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"generateName": "quick-", "annotations": {"sim.kftui.dev/plan":
            "{\"steps\":{\"one\":{\"seconds\":1,\"pending\":0},\"two\":{\"seconds\":1,\"pending\":0}}}"}},
        "spec": {"entrypoint": "main", "templates": [
            {"name": "main", "steps": [[{"name": "one", "template": "work"}], [{"name": "two", "template": "work"}]]},
            {"name": "work", "container": {"image": "alpine:3.20"}}]},
    });
    let obj: DynamicObject = serde_json::from_value(manifest).unwrap();
    let created = api.create(&PostParams::default(), &obj).await.unwrap();
    let name = created.metadata.name.unwrap();
    assert!(name.starts_with("quick-") && name.len() == "quick-".len() + 5);
    let cfg = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut events = watcher::watcher(api.clone(), cfg).applied_objects().boxed();
    let mut phases = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    while phases.last().map(String::as_str) != Some("Succeeded") {
        let wf = tokio::time::timeout_at(deadline.into(), events.try_next())
            .await
            .expect("run finished in time")
            .unwrap()
            .unwrap();
        let p = phase(&wf);
        if phases.last() != Some(&p) {
            phases.push(p);
        }
    }
    assert_eq!(phases.last().map(String::as_str), Some("Succeeded"), "{phases:?}");
    assert!(phases.contains(&"Running".to_string()), "{phases:?}");
    let wf = api.get(&name).await.unwrap();
    assert_eq!(wf.data["status"]["progress"], "2/2");
    assert_eq!(
        wf.metadata.labels.as_ref().unwrap()["workflows.argoproj.io/completed"],
        "true"
    );
    let node_name = format!("{name}[1].two");
    let id = format!("{name}-{}", kftui::sim::rng::fnv32a(&node_name));
    assert_eq!(wf.data["status"]["nodes"][&id]["phase"], "Succeeded");
    let pods: Api<Pod> = Api::default_namespaced(c.clone());
    let pod_name = format!("{name}-work-{}", kftui::sim::rng::fnv32a(&node_name));
    let pod = pods.get(&pod_name).await.unwrap();
    let ann = pod.metadata.annotations.unwrap();
    assert_eq!(ann["workflows.argoproj.io/node-id"], id);
    assert_eq!(ann["kubectl.kubernetes.io/default-container"], "main");
    assert_eq!(
        pod.metadata.labels.unwrap()["workflows.argoproj.io/workflow"],
        name
    );
    assert_eq!(pod.status.unwrap().phase.as_deref(), Some("Succeeded"));
    // The controller reported what happened, as Argo's does.
    // Events follow the run's write, as Argo records them after its update: wait for them.
    let events: Api<k8s_openapi::api::core::v1::Event> = Api::default_namespaced(c.clone());
    let wanted = ["WorkflowRunning", "WorkflowNodeSucceeded", "WorkflowSucceeded"];
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let reasons: Vec<String> = events
            .list(&ListParams::default().fields(&format!(
                "involvedObject.kind=Workflow,involvedObject.name={name}"
            )))
            .await
            .unwrap()
            .items
            .into_iter()
            .filter_map(|e| e.reason)
            .collect();
        if wanted.iter().all(|r| reasons.iter().any(|x| x == r)) {
            break;
        }
        assert!(Instant::now() < deadline, "{wanted:?} in {reasons:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Deleting the run garbage-collects its pods.
    api.delete(&name, &DeleteParams::default()).await.unwrap();
    let left = pods
        .list(&ListParams::default().labels(&format!("workflows.argoproj.io/workflow={name}")))
        .await
        .unwrap();
    assert!(left.items.is_empty());
    h.shutdown().await;
}

#[tokio::test]
async fn pod_logs_of_a_running_pod_and_the_real_error_texts() {
    let h = start().await;
    let c = client(&h);
    let pods: Api<Pod> = Api::all(c.clone());
    let deadline = Instant::now() + TIMEOUT;
    let running = loop {
        let list = pods
            .list(
                &ListParams::default()
                    .labels("workflows.argoproj.io/workflow")
                    .fields("status.phase=Running"),
            )
            .await
            .unwrap();
        if let Some(p) = list.items.into_iter().next() {
            break p;
        }
        assert!(Instant::now() < deadline, "no running workflow pod");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let ns = running.metadata.namespace.clone().unwrap();
    let name = running.metadata.name.clone().unwrap();
    let api: Api<Pod> = Api::namespaced(c.clone(), &ns);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let main = LogParams {
        container: Some("main".into()),
        ..LogParams::default()
    };
    let text = api.logs(&name, &main).await.unwrap();
    assert!(text.lines().count() >= 2, "log of {name}: {text:?}");
    assert!(
        text.lines().next().unwrap().starts_with("Starting step"),
        "{text}"
    );
    let tail = LogParams {
        tail_lines: Some(1),
        timestamps: true,
        ..main.clone()
    };
    let last = api.logs(&name, &tail).await.unwrap();
    assert_eq!(last.lines().count(), 1);
    assert!(last.starts_with("20"), "timestamped: {last}");
    assert_eq!(
        text.lines().last(),
        last.split_once(' ').map(|(_, l)| l.trim_end())
    );

    let err = api.logs(&name, &LogParams::default()).await.unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, 400);
    assert_eq!(
        status.message,
        format!(
            "a container name must be specified for pod {name}, choose one of: [wait main] or one of the init containers: [init]"
        )
    );
    let bad = LogParams {
        container: Some("nope".into()),
        ..LogParams::default()
    };
    let kube::Error::Api(status) = api.logs(&name, &bad).await.unwrap_err() else {
        panic!()
    };
    assert_eq!(
        status.message,
        format!("container nope is not valid for pod {name}")
    );
    h.shutdown().await;
}

#[tokio::test]
async fn scripted_logs_follow_until_the_container_ends() {
    let h = start().await;
    let c = client(&h);
    let pods: Api<Pod> = Api::default_namespaced(c.clone());
    let pod = test_pod(
        "scripted",
        json!({"sim.kftui.dev/log": "line one\nline \u{1b}[31mtwo\u{1b}[0m", "sim.kftui.dev/run-seconds": "2"}),
    );
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let lp = LogParams::default();
    let deadline = Instant::now() + TIMEOUT;
    // Right after creation the container has not started yet.
    let err = match pods.logs("scripted", &lp).await {
        Err(kube::Error::Api(s)) => Some(s),
        Ok(_) => None,
        Err(e) => panic!("{e}"),
    };
    if let Some(s) = err {
        assert_eq!(
            s.message,
            "container \"main\" in pod \"scripted\" is waiting to start: ContainerCreating"
        );
    }
    let text = loop {
        if let Ok(t) = pods.logs("scripted", &lp).await {
            break t;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(text, "line one\nline \u{1b}[31mtwo\u{1b}[0m\n");
    let follow = LogParams {
        follow: true,
        ..LogParams::default()
    };
    let started = Instant::now();
    let stream = pods.log_stream("scripted", &follow).await.unwrap();
    use futures::AsyncBufReadExt;
    let lines: Vec<String> = tokio::time::timeout(TIMEOUT, stream.lines().try_collect())
        .await
        .expect("follow ends when the container ends")
        .unwrap();
    assert_eq!(lines, ["line one", "line \u{1b}[31mtwo\u{1b}[0m"]);
    assert!(started.elapsed() < Duration::from_secs(8));
    let done = pods.get("scripted").await.unwrap();
    assert_eq!(done.status.unwrap().phase.as_deref(), Some("Succeeded"));
    h.shutdown().await;
}

#[tokio::test]
async fn watch_bookmarks_when_asked() {
    let h = start().await;
    let c = client(&h);
    let nss: Api<Namespace> = Api::all(c.clone());
    let rv = nss
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let wp = WatchParams {
        bookmarks: true,
        ..WatchParams::default()
    }
    .timeout(10);
    let mut stream = nss.watch(&wp, &rv).await.unwrap().boxed();
    let ev = tokio::time::timeout(Duration::from_secs(6), stream.next())
        .await
        .expect("a bookmark within the interval")
        .unwrap()
        .unwrap();
    let WatchEvent::Bookmark(b) = ev else {
        panic!("expected a bookmark, got {ev:?}")
    };
    let bookmark_rv: u64 = b.metadata.resource_version.parse().unwrap();
    assert!(bookmark_rv >= rv.parse::<u64>().unwrap());
    h.shutdown().await;
}

#[tokio::test]
async fn seeding_is_reproducible_for_a_seed() {
    let names = |h: &kftui::sim::SimHandle| {
        let c = client(h);
        async move {
            workflows(&c, None)
                .list(&ListParams::default())
                .await
                .unwrap()
                .items
                .iter()
                .map(|w| {
                    (
                        w.metadata.name.clone().unwrap(),
                        w.data["spec"]["arguments"].clone(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let opts = kftui::sim::SimOptions {
        seed: 7,
        ..Default::default()
    };
    let a = start_with(opts.clone()).await;
    let b = start_with(opts).await;
    assert_eq!(names(&a).await, names(&b).await);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn scale_seeds_many_runs_quickly() {
    let started = Instant::now();
    let h = start_with(kftui::sim::SimOptions {
        scale: 300,
        ..Default::default()
    })
    .await;
    let elapsed = started.elapsed();
    let c = client(&h);
    let bench = workflows(&c, None)
        .list(&ListParams::default().labels("kftui.dev/bench=true"))
        .await
        .unwrap()
        .items;
    assert_eq!(bench.len(), 300);
    let nodes = bench[0].data["status"]["nodes"]
        .as_object()
        .map_or(0, |n| n.len());
    assert!(nodes >= 21, "{nodes} nodes");
    eprintln!("seeded 300 bench runs in {elapsed:?}");
    h.shutdown().await;
}

#[tokio::test]
async fn objects_carry_managed_fields_as_a_real_server_writes_them() {
    let h = start().await;
    let c = client(&h);
    // Seeded runs: written by Argo's controller, status and all (Workflows have no status
    // subresource), in the FieldsV1 format.
    let list = workflows(&c, None).list(&ListParams::default()).await.unwrap();
    let wf = &list.items[0];
    let entries = wf
        .metadata
        .managed_fields
        .as_ref()
        .expect("managedFields on a listed run");
    let argo = entries
        .iter()
        .find(|e| e.manager.as_deref() == Some("workflow-controller"))
        .expect("an entry of Argo's controller");
    assert_eq!(argo.operation.as_deref(), Some("Update"));
    assert_eq!(argo.fields_type.as_deref(), Some("FieldsV1"));
    let fields = &argo.fields_v1.as_ref().expect("fieldsV1").0;
    assert!(fields.pointer("/f:status/f:nodes").is_some(), "{fields}");
    assert!(
        fields.pointer("/f:metadata/f:uid").is_none(),
        "server-owned metadata is no manager's"
    );

    // A request's write is recorded under its field manager; a status write under its own
    // entry with the subresource, the first entry kept.
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let pp = PostParams {
        field_manager: Some("t-create".into()),
        ..PostParams::default()
    };
    let created = pods.create(&pp, &test_pod("mf", json!({}))).await.unwrap();
    let entries = created.metadata.managed_fields.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].manager.as_deref(), Some("t-create"));
    let fields = &entries[0].fields_v1.as_ref().unwrap().0;
    assert!(
        fields
            .pointer("/f:spec/f:containers/k:{\"name\":\"main\"}/f:image")
            .is_some(),
        "{fields}"
    );
    let status = json!({"status": {"phase": "Running"}});
    let patched = pods
        .patch_status(
            "mf",
            &PatchParams::apply("t-status").force(),
            &Patch::Merge(&status),
        )
        .await;
    // A merge patch with an apply's field manager is still a merge patch: the manager is the one named.
    let patched = match patched {
        Ok(p) => p,
        Err(_) => pods
            .patch_status(
                "mf",
                &PatchParams {
                    field_manager: Some("t-status".into()),
                    ..PatchParams::default()
                },
                &Patch::Merge(&status),
            )
            .await
            .unwrap(),
    };
    let entries = patched.metadata.managed_fields.unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0].manager.as_deref(), Some("t-create"));
    assert_eq!(entries[1].manager.as_deref(), Some("t-status"));
    assert_eq!(entries[1].subresource.as_deref(), Some("status"));
    h.shutdown().await;
}

#[tokio::test]
async fn streaming_lists_are_validated_and_end_with_the_initial_events_bookmark() {
    let h = start().await;
    let c = client(&h);
    let get = |q: &str| {
        http::Request::get(format!("/apis/argoproj.io/v1alpha1/workflows?watch=true&{q}"))
            .body(Vec::new())
            .unwrap()
    };
    // As a real server: sendInitialEvents needs resourceVersionMatch=NotOlderThan and bookmarks.
    let err = c.request_text(get("sendInitialEvents=true")).await.unwrap_err();
    let kube::Error::Api(s) = err else {
        panic!("{err:?}")
    };
    assert_eq!(s.code, 422);
    assert!(s.message.contains("resourceVersionMatch"), "{}", s.message);

    let listed = workflows(&c, None)
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .len();
    let body = c
        .request_stream(get(
            "sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
        ))
        .await
        .unwrap();
    use futures::AsyncBufReadExt;
    let mut lines = body.lines();
    let mut added = 0;
    loop {
        let line = tokio::time::timeout(TIMEOUT, lines.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let ev: serde_json::Value = serde_json::from_str(&line).unwrap();
        match ev["type"].as_str() {
            Some("ADDED") => added += 1,
            Some("BOOKMARK") => {
                assert_eq!(
                    ev.pointer("/object/metadata/annotations/k8s.io~1initial-events-end"),
                    Some(&json!("true"))
                );
                break;
            }
            other => panic!("unexpected {other:?}: {line}"),
        }
    }
    assert_eq!(added, listed, "every run once before the bookmark");

    // A server without the WatchList feature refuses it.
    h.set_faults(kftui::sim::parse_faults("no-watch-list").unwrap());
    let err = c
        .request_text(get(
            "sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
        ))
        .await
        .unwrap_err();
    let kube::Error::Api(s) = err else {
        panic!("{err:?}")
    };
    assert_eq!(s.code, 422);
    assert!(s.message.contains("WatchList"), "{}", s.message);
    h.shutdown().await;
}

/// Runs the app's watch of every Workflow and collects what it sends until the list is whole.
async fn watch_runs_until_listed(c: kube::Client, total: usize) -> Vec<kftui::kube::event::DataEvent> {
    use kftui::kube::event::{DataEvent, SubStatus};
    let key = kftui::kube::key::SubKey {
        context: String::new(),
        kind: kftui::kube::key::Kind::Workflows,
        namespace: None,
        selector: None,
        field: None,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<DataEvent>(64);
    let cancel = tokio_util::sync::CancellationToken::new();
    let started = Instant::now();
    let task = tokio::spawn(kftui::kube::subscribe::run(c, key, tx, cancel.clone()));
    let mut events = Vec::new();
    let mut whole = false;
    while let Ok(Some(ev)) = tokio::time::timeout(TIMEOUT, rx.recv()).await {
        match &ev {
            DataEvent::Runs { rows, .. } if rows.len() >= total => whole = true,
            DataEvent::Status {
                status: SubStatus::Live,
                ..
            } if whole => {
                events.push(ev);
                break;
            }
            _ => {}
        }
        events.push(ev);
        if whole
            && !events.iter().any(|e| {
                matches!(
                    e,
                    DataEvent::Status {
                        status: SubStatus::Listing,
                        ..
                    }
                )
            })
        {
            break;
        }
    }
    eprintln!("listed in {:?}", started.elapsed());
    cancel.cancel();
    let _ = task.await;
    assert!(whole, "every run arrived: {} events", events.len());
    events
}

/// A TCP proxy to the cluster that passes what the server sends at about 16 MB/s, as a real
/// cluster's network and apiserver do, so a big list takes a while to arrive.
async fn slow_proxy(upstream: std::net::SocketAddr) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                continue;
            };
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            tokio::spawn(async move { tokio::io::copy(&mut cr, &mut sw).await });
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = sr.read(&mut buf).await {
                    if n == 0 || cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(4)).await;
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn the_runs_watch_streams_its_first_list_and_shows_rows_as_they_arrive() {
    use kftui::kube::event::{DataEvent, SubStatus};
    // ~8 MB of runs through a network that takes half a second or more for them: longer than
    // one interval.
    let h = start_with(kftui::sim::SimOptions {
        scale: 300,
        ..Default::default()
    })
    .await;
    let proxy = slow_proxy(h.addr()).await;
    let c = kube::Client::try_from(kube::Config::new(format!("http://{proxy}").parse().unwrap())).unwrap();
    let total = workflows(&c, None)
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .len();
    let events = watch_runs_until_listed(c, total).await;
    let story: Vec<String> = events
        .iter()
        .map(|e| match e {
            DataEvent::Runs { rows, .. } => format!("{} rows", rows.len()),
            DataEvent::Status { status, .. } => format!("{status:?}"),
            _ => "other".into(),
        })
        .collect();
    eprintln!("{total} runs: {story:?}");
    assert!(
        matches!(
            events.first(),
            Some(DataEvent::Status {
                status: SubStatus::Listing,
                ..
            })
        ),
        "the first list says it is under way"
    );
    let sizes: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            DataEvent::Runs { rows, .. } => Some(rows.len()),
            _ => None,
        })
        .collect();
    assert!(sizes[0] < total, "the first rows come before the last: {sizes:?}");
    assert_eq!(sizes.last(), Some(&total));
    assert!(
        matches!(
            events.last(),
            Some(DataEvent::Status {
                status: SubStatus::Live,
                ..
            })
        ),
        "and says when it is whole"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn the_runs_watch_lists_in_pages_where_the_server_has_no_streaming_lists() {
    use kftui::kube::event::DataEvent;
    let h = start_with(kftui::sim::SimOptions {
        scale: 250,
        ..Default::default()
    })
    .await;
    h.set_faults(kftui::sim::parse_faults("no-watch-list").unwrap());
    let c = client(&h);
    let total = workflows(&c, None)
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .len();
    assert!(
        total > kftui::kube::subscribe::PAGE_SIZE as usize * 2,
        "more than two pages"
    );
    let events = watch_runs_until_listed(c, total).await;
    let last = events
        .iter()
        .rev()
        .find_map(|e| match e {
            DataEvent::Runs { rows, .. } => Some(rows.clone()),
            _ => None,
        })
        .unwrap();
    let names: BTreeSet<&str> = last.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names.len(),
        total,
        "each run once, from pages of {}",
        kftui::kube::subscribe::PAGE_SIZE
    );
    assert!(
        last.iter().any(|r| !r.pipeline.is_empty()),
        "rows projected as usual"
    );
    h.shutdown().await;
}
