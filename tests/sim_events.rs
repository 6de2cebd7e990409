//! The embedded cluster's core/v1 Events: the scheduler, the kubelet and the Kubeflow
//! controllers report what they do, repeats are aggregated, old events expire, and the events
//! reach clients through lists, watches, the Table format and the real kubectl.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kubectl.rs"]
mod kubectlsupport;
#[path = "support/sim.rs"]
mod simsupport;

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, PostParams, WatchEvent, WatchParams,
};
use serde_json::{Value, json};

use kftui::sim::events::{self, Involved, Occurrence};
use kftui::sim::store::Store;
use kftui::sim::types;
use kubectlsupport::Cluster;
use simsupport::{NS, client, start};

const TIMEOUT: Duration = Duration::from_secs(30);

/// The events about `kind/name` in `ns`.
async fn events_of(c: &kube::Client, ns: &str, kind: &str, name: &str) -> Vec<Event> {
    let api: Api<Event> = Api::namespaced(c.clone(), ns);
    api.list(&ListParams::default().fields(&format!("involvedObject.kind={kind},involvedObject.name={name}")))
        .await
        .unwrap()
        .items
}

fn reasons(evs: &[Event]) -> Vec<String> {
    evs.iter().filter_map(|e| e.reason.clone()).collect()
}

/// Waits until the events about `kind/name` have every reason in `wanted`.
async fn wait_for(c: &kube::Client, ns: &str, kind: &str, name: &str, wanted: &[&str]) -> Vec<Event> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let evs = events_of(c, ns, kind, name).await;
        let have = reasons(&evs);
        if wanted.iter().all(|w| have.iter().any(|h| h == w)) {
            return evs;
        }
        assert!(
            Instant::now() < deadline,
            "{kind}/{name}: wanted {wanted:?}, have {have:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn find<'a>(evs: &'a [Event], reason: &str) -> &'a Event {
    evs.iter()
        .find(|e| e.reason.as_deref() == Some(reason))
        .unwrap_or_else(|| panic!("no {reason} in {:?}", reasons(evs)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_started_pod_is_scheduled_pulled_created_started_and_killed() {
    let h = start().await;
    let c = client(&h);
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "evented"},
        "spec": {"containers": [{"name": "main", "image": "registry.example.com/tools/evented:1.0"}]},
    }))
    .unwrap();
    let created = pods.create(&PostParams::default(), &pod).await.unwrap();
    let uid = created.metadata.uid.clone().unwrap();
    let evs = wait_for(
        &c,
        NS,
        "Pod",
        "evented",
        &["Scheduled", "Pulling", "Pulled", "Created", "Started"],
    )
    .await;
    let running = pods.get("evented").await.unwrap();
    let node = running.spec.unwrap().node_name.unwrap();
    for e in &evs {
        let o = &e.involved_object;
        assert_eq!(o.api_version.as_deref(), Some("v1"));
        assert_eq!(o.kind.as_deref(), Some("Pod"));
        assert_eq!(o.name.as_deref(), Some("evented"));
        assert_eq!(o.namespace.as_deref(), Some(NS));
        assert_eq!(o.uid.as_deref(), Some(uid.as_str()));
        let name = e.metadata.name.clone().unwrap();
        let hex = name.strip_prefix("evented.").unwrap_or_else(|| panic!("{name}"));
        assert!(
            hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}"
        );
        assert_eq!(e.count, Some(1), "{e:?}");
        assert!(e.first_timestamp.is_some() && e.last_timestamp.is_some(), "{e:?}");
        assert_eq!(e.type_.as_deref(), Some("Normal"));
    }
    let scheduled = find(&evs, "Scheduled");
    assert_eq!(
        scheduled.message.as_deref(),
        Some(format!("Successfully assigned {NS}/evented to {node}").as_str())
    );
    assert_eq!(
        scheduled.source.as_ref().and_then(|s| s.component.as_deref()),
        Some("default-scheduler")
    );
    assert_eq!(
        scheduled.reporting_component.as_deref(),
        Some("default-scheduler")
    );
    for reason in ["Pulling", "Pulled", "Created", "Started"] {
        let e = find(&evs, reason);
        assert_eq!(
            e.involved_object.field_path.as_deref(),
            Some("spec.containers{main}"),
            "{e:?}"
        );
        let source = e.source.clone().unwrap();
        assert_eq!(source.component.as_deref(), Some("kubelet"));
        assert_eq!(source.host.as_deref(), Some(node.as_str()));
    }
    assert!(
        find(&evs, "Pulling")
            .message
            .as_deref()
            .is_some_and(|m| m == "Pulling image \"registry.example.com/tools/evented:1.0\""),
        "{evs:?}"
    );
    assert!(
        find(&evs, "Pulled")
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("Successfully pulled image")),
        "{evs:?}"
    );
    assert_eq!(
        find(&evs, "Started").message.as_deref(),
        Some("Started container main")
    );
    // Deleting the running pod: the kubelet stops its container.
    pods.delete("evented", &DeleteParams::default()).await.unwrap();
    let evs = wait_for(&c, NS, "Pod", "evented", &["Killing"]).await;
    assert_eq!(
        find(&evs, "Killing").message.as_deref(),
        Some("Stopping container main")
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notebook_with_a_bad_image_has_its_warnings_from_the_start() {
    let h = start().await;
    let c = client(&h);
    // Right after start, without waiting: the demo's live pods have their events already.
    let evs = events_of(&c, NS, "Pod", "pytorch-gpu-0").await;
    let warnings: Vec<&Event> = evs
        .iter()
        .filter(|e| e.type_.as_deref() == Some("Warning"))
        .collect();
    let messages: Vec<&str> = warnings.iter().filter_map(|e| e.message.as_deref()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("Failed to pull image \"kubeflownotebookswg/jupyter-pytorch-cuda-full")),
        "{messages:?}"
    );
    assert!(messages.contains(&"Error: ErrImagePull"), "{messages:?}");
    assert!(messages.contains(&"Error: ImagePullBackOff"), "{messages:?}");
    assert!(warnings.iter().all(|e| e.reason.as_deref() == Some("Failed")));
    // Tried with back-off for the 12 minutes the notebook exists: one event, counted.
    let backoff = find(&evs, "BackOff");
    assert!(backoff.count.unwrap_or(0) > 3, "{backoff:?}");
    assert!(backoff.first_timestamp.as_ref().unwrap().0 < backoff.last_timestamp.as_ref().unwrap().0);
    assert_eq!(
        evs.iter()
            .filter(|e| e.reason.as_deref() == Some("BackOff"))
            .count(),
        1,
        "aggregated, not repeated: {:?}",
        reasons(&evs)
    );
    // The notebook controller reissues them on the Notebook.
    let nb = events_of(&c, NS, "Notebook", "pytorch-gpu").await;
    let reissued: Vec<&str> = nb
        .iter()
        .filter(|e| e.type_.as_deref() == Some("Warning"))
        .filter_map(|e| e.message.as_deref())
        .collect();
    assert!(
        reissued
            .iter()
            .any(|m| m.starts_with("Reissued from pod/pytorch-gpu-0: Failed to pull image")),
        "{reissued:?}"
    );
    assert!(nb.iter().all(|e| {
        e.source.as_ref().and_then(|s| s.component.as_deref()) == Some("notebook-controller")
            && e.involved_object.api_version.as_deref() == Some("kubeflow.org/v1")
    }));
    // A running demo notebook's pod started, as if just now.
    let ok = events_of(&c, NS, "Pod", "jupyter-scipy-0").await;
    let have = reasons(&ok);
    for r in ["Scheduled", "Pulled", "Created", "Started"] {
        assert!(have.iter().any(|h| h == r), "{have:?}");
    }
    h.shutdown().await;
}

fn store_with_namespace() -> Store {
    let s = Store::new(7, 1000);
    s.create(
        types::namespace_type(),
        "",
        json!({"metadata": {"name": "team"}}),
        false,
        Utc::now(),
    )
    .unwrap();
    s
}

fn some_pod(name: &str) -> Involved {
    Involved::of(&json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "team", "uid": format!("uid-{name}")}}))
}

#[test]
fn a_repeat_bumps_count_and_last_timestamp_instead_of_adding_an_event() {
    let s = store_with_namespace();
    let pod = some_pod("p");
    let t0 = Utc::now() - TimeDelta::seconds(30);
    let occ = Occurrence::warning(
        "BackOff",
        "Back-off restarting failed container main",
        "kubelet",
        t0,
    )
    .on("node-1");
    events::record(&s, &pod, &occ);
    for i in 1..=4 {
        events::record(
            &s,
            &pod,
            &Occurrence {
                at: t0 + TimeDelta::seconds(i * 5),
                ..occ.clone()
            },
        );
    }
    assert_eq!(s.event_count(), 1);
    let ev = s
        .get(types::event_type(), "team", &events::event_name(&pod, &occ))
        .unwrap()
        .value()
        .unwrap();
    assert_eq!(ev["count"], 5);
    assert_eq!(ev["firstTimestamp"], json!(kftui::sim::store::timestamp(t0)));
    assert_eq!(
        ev["lastTimestamp"],
        json!(kftui::sim::store::timestamp(t0 + TimeDelta::seconds(20)))
    );
    assert_eq!(ev["source"], json!({"component": "kubelet", "host": "node-1"}));
    // Another message, or another object, is another event.
    events::record(
        &s,
        &pod,
        &Occurrence {
            message: "other".into(),
            ..occ.clone()
        },
    );
    events::record(&s, &some_pod("q"), &occ);
    assert_eq!(s.event_count(), 3);
}

#[test]
fn events_expire_after_the_ttl_and_beyond_the_cap() {
    let s = store_with_namespace();
    for i in 0..5 {
        let occ = Occurrence::normal(
            "Started",
            format!("Started container c{i}"),
            "kubelet",
            Utc::now(),
        );
        events::record(&s, &some_pod("p"), &occ);
    }
    assert_eq!(s.event_count(), 5);
    let filter = kftui::sim::store::Filter::default();
    let mut watch = s
        .watch(
            types::event_type(),
            &filter,
            kftui::sim::store::WatchFrom::Rv(s.current_rv()),
        )
        .unwrap();
    // Within the hour nothing goes; over the cap, the oldest go first.
    assert_eq!(events::expire(&s, Utc::now()), 0);
    assert_eq!(s.expire_events(Utc::now() - events::TTL, 3), 2);
    let left: Vec<String> = s
        .list(types::event_type(), &filter, None, None)
        .unwrap()
        .items
        .iter()
        .map(|e| e.value().unwrap()["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left.len(), 3);
    assert!(
        !left.iter().any(|m| m.ends_with("c0") || m.ends_with("c1")),
        "{left:?}"
    );
    // An hour after their last write, all go, and watches see them go.
    assert_eq!(
        events::expire(&s, Utc::now() + events::TTL + TimeDelta::seconds(1)),
        3
    );
    assert_eq!(s.event_count(), 0);
    let mut deleted = 0;
    while let Ok(c) = watch.rx.try_recv() {
        if c.kind == kftui::sim::store::ChangeType::Deleted {
            deleted += 1;
        }
    }
    assert_eq!(deleted, 5);
    // The store never holds more than the cap.
    for i in 0..(events::CAP + 50) {
        let occ = Occurrence::normal("Pulled", format!("m{i}"), "kubelet", Utc::now());
        events::record(&s, &some_pod("p"), &occ);
    }
    events::expire(&s, Utc::now());
    assert_eq!(s.event_count(), events::CAP);
    // Occurrences from before the hour are not written at all.
    let old = Occurrence::normal("Pulled", "old", "kubelet", Utc::now() - TimeDelta::hours(2));
    events::record(&s, &some_pod("z"), &old);
    assert_eq!(s.event_count(), events::CAP);
}

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: format!("{group}/{version}"),
        kind: kind.into(),
        plural: plural.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeflow_controllers_report_what_they_do() {
    let h = start().await;
    let c = client(&h);
    let jobs: Api<DynamicObject> = Api::namespaced_with(
        c.clone(),
        NS,
        &resource("kubeflow.org", "v1", "PyTorchJob", "pytorchjobs"),
    );
    let job: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
        "metadata": {"name": "evented-job", "annotations": {"sim.kftui.dev/run-seconds": "5"}},
        "spec": {"pytorchReplicaSpecs": {
            "Master": {"replicas": 1, "template": {"spec": {"containers": [{"name": "pytorch", "image": "pytorch/pytorch:2.7.1"}]}}},
            "Worker": {"replicas": 1, "template": {"spec": {"containers": [{"name": "pytorch", "image": "pytorch/pytorch:2.7.1"}]}}}}},
    }))
    .unwrap();
    jobs.create(&PostParams::default(), &job).await.unwrap();
    let isvcs: Api<DynamicObject> = Api::namespaced_with(
        c.clone(),
        NS,
        &resource(
            "serving.kserve.io",
            "v1beta1",
            "InferenceService",
            "inferenceservices",
        ),
    );
    let isvc: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": "evented-iris"},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://models/iris/v1"}}},
    }))
    .unwrap();
    isvcs.create(&PostParams::default(), &isvc).await.unwrap();
    let evs = wait_for(
        &c,
        NS,
        "PyTorchJob",
        "evented-job",
        &[
            "SuccessfulCreatePod",
            "PyTorchJobCreated",
            "PyTorchJobRunning",
            "PyTorchJobSucceeded",
        ],
    )
    .await;
    let created: Vec<&str> = evs
        .iter()
        .filter(|e| e.reason.as_deref() == Some("SuccessfulCreatePod"))
        .filter_map(|e| e.message.as_deref())
        .collect();
    assert!(
        created.contains(&"Created pod: evented-job-master-0"),
        "{created:?}"
    );
    assert!(
        created.contains(&"Created pod: evented-job-worker-0"),
        "{created:?}"
    );
    assert!(evs.iter().all(|e| {
        e.source.as_ref().and_then(|s| s.component.as_deref()) == Some("pytorchjob-controller")
    }));
    let evs = wait_for(
        &c,
        NS,
        "InferenceService",
        "evented-iris",
        &["InferenceServiceReady"],
    )
    .await;
    assert_eq!(
        find(&evs, "InferenceServiceReady").message.as_deref(),
        Some("InferenceService [evented-iris] is Ready")
    );
    // The predictor's pod has its kubelet events, init container included.
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let pod = pods
        .list(&ListParams::default().labels("serving.kserve.io/inferenceservice=evented-iris"))
        .await
        .unwrap()
        .items
        .into_iter()
        .next()
        .unwrap();
    let name = pod.metadata.name.unwrap();
    let evs = wait_for(&c, NS, "Pod", &name, &["Scheduled", "Started"]).await;
    let paths: Vec<&str> = evs
        .iter()
        .filter_map(|e| e.involved_object.field_path.as_deref())
        .collect();
    for p in [
        "spec.initContainers{storage-initializer}",
        "spec.containers{kserve-container}",
        "spec.containers{queue-proxy}",
    ] {
        assert!(paths.contains(&p), "{paths:?}");
    }
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_arrive_through_watches_and_as_tables() {
    let h = start().await;
    let c = client(&h);
    let api: Api<Event> = Api::namespaced(c.clone(), NS);
    let list = api.list(&ListParams::default()).await.unwrap();
    let rv = list.metadata.resource_version.unwrap();
    let mut stream = api
        .watch(
            &WatchParams::default().fields("involvedObject.name=watched-events"),
            &rv,
        )
        .await
        .unwrap()
        .boxed();
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "watched-events"},
        "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}]},
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let mut seen = Vec::new();
    while !seen.iter().any(|r| r == "Started") {
        let ev = tokio::time::timeout_at(deadline.into(), stream.try_next())
            .await
            .expect("events arrive in time")
            .unwrap()
            .expect("the watch is open");
        if let WatchEvent::Added(e) = ev {
            seen.push(e.reason.unwrap_or_default());
        }
    }
    assert!(seen.iter().any(|r| r == "Scheduled"), "{seen:?}");
    // The server-side Table kubectl asks for.
    let req = http::Request::get(format!("/api/v1/namespaces/{NS}/events"))
        .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
        .body(Vec::new())
        .unwrap();
    let table: Value = c.request(req).await.unwrap();
    assert_eq!(table["kind"], "Table");
    let columns: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    for col in ["Last Seen", "Type", "Reason", "Object", "Message"] {
        assert!(columns.contains(&col), "{columns:?}");
    }
    let rows = table["rows"].as_array().unwrap();
    let started = rows.iter().find(|r| {
        r["cells"].as_array().is_some_and(|cells| {
            cells.iter().any(|c| c == "pod/watched-events") && cells.iter().any(|c| c == "Started")
        })
    });
    assert!(started.is_some(), "{rows:?}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_lists_and_describes_the_events() {
    let Some(k) = Cluster::start().await else { return };
    let out = k.ok(&["get", "events", "-n", NS]).await;
    let header = out.lines().next().unwrap();
    for col in ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"] {
        assert!(header.contains(col), "{header}");
    }
    assert!(out.contains("pod/pytorch-gpu-0"), "{out}");
    assert!(out.contains("Error: ImagePullBackOff"), "{out}");
    assert!(
        out.contains("pod/jupyter-scipy-0") && out.contains("Started"),
        "{out}"
    );
    let warnings = k
        .ok(&["get", "events", "-n", NS, "--field-selector", "type=Warning"])
        .await;
    assert!(
        warnings.lines().skip(1).all(|l| l.contains("Warning")),
        "{warnings}"
    );
    let describe = k.ok(&["describe", "pod", "-n", NS, "pytorch-gpu-0"]).await;
    let events = describe
        .split("Events:")
        .nth(1)
        .unwrap_or_else(|| panic!("{describe}"));
    assert!(
        events.contains("Scheduled") && events.contains("default-scheduler"),
        "{events}"
    );
    assert!(events.contains("Failed to pull image"), "{events}");
    assert!(events.contains("Back-off pulling image"), "{events}");
    assert!(
        events.contains(" over "),
        "repeats are counted (xN over T): {events}"
    );
    let wide = k.ok(&["get", "events", "-n", NS, "-o", "wide"]).await;
    assert!(wide.contains("spec.containers{"), "{wide}");
    k.stop().await;
}
