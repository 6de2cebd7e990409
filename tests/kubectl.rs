//! The real `kubectl` against the embedded cluster: proof that it speaks Kubernetes.
//!
//! Each test starts its own cluster, writes its kubeconfig to a temp dir and runs kubectl with
//! `--kubeconfig` and `--request-timeout`; spawned kubectl processes are killed on drop. When
//! kubectl is not on PATH the tests say so loudly and return (CI installs it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kubectl.rs"]
mod kubectlsupport;
#[path = "support/sim.rs"]
mod simsupport;

use std::process::Stdio;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use serde_json::json;
use simsupport::NS;
use tokio::io::{AsyncBufReadExt, BufReader};

use kubectlsupport::{Cluster, TIMEOUT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_pods_and_workflows_in_all_namespaces() {
    let Some(k) = Cluster::start().await else { return };
    let pods = k.ok(&["get", "pods", "-A"]).await;
    let header = pods.lines().next().unwrap();
    for col in ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"] {
        assert!(header.contains(col), "{header}");
    }
    assert!(
        pods.contains("kubeflow ") && pods.contains("ml-pipeline-"),
        "{pods}"
    );
    assert!(pods.contains("Completed") && pods.contains("Running"), "{pods}");
    let wfs = k.ok(&["get", "workflows", "-A"]).await;
    let header = wfs.lines().next().unwrap();
    for col in ["NAMESPACE", "NAME", "STATUS", "AGE", "MESSAGE"] {
        assert!(header.contains(col), "{header}");
    }
    assert!(wfs.contains("team-vision") && wfs.contains(NS), "{wfs}");
    assert!(wfs.contains("Succeeded") && wfs.contains("Failed"), "{wfs}");
    assert!(wfs.contains("child '"), "failure messages are shown: {wfs}");
    assert_eq!(wfs.lines().count(), 43, "42 runs and a header: {wfs}");
    // Short name, and the kubeconfig's default namespace.
    let short = k.ok(&["get", "wf"]).await;
    assert!(
        short.lines().count() > 10 && !short.contains("team-vision"),
        "{short}"
    );
    let ns = k.ok(&["get", "namespaces"]).await;
    assert!(ns.contains("kubeflow-user-example-com   Active"), "{ns}");
    k.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_one_workflow_as_yaml_json_and_jsonpath() {
    let Some(k) = Cluster::start().await else { return };
    let name = k
        .ok(&[
            "get",
            "wf",
            "-n",
            "team-vision",
            "-o",
            "jsonpath={.items[0].metadata.name}",
        ])
        .await;
    assert!(!name.is_empty());
    let yaml = k
        .ok(&["get", "workflow", &name, "-n", "team-vision", "-o", "yaml"])
        .await;
    assert!(yaml.contains("kind: Workflow"), "{yaml}");
    assert!(yaml.contains(&format!("name: {name}")), "{yaml}");
    assert!(yaml.contains("apiVersion: argoproj.io/v1alpha1"), "{yaml}");
    assert!(yaml.contains("workflows.argoproj.io/phase:"), "{yaml}");
    let json: serde_json::Value = serde_json::from_str(
        &k.ok(&["get", "wf", &name, "-n", "team-vision", "-o", "json"])
            .await,
    )
    .unwrap();
    assert_eq!(json["metadata"]["name"], name.as_str());
    let progress = k
        .ok(&[
            "get",
            "wf",
            &name,
            "-n",
            "team-vision",
            "-o",
            "jsonpath={.status.progress}",
        ])
        .await;
    assert!(progress.contains('/'), "{progress}");
    k.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_object_is_a_not_found_error() {
    let Some(k) = Cluster::start().await else { return };
    let out = k.run(&["get", "workflow", "nope"]).await;
    assert!(!out.ok);
    assert!(
        out.stderr.contains("NotFound") && out.stderr.contains("workflows.argoproj.io \"nope\" not found"),
        "{}",
        out.stderr
    );
    let out = k.run(&["get", "pods", "nope", "-n", "kubeflow"]).await;
    assert!(
        !out.ok && out.stderr.contains("pods \"nope\" not found"),
        "{}",
        out.stderr
    );
    let out = k.run(&["get", "frobnicators"]).await;
    assert!(
        !out.ok && out.stderr.contains("the server doesn't have a resource type"),
        "{}",
        out.stderr
    );
    k.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_select_patch_apply_and_delete() {
    let Some(k) = Cluster::start().await else { return };
    let manifest = k.write(
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: hello\n  labels: {app: hello}\nspec:\n  containers:\n  - name: main\n    image: busybox:1.36\n",
    );
    let created = k.ok(&["create", "-f", &manifest]).await;
    assert_eq!(created.trim(), "pod/hello created");
    let again = k.run(&["create", "-f", &manifest]).await;
    assert!(
        !again.ok && again.stderr.contains("AlreadyExists"),
        "{}",
        again.stderr
    );
    let selected = k.ok(&["get", "pods", "-l", "app=hello", "-o", "name"]).await;
    assert_eq!(selected.trim(), "pod/hello");
    let none = k
        .run(&["get", "pods", "-l", "app=hello,tier notin (web)", "-o", "name"])
        .await;
    assert_eq!(none.stdout.trim(), "pod/hello");
    k.ok(&[
        "patch",
        "pod",
        "hello",
        "--type=merge",
        "-p",
        r#"{"metadata":{"labels":{"tier":"web"}}}"#,
    ])
    .await;
    k.ok(&[
        "patch",
        "pod",
        "hello",
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/metadata/labels/stage","value":"two"}]"#,
    ])
    .await;
    k.ok(&[
        "patch",
        "pod",
        "hello",
        "-p",
        r#"{"metadata":{"annotations":{"strategic":"yes"}}}"#,
    ])
    .await;
    let labels = k
        .ok(&["get", "pod", "hello", "-o", "jsonpath={.metadata.labels}"])
        .await;
    assert!(
        labels.contains("\"tier\":\"web\"") && labels.contains("\"stage\":\"two\""),
        "{labels}"
    );
    let web = k
        .ok(&["get", "pods", "--selector", "tier in (web),stage", "-o", "name"])
        .await;
    assert_eq!(web.trim(), "pod/hello");
    let applied = k.ok(&["apply", "-f", &manifest]).await;
    assert!(applied.contains("pod/hello configured"), "{applied}");
    let wf = k.write(
        "wf.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  generateName: from-kubectl-\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container:\n      image: alpine:3.20\n",
    );
    let out = k.ok(&["create", "-f", &wf]).await;
    assert!(out.starts_with("workflow.argoproj.io/from-kubectl-"), "{out}");
    let running = k
        .ok(&[
            "get",
            "pods",
            "--field-selector",
            "status.phase=Running",
            "-n",
            "kubeflow",
            "-o",
            "name",
        ])
        .await;
    assert_eq!(running.lines().count(), 6, "{running}");
    let deleted = k.ok(&["delete", "pod", "hello"]).await;
    assert_eq!(deleted.trim(), "pod \"hello\" deleted");
    let gone = k.run(&["get", "pod", "hello"]).await;
    assert!(!gone.ok && gone.stderr.contains("not found"), "{}", gone.stderr);
    let bulk = k
        .ok(&["delete", "wf", "-l", "workflows.argoproj.io/phase=Failed"])
        .await;
    assert!(bulk.contains("deleted"), "{bulk}");
    let failed = k
        .ok(&[
            "get",
            "wf",
            "-l",
            "workflows.argoproj.io/phase=Failed",
            "-o",
            "name",
        ])
        .await;
    assert!(failed.trim().is_empty(), "{failed}");
    k.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_pods_watch_sees_a_new_pod() {
    let Some(k) = Cluster::start().await else { return };
    let mut child = k
        .command(&["get", "pods", "-w", "-n", NS])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The initial list arrives first.
    let first = tokio::time::timeout(TIMEOUT, lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(first.starts_with("NAME"), "{first}");
    let pods: Api<Pod> = Api::namespaced(simsupport::client(&k.handle), NS);
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "watched-pod"},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let mut saw = Vec::new();
    loop {
        let line = tokio::time::timeout_at(deadline.into(), lines.next_line())
            .await
            .expect("kubectl -w printed the new pod in time")
            .unwrap()
            .expect("kubectl -w still running");
        if line.starts_with("watched-pod") {
            saw.push(line);
            if saw.iter().any(|l| l.contains("Running")) {
                break;
            }
        }
    }
    assert!(
        saw[0].contains("Pending") || saw[0].contains("Running"),
        "{saw:?}"
    );
    child.kill().await.unwrap();
    k.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_describe_and_follow() {
    let Some(k) = Cluster::start().await else { return };
    let deadline = Instant::now() + TIMEOUT;
    let pod = loop {
        let out = k
            .ok(&[
                "get",
                "pods",
                "-l",
                "workflows.argoproj.io/workflow",
                "--field-selector",
                "status.phase=Running",
                "-o",
                "name",
            ])
            .await;
        if let Some(first) = out.lines().next() {
            break first.to_string();
        }
        assert!(Instant::now() < deadline, "no running step pod");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // The default-container annotation picks `main`.
    let main = k.ok(&["logs", &pod]).await;
    // A user step starts with its name; a KFP driver pod logs like the Go driver does.
    assert!(
        main.starts_with("Starting step") || main.contains("main.go:"),
        "{main}"
    );
    let wait = k.ok(&["logs", &pod, "-c", "wait"]).await;
    assert!(wait.contains("Starting Workflow Executor"), "{wait}");
    let tail = k.ok(&["logs", &pod, "--tail=1", "--timestamps"]).await;
    assert_eq!(tail.lines().count(), 1, "{tail}");
    let previous = k.run(&["logs", &pod, "--previous"]).await;
    assert!(
        !previous.ok && previous.stderr.contains("previous terminated container \"main\""),
        "{}",
        previous.stderr
    );
    let describe = k.ok(&["describe", &pod]).await;
    assert!(describe.contains("Controlled By:  Workflow/"), "{describe}");
    assert!(describe.contains("workflows.argoproj.io/node-name"), "{describe}");

    let scripted = k.write(
        "scripted.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: scripted\n  annotations:\n    sim.kftui.dev/log: \"epoch 1 loss 0.9\\nepoch 2 loss 0.4\"\n    sim.kftui.dev/run-seconds: \"2\"\nspec:\n  containers:\n  - name: main\n    image: busybox\n",
    );
    k.ok(&["create", "-f", &scripted]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let started = Instant::now();
    let followed = k.ok(&["logs", "-f", "scripted"]).await;
    assert_eq!(followed, "epoch 1 loss 0.9\nepoch 2 loss 0.4\n");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "follow ended with the container"
    );
    let wf = k
        .ok(&["get", "wf", "-o", "jsonpath={.items[0].metadata.name}"])
        .await;
    let describe = k.ok(&["describe", "wf", &wf]).await;
    assert!(describe.contains("Kind:         Workflow"), "{describe}");
    k.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeflow_kinds_short_names_describe_and_trainer_logs() {
    let Some(k) = Cluster::start().await else { return };
    let all = k.ok(&["get", "notebooks,isvc,trainjobs,experiments", "-A"]).await;
    for name in [
        "notebook.kubeflow.org/jupyter-scipy",
        "inferenceservice.serving.kserve.io/fraud-detector",
        "trainjob.trainer.kubeflow.org/llama-finetune",
        "experiment.kubeflow.org/random-search-lr",
        "trainjob.trainer.kubeflow.org/vit-train",
    ] {
        assert!(all.contains(name), "{name} missing:\n{all}");
    }
    let isvc = k.ok(&["get", "isvc"]).await;
    let header = isvc.lines().next().unwrap();
    for col in ["NAME", "URL", "READY", "PREV", "LATEST", "AGE"] {
        assert!(header.contains(col), "{header}");
    }
    let canary = isvc.lines().find(|l| l.starts_with("fraud-detector")).unwrap();
    assert!(canary.contains(" 90 ") && canary.contains(" 10 "), "{canary}");
    let tj = k.ok(&["get", "trainjobs"]).await;
    assert!(tj.lines().next().unwrap().contains("STATE"), "{tj}");
    assert!(
        tj.lines()
            .any(|l| l.starts_with("mnist-ddp") && l.contains("Complete")),
        "{tj}"
    );
    // Short names of the real CRDs.
    for short in ["wftmpl", "cwft", "cronwf", "swf", "isvc"] {
        k.ok(&["get", short, "-A"]).await;
    }
    let nb = k.run(&["get", "nb"]).await;
    assert!(!nb.ok, "Notebook has no short name in its CRD");
    let exp = k.ok(&["get", "experiments.kubeflow.org", "-o", "wide"]).await;
    assert!(exp.contains("Succeeded") && exp.contains("Running"), "{exp}");
    let profiles = k.ok(&["get", "profiles"]).await;
    assert!(profiles.contains("team-vision"), "{profiles}");
    let v1beta1 = k
        .ok(&[
            "get",
            "notebooks.v1beta1.kubeflow.org",
            "jupyter-scipy",
            "-o",
            "jsonpath={.apiVersion} {.status.readyReplicas}",
        ])
        .await;
    assert_eq!(v1beta1, "kubeflow.org/v1beta1 1");
    let describe = k.ok(&["describe", "notebook", "pytorch-gpu"]).await;
    assert!(describe.contains("ImagePullBackOff"), "{describe}");
    assert!(describe.contains("BackOff"), "events shown:\n{describe}");
    let describe = k.ok(&["describe", "isvc", "sklearn-iris"]).await;
    assert!(describe.contains("Kind:         InferenceService"), "{describe}");
    let svc = k.ok(&["get", "svc", "-n", "kubeflow", "ml-pipeline"]).await;
    assert!(svc.contains("8888/TCP"), "{svc}");

    // Trainer pod logs: follow the running job's node 0 for a moment.
    let pod = k
        .ok(&[
            "get",
            "pods",
            "-l",
            "jobset.sigs.k8s.io/jobset-name=llama-finetune",
            "-o",
            "name",
        ])
        .await;
    let pod = pod.lines().next().unwrap().to_string();
    let tail = k.ok(&["logs", &pod, "--tail=3"]).await;
    assert_eq!(tail.lines().count(), 3, "{tail}");
    assert!(tail.contains("Epoch"), "{tail}");
    let mut child = k
        .command(&["logs", "-f", "--tail=2", &pod])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen < 3 && Instant::now() < deadline {
        if let Ok(Ok(Some(line))) = tokio::time::timeout(Duration::from_secs(5), lines.next_line()).await {
            assert!(line.contains("Epoch") || line.contains("WARNING"), "{line}");
            seen += 1;
        }
    }
    assert!(seen >= 3, "logs -f delivered {seen} lines");
    drop(child);
    // --previous where a container restarted.
    let prev = k.ok(&["logs", "pytorch-mnist-ddp-worker-0", "--previous"]).await;
    assert!(prev.contains("CUDA out of memory"), "{prev}");
    let explain = k.run(&["explain", "notebooks"]).await;
    eprintln!(
        "kubectl explain notebooks: ok={} {}",
        explain.ok,
        explain.stderr.lines().next().unwrap_or("")
    );
    k.stop().await;
}

/// Not a test: serves the embedded cluster for manual poking, writing its kubeconfig to
/// `$KFTUI_SIM_KUBECONFIG` (default /tmp/kftui-sim.kubeconfig), for `$KFTUI_SIM_SECONDS` (600),
/// with `$KFTUI_SIM_SCALE` extra benchmark runs (0).
/// kubectl sends built-in kinds as protobuf: the generators' commands work as on a real cluster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_kind_commands_in_protobuf_and_json() {
    let Some(k) = Cluster::start().await else { return };
    assert!(
        k.ok(&["create", "namespace", "team-x"])
            .await
            .contains("namespace/team-x created")
    );
    assert!(
        k.ok(&["create", "configmap", "cm1", "--from-literal=a=b"])
            .await
            .contains("created")
    );
    assert!(
        k.ok(&[
            "create",
            "secret",
            "generic",
            "s1",
            "--from-literal=password=hunter2"
        ])
        .await
        .contains("secret/s1 created")
    );
    // The Secret as a real API server stores it: base64 data, type Opaque.
    assert_eq!(
        k.ok(&["get", "secret", "s1", "-o", "jsonpath={.data.password} {.type}"])
            .await,
        "aHVudGVyMg== Opaque"
    );
    assert_eq!(
        k.ok(&["get", "configmap", "cm1", "-o", "jsonpath={.data.a}"])
            .await,
        "b"
    );
    assert!(
        k.ok(&["run", "web", "--image=nginx"])
            .await
            .contains("pod/web created")
    );
    assert!(
        k.ok(&["label", "namespace", "team-x", "team=x"])
            .await
            .contains("labeled")
    );
    assert!(
        k.ok(&["annotate", "configmap", "cm1", "note=hi"])
            .await
            .contains("annotated")
    );
    assert!(
        k.ok(&["label", "pod", "web", "tier=front"])
            .await
            .contains("labeled")
    );
    assert_eq!(
        k.ok(&[
            "get",
            "namespace",
            "team-x",
            "-o",
            "jsonpath={.metadata.labels.team}"
        ])
        .await,
        "x"
    );
    for (kind, name) in [
        ("pod", "web"),
        ("secret", "s1"),
        ("configmap", "cm1"),
        ("namespace", "team-x"),
    ] {
        assert!(
            k.ok(&["delete", kind, name]).await.contains("deleted"),
            "{kind}/{name}"
        );
    }
    let gone = k.run(&["get", "namespace", "team-x"]).await;
    assert!(!gone.ok && gone.stderr.contains("NotFound"), "{}", gone.stderr);
    k.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "manual: serves the sim for a while"]
async fn serve_for_manual_use() {
    let scale = std::env::var("KFTUI_SIM_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let started = Instant::now();
    let h = simsupport::start_with(kftui::sim::SimOptions {
        scale,
        ..Default::default()
    })
    .await;
    eprintln!("started with scale {scale} in {:?}", started.elapsed());
    let path = std::env::var("KFTUI_SIM_KUBECONFIG").unwrap_or_else(|_| "/tmp/kftui-sim.kubeconfig".into());
    std::fs::write(&path, h.kubeconfig_yaml()).unwrap();
    eprintln!("serving {} with kubeconfig {path}", h.url());
    let secs = std::env::var("KFTUI_SIM_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    tokio::time::sleep(Duration::from_secs(secs)).await;
    h.shutdown().await;
}
