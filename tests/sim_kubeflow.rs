//! The Kubeflow side of the embedded cluster through kube-rs over real HTTP: every kind is
//! served and seeded, the controllers move notebooks, inference services, train jobs and Katib
//! experiments, and the service proxy serves the KFP REST API, Jupyter and KServe predictors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/sim.rs"]
mod simsupport;

use std::time::{Duration, Instant};

use axum::http;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, LogParams, Patch, PatchParams};
use serde_json::{Value, json};
use simsupport::{NS, client, start};

const OTHER_NS: &str = "team-vision";

// An API resource by group, version, kind and plural.
use kftui::kube::fetch::resource as ar;

fn ns_api(c: &kube::Client, r: &ApiResource, ns: &str) -> Api<DynamicObject> {
    Api::namespaced_with(c.clone(), ns, r)
}

async fn names(api: &Api<DynamicObject>) -> Vec<String> {
    api.list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|o| o.metadata.name)
        .collect()
}

/// `(status, body)` of a raw HTTP/1.1 request straight to the sim (not through kube-rs, whose
/// client retries 503s).
async fn raw(h: &kftui::sim::SimHandle, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let data = body.map(|v| v.to_string()).unwrap_or_default();
    let mut sock = tokio::net::TcpStream::connect(h.addr()).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{data}",
        h.addr(),
        data.len()
    );
    sock.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), sock.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let mut out = String::new();
        let mut r = rest;
        while let Some((size, tail)) = r.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.push_str(&tail[..n]);
            r = &tail[n + 2..];
        }
        out
    } else {
        rest.to_string()
    };
    let v = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, v)
}

const KFP: &str = "/api/v1/namespaces/kubeflow/services/ml-pipeline:8888/proxy/apis/v2beta1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kubeflow_kind_is_served_and_seeded() {
    let h = start().await;
    let c = client(&h);
    let kinds = [
        ("", "v1", "Service", "services", 1),
        ("", "v1", "ConfigMap", "configmaps", 1),
        (
            "argoproj.io",
            "v1alpha1",
            "WorkflowTemplate",
            "workflowtemplates",
            1,
        ),
        ("argoproj.io", "v1alpha1", "CronWorkflow", "cronworkflows", 1),
        ("pipelines.kubeflow.org", "v2beta1", "Pipeline", "pipelines", 4),
        (
            "pipelines.kubeflow.org",
            "v2beta1",
            "PipelineVersion",
            "pipelineversions",
            5,
        ),
        (
            "kubeflow.org",
            "v1beta1",
            "ScheduledWorkflow",
            "scheduledworkflows",
            2,
        ),
        ("kubeflow.org", "v1", "Notebook", "notebooks", 4),
        ("kubeflow.org", "v1beta1", "Notebook", "notebooks", 4),
        (
            "serving.kserve.io",
            "v1beta1",
            "InferenceService",
            "inferenceservices",
            4,
        ),
        (
            "serving.kserve.io",
            "v1alpha1",
            "ServingRuntime",
            "servingruntimes",
            1,
        ),
        ("trainer.kubeflow.org", "v1alpha1", "TrainJob", "trainjobs", 4),
        (
            "trainer.kubeflow.org",
            "v1alpha1",
            "TrainingRuntime",
            "trainingruntimes",
            1,
        ),
        ("kubeflow.org", "v1", "PyTorchJob", "pytorchjobs", 1),
        ("kubeflow.org", "v1", "TFJob", "tfjobs", 1),
        ("kubeflow.org", "v1beta1", "Experiment", "experiments", 2),
        ("kubeflow.org", "v1beta1", "Trial", "trials", 3),
        ("kubeflow.org", "v1beta1", "Suggestion", "suggestions", 2),
        ("kubeflow.org", "v1alpha1", "PodDefault", "poddefaults", 2),
    ];
    for (g, v, k, p, min) in kinds {
        let r = ar(g, v, k, p);
        let list = ns_api(&c, &r, NS).list(&ListParams::default()).await.unwrap();
        assert!(
            list.items.len() >= min,
            "{p}.{g}/{v}: {} < {min}",
            list.items.len()
        );
        if let Some(first) = list.items.first() {
            assert_eq!(
                first.types.as_ref().map(|t| t.api_version.clone()),
                Some(r.api_version.clone()),
                "{p}"
            );
        }
    }
    for (g, v, k, p) in [
        ("kubeflow.org", "v1", "Profile", "profiles"),
        ("kubeflow.org", "v1beta1", "Profile", "profiles"),
        (
            "serving.kserve.io",
            "v1alpha1",
            "ClusterServingRuntime",
            "clusterservingruntimes",
        ),
        (
            "trainer.kubeflow.org",
            "v1alpha1",
            "ClusterTrainingRuntime",
            "clustertrainingruntimes",
        ),
        (
            "argoproj.io",
            "v1alpha1",
            "ClusterWorkflowTemplate",
            "clusterworkflowtemplates",
        ),
    ] {
        let api: Api<DynamicObject> = Api::all_with(c.clone(), &ar(g, v, k, p));
        assert!(!names(&api).await.is_empty(), "{p}");
    }
    let profiles: Api<DynamicObject> =
        Api::all_with(c.clone(), &ar("kubeflow.org", "v1", "Profile", "profiles"));
    assert_eq!(names(&profiles).await, vec![NS.to_string(), OTHER_NS.to_string()]);
    let ctr: Api<DynamicObject> = Api::all_with(
        c.clone(),
        &ar(
            "trainer.kubeflow.org",
            "v1alpha1",
            "ClusterTrainingRuntime",
            "clustertrainingruntimes",
        ),
    );
    assert!(names(&ctr).await.contains(&"torch-distributed".to_string()));
    let svc = ns_api(&c, &ar("", "v1", "Service", "services"), "kubeflow")
        .get("ml-pipeline")
        .await
        .unwrap();
    assert_eq!(svc.data["spec"]["ports"][0]["port"], 8888);
    assert_eq!(svc.data["spec"]["ports"][0]["name"], "http");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_kubeflow_objects_have_their_states() {
    let h = start().await;
    let c = client(&h);
    let nb = ns_api(&c, &ar("kubeflow.org", "v1", "Notebook", "notebooks"), NS);
    let ready = nb.get("jupyter-scipy").await.unwrap();
    assert_eq!(ready.data["status"]["readyReplicas"], 1);
    assert!(ready.data["status"]["containerState"]["running"].is_object());
    let stopped = nb.get("rstudio-stats").await.unwrap();
    assert_eq!(stopped.data["status"]["readyReplicas"], 0);
    assert_eq!(
        stopped.metadata.annotations.as_ref().unwrap()["notebooks.kubeflow.org/server-type"],
        "group-two"
    );
    let stuck = nb.get("pytorch-gpu").await.unwrap();
    assert_eq!(
        stuck.data["status"]["containerState"]["waiting"]["reason"],
        "ImagePullBackOff"
    );
    let events: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(c.clone(), NS);
    let warnings = events
        .list(&ListParams::default().fields("involvedObject.name=pytorch-gpu,type=Warning"))
        .await
        .unwrap();
    assert!(!warnings.items.is_empty());

    let isvc = ns_api(
        &c,
        &ar(
            "serving.kserve.io",
            "v1beta1",
            "InferenceService",
            "inferenceservices",
        ),
        NS,
    );
    let iris = isvc.get("sklearn-iris").await.unwrap();
    assert_eq!(
        iris.data["status"]["url"],
        format!("http://sklearn-iris.{NS}.example.com")
    );
    let canary = isvc.get("fraud-detector").await.unwrap();
    let traffic = &canary.data["status"]["components"]["predictor"]["traffic"];
    assert_eq!(
        (traffic[0]["percent"].clone(), traffic[1]["percent"].clone()),
        (json!(10), json!(90))
    );
    let failing = isvc.get("bert-sentiment").await.unwrap();
    assert_eq!(
        failing.data["status"]["modelStatus"]["states"]["targetModelState"],
        "FailedToLoad"
    );
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(c.clone(), NS);
    let predictor = pods
        .list(&ListParams::default().labels("serving.kserve.io/inferenceservice=sklearn-iris"))
        .await
        .unwrap();
    let spec = predictor.items[0].spec.as_ref().unwrap();
    assert_eq!(spec.containers[0].name, "kserve-container");

    let tj = ns_api(
        &c,
        &ar("trainer.kubeflow.org", "v1alpha1", "TrainJob", "trainjobs"),
        NS,
    );
    let state = |o: &DynamicObject| {
        o.data["status"]["conditions"]
            .as_array()
            .and_then(|c| c.last())
            .map(|c| c["type"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    assert_eq!(state(&tj.get("mnist-ddp").await.unwrap()), "Complete");
    assert_eq!(state(&tj.get("bert-pretrain").await.unwrap()), "Failed");
    assert_eq!(state(&tj.get("resnet-sweep").await.unwrap()), "Suspended");
    let running = tj.get("llama-finetune").await.unwrap();
    assert_eq!(state(&running), "");
    let pct = running.data["status"]["trainerStatus"]["progressPercentage"]
        .as_i64()
        .unwrap();
    assert!((20..=40).contains(&pct), "{pct}");
    let nodes = pods
        .list(&ListParams::default().labels("jobset.sigs.k8s.io/jobset-name=llama-finetune"))
        .await
        .unwrap();
    assert_eq!(nodes.items.len(), 2);
    assert!(
        nodes.items[0]
            .metadata
            .name
            .as_ref()
            .unwrap()
            .starts_with("llama-finetune-node-0-")
    );

    let exp = ns_api(
        &c,
        &ar("kubeflow.org", "v1beta1", "Experiment", "experiments"),
        NS,
    );
    let done = exp.get("xgboost-depth-sweep").await.unwrap();
    assert_eq!(done.data["status"]["trialsSucceeded"], 9);
    assert!(done.data["status"]["currentOptimalTrial"]["bestTrialName"].is_string());
    let live = exp.get("random-search-lr").await.unwrap();
    assert!(live.data["status"]["trialsRunning"].as_i64().unwrap() > 0);
    let trial_pods = pods
        .list(&ListParams::default().labels("katib.kubeflow.org/experiment=random-search-lr"))
        .await
        .unwrap();
    assert!(!trial_pods.items.is_empty());
    assert!(
        trial_pods.items[0]
            .metadata
            .labels
            .as_ref()
            .unwrap()
            .contains_key("katib.kubeflow.org/trial")
    );

    // KFP-compiled runs: drivers and executors.
    let kfp_pods = pods
        .list(&ListParams::default().labels("pipeline/runid"))
        .await
        .unwrap();
    let names: Vec<String> = kfp_pods
        .items
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    assert!(
        names.iter().any(|n| n.contains("-system-dag-driver-")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.contains("-system-container-impl-")),
        "{names:?}"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notebook_stop_and_start_and_isvc_canary_follow_patches() {
    let h = start().await;
    let c = client(&h);
    let nb = ns_api(&c, &ar("kubeflow.org", "v1beta1", "Notebook", "notebooks"), NS);
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(c.clone(), NS);
    let stop = json!({"metadata": {"annotations": {"kubeflow-resource-stopped": "2026-01-01T00:00:00Z"}}});
    nb.patch("vscode-dev", &PatchParams::default(), &Patch::Merge(&stop))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while pods.get_opt("vscode-dev-0").await.unwrap().is_some() {
        assert!(Instant::now() < deadline, "notebook pod did not go away");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let start_patch = json!({"metadata": {"annotations": {"kubeflow-resource-stopped": null}}});
    nb.patch("vscode-dev", &PatchParams::default(), &Patch::Merge(&start_patch))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let o = nb.get("vscode-dev").await.unwrap();
        if o.data["status"]["readyReplicas"] == 1 {
            assert_eq!(o.types.unwrap().api_version, "kubeflow.org/v1beta1");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "notebook did not come back: {}",
            o.data["status"]
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let isvc = ns_api(
        &c,
        &ar(
            "serving.kserve.io",
            "v1beta1",
            "InferenceService",
            "inferenceservices",
        ),
        NS,
    );
    let p = json!({"spec": {"predictor": {"canaryTrafficPercent": 50}}});
    isvc.patch("fraud-detector", &PatchParams::default(), &Patch::Merge(&p))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let o = isvc.get("fraud-detector").await.unwrap();
        let t = &o.data["status"]["components"]["predictor"]["traffic"];
        if t[0]["percent"] == 50 && t[1]["percent"] == 50 {
            break;
        }
        assert!(Instant::now() < deadline, "canary split did not follow: {t}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let stop = json!({"metadata": {"annotations": {"serving.kserve.io/stop": "true"}}});
    isvc.patch("sklearn-iris", &PatchParams::default(), &Patch::Merge(&stop))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = pods
            .list(&ListParams::default().labels("serving.kserve.io/inferenceservice=sklearn-iris"))
            .await
            .unwrap();
        if left.items.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "predictor pods did not go away");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kfp_rest_through_the_service_proxy() {
    let h = start().await;
    let c = client(&h);
    let (code, health) = raw(&h, "GET", &format!("{KFP}/healthz"), None).await;
    assert_eq!(code, 200);
    assert_eq!(health["pipeline_store"], "kubernetes");
    assert_eq!(health["multi_user"], false);
    let (_, by_name) = raw(&h, "GET", &format!("/api/v1/namespaces/kubeflow/services/ml-pipeline:http/proxy/apis/v2beta1/pipelines?namespace={NS}&page_size=2"), None).await;
    assert_eq!(by_name["pipelines"].as_array().unwrap().len(), 2);
    assert_eq!(by_name["total_size"], 4);
    let token = by_name["next_page_token"].as_str().unwrap().to_string();
    let (_, next) = raw(
        &h,
        "GET",
        &format!("{KFP}/pipelines?namespace={NS}&page_size=2&page_token={token}"),
        None,
    )
    .await;
    assert_eq!(next["pipelines"].as_array().unwrap().len(), 2);
    assert_eq!(next["next_page_token"], "");
    let (_, all) = raw(&h, "GET", &format!("{KFP}/pipelines?namespace={NS}"), None).await;
    let hello = all["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["display_name"] == "hello-world")
        .unwrap()
        .clone();
    let pid = hello["pipeline_id"].as_str().unwrap();
    let (_, versions) = raw(&h, "GET", &format!("{KFP}/pipelines/{pid}/versions"), None).await;
    let version = &versions["pipeline_versions"][0];
    assert_eq!(version["pipeline_spec"]["pipelineInfo"]["name"], "echo");
    let vid = version["pipeline_version_id"].as_str().unwrap();

    // Create a run from the version: a KFP-shaped Workflow appears and runs.
    let body = json!({"display_name": "hello from test", "pipeline_version_reference": {"pipeline_id": pid, "pipeline_version_id": vid},
        "runtime_config": {"parameters": {}}});
    let (code, run) = raw(&h, "POST", &format!("{KFP}/runs"), Some(body)).await;
    assert_eq!(code, 200, "{run}");
    let run_id = run["run_id"].as_str().unwrap().to_string();
    let wfs = Api::<DynamicObject>::namespaced_with(c.clone(), NS, &simsupport::workflow_resource());
    let created = wfs
        .list(&ListParams::default().labels(&format!("pipeline/runid={run_id}")))
        .await
        .unwrap();
    assert_eq!(created.items.len(), 1);
    let templates: Vec<String> = created.items[0].data["spec"]["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    for t in [
        "system-dag-driver",
        "system-container-driver",
        "system-container-impl",
        "system-container-executor",
        "root",
        "entrypoint",
    ] {
        assert!(
            templates.contains(&t.to_string()),
            "{t} missing from {templates:?}"
        );
    }
    let (_, got) = raw(&h, "GET", &format!("{KFP}/runs/{run_id}"), None).await;
    assert_eq!(got["display_name"], "hello from test");
    assert!(
        matches!(got["state"].as_str(), Some("PENDING" | "RUNNING")),
        "{}",
        got["state"]
    );
    let filter = urlencode(&json!({"predicates": [{"key": "display_name", "operation": "IS_SUBSTRING", "string_value": "from test"}]}).to_string());
    let (_, filtered) = raw(
        &h,
        "GET",
        &format!("{KFP}/runs?namespace={NS}&filter={filter}"),
        None,
    )
    .await;
    assert_eq!(filtered["runs"].as_array().map(Vec::len), Some(1), "{filtered}");

    // Terminate is KFP's activeDeadlineSeconds: 0 patch.
    let (code, _) = raw(
        &h,
        "POST",
        &format!("{KFP}/runs/{run_id}:terminate"),
        Some(json!({})),
    )
    .await;
    assert_eq!(code, 200);
    let wf = wfs
        .get(created.items[0].metadata.name.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(wf.data["spec"]["activeDeadlineSeconds"], 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, r) = raw(&h, "GET", &format!("{KFP}/runs/{run_id}"), None).await;
        if r["state"] == "CANCELED" {
            break;
        }
        assert!(Instant::now() < deadline, "run not canceled: {}", r["state"]);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Retry a failed run.
    let (_, failed) = raw(
        &h,
        "GET",
        &format!("{KFP}/runs?namespace={NS}&page_size=100"),
        None,
    )
    .await;
    let failed_id = failed["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["state"] == "FAILED")
        .map(|r| r["run_id"].as_str().unwrap().to_string());
    if let Some(id) = failed_id {
        let (code, _) = raw(&h, "POST", &format!("{KFP}/runs/{id}:retry"), Some(json!({}))).await;
        assert_eq!(code, 200);
        let (_, r) = raw(&h, "GET", &format!("{KFP}/runs/{id}"), None).await;
        assert!(
            matches!(r["state"].as_str(), Some("PENDING" | "RUNNING")),
            "{}",
            r["state"]
        );
    }

    let (_, exps) = raw(&h, "GET", &format!("{KFP}/experiments?namespace={NS}"), None).await;
    assert!(
        exps["experiments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["display_name"] == "Default")
    );
    let (code, e) = raw(
        &h,
        "POST",
        &format!("{KFP}/experiments"),
        Some(json!({"display_name": "mine", "namespace": NS})),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(e["display_name"], "mine");
    let (_, rr) = raw(&h, "GET", &format!("{KFP}/recurringruns?namespace={NS}"), None).await;
    let weekly = rr["recurringRuns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["display_name"] == "weekly-bert")
        .unwrap()
        .clone();
    assert_eq!(weekly["status"], "DISABLED");
    let id = weekly["recurring_run_id"].as_str().unwrap();
    raw(
        &h,
        "POST",
        &format!("{KFP}/recurringruns/{id}:enable"),
        Some(json!({})),
    )
    .await;
    let (_, again) = raw(&h, "GET", &format!("{KFP}/recurringruns/{id}"), None).await;
    assert_eq!(again["status"], "ENABLED");

    // Upload a pipeline (multipart).
    let boundary = "XyZ";
    let yaml = "pipelineInfo:\n  name: uploaded\nroot:\n  dag:\n    tasks:\n      hi:\n        componentRef: {name: comp-hi}\ncomponents:\n  comp-hi: {executorLabel: exec-hi}\ndeploymentSpec:\n  executors:\n    exec-hi:\n      container: {image: 'python:3.11'}\nschemaVersion: 2.1.0\n";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"uploadfile\"; filename=\"p.yaml\"\r\nContent-Type: application/x-yaml\r\n\r\n{yaml}\r\n--{boundary}--\r\n"
    );
    let req = http::Request::post(format!("{KFP}/pipelines/upload?name=uploaded&namespace={NS}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body.into_bytes())
        .unwrap();
    let text = c.request_text(req).await.unwrap();
    let up: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(up["display_name"], "uploaded");
    let (code, missing) = raw(&h, "GET", &format!("{KFP}/runs/nope"), None).await;
    assert_eq!(code, 404);
    assert!(missing["message"].as_str().unwrap().contains("not found"));
    let (code, https) = raw(
        &h,
        "GET",
        "/api/v1/namespaces/kubeflow/services/https:ml-pipeline:8888/proxy/apis/v2beta1/healthz",
        None,
    )
    .await;
    assert_eq!(code, 503);
    assert!(https["message"].as_str().unwrap().contains("TLS"));
    h.shutdown().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jupyter_and_predictor_behind_the_service_proxy() {
    let h = start().await;
    let (code, status) = raw(
        &h,
        "GET",
        &format!("/api/v1/namespaces/{NS}/services/jupyter-scipy:http-jupyter-scipy/proxy/notebook/{NS}/jupyter-scipy/api/status"),
        None,
    )
    .await;
    assert_eq!(code, 200, "{status}");
    assert!(status["last_activity"].is_string());
    let (code, page) = raw(
        &h,
        "GET",
        &format!("/api/v1/namespaces/{NS}/services/jupyter-scipy/proxy/notebook/{NS}/jupyter-scipy/lab"),
        None,
    )
    .await;
    assert_eq!(code, 200);
    assert!(page.as_str().unwrap().contains("JupyterLab"));
    let (code, _) = raw(
        &h,
        "GET",
        &format!(
            "/api/v1/namespaces/{NS}/services/rstudio-stats/proxy/notebook/{NS}/rstudio-stats/api/status"
        ),
        None,
    )
    .await;
    assert_eq!(code, 503, "a stopped notebook has no endpoints");
    let (code, pred) = raw(
        &h,
        "POST",
        &format!(
            "/api/v1/namespaces/{NS}/services/sklearn-iris-predictor/proxy/v1/models/sklearn-iris:predict"
        ),
        Some(json!({"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]})),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(pred["predictions"].as_array().unwrap().len(), 2);
    let (code, infer) = raw(
        &h,
        "POST",
        &format!("/api/v1/namespaces/{NS}/services/xgboost-churn-predictor:80/proxy/v2/models/xgboost-churn/infer"),
        Some(json!({"inputs": [{"name": "input-0", "shape": [3, 4], "datatype": "FP32", "data": [1,2,3,4,5,6,7,8,9,10,11,12]}]})),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(infer["outputs"][0]["shape"], json!([3]));
    let (code, _) = raw(
        &h,
        "POST",
        &format!(
            "/api/v1/namespaces/{NS}/services/bert-sentiment-predictor/proxy/v1/models/bert-sentiment:predict"
        ),
        Some(json!({"instances": ["great movie"]})),
    )
    .await;
    assert_eq!(code, 503, "the failing model answers 503");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_container_has_previous_logs_and_trainer_logs_epochs() {
    let h = start().await;
    let c = client(&h);
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(c.clone(), NS);
    let p = pods.get("pytorch-mnist-ddp-worker-0").await.unwrap();
    assert_eq!(p.status.unwrap().container_statuses.unwrap()[0].restart_count, 1);
    let prev = pods
        .logs(
            "pytorch-mnist-ddp-worker-0",
            &LogParams {
                previous: true,
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    assert!(prev.contains("CUDA out of memory"), "{prev}");
    let err = pods
        .logs(
            "pytorch-mnist-ddp-master-0",
            &LogParams {
                previous: true,
                ..LogParams::default()
            },
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("previous terminated container"), "{err}");
    let node = pods
        .list(&ListParams::default().labels("jobset.sigs.k8s.io/jobset-name=mnist-ddp"))
        .await
        .unwrap();
    let log = pods
        .logs(
            node.items[0].metadata.name.as_ref().unwrap(),
            &LogParams::default(),
        )
        .await
        .unwrap();
    assert!(log.contains("Epoch 1/20"), "{}", &log[..log.len().min(500)]);
    h.shutdown().await;
}

/// Every pod the embedded cluster creates would pass a real API server's validation of its
/// mounts: each `volumeMounts[].name` names one of the pod's volumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pod_mount_names_one_of_its_volumes() {
    let h = start().await;
    let c = client(&h);
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::all(c.clone());
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut checked = 0;
    loop {
        let list = pods.list(&ListParams::default()).await.unwrap();
        let notebooks = list
            .items
            .iter()
            .filter(|p| {
                p.metadata
                    .labels
                    .as_ref()
                    .is_some_and(|l| l.contains_key("notebook-name"))
            })
            .count();
        if notebooks > 0 || Instant::now() > deadline {
            assert!(notebooks > 0, "no notebook pods came up");
            for p in &list.items {
                let spec = p.spec.as_ref().unwrap();
                let volumes: Vec<&str> = spec.volumes.iter().flatten().map(|v| v.name.as_str()).collect();
                for container in spec
                    .containers
                    .iter()
                    .chain(spec.init_containers.iter().flatten())
                {
                    for m in container.volume_mounts.iter().flatten() {
                        assert!(
                            volumes.contains(&m.name.as_str()),
                            "pod {}: containers[{}].volumeMounts names {:?}, not one of its volumes {volumes:?}",
                            p.metadata.name.as_deref().unwrap_or(""),
                            container.name,
                            m.name
                        );
                    }
                }
                checked += 1;
            }
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(checked > 0);
    h.shutdown().await;
}
