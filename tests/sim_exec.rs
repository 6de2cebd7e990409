//! `pods/exec` and `metrics.k8s.io` of the embedded cluster, through kube-rs (`Api::<Pod>::exec`
//! over WebSocket) and through the real `kubectl exec` and `kubectl top`. The kubectl tests say
//! loudly that they were skipped when kubectl is not on PATH.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kubectl.rs"]
mod kubectlsupport;
#[path = "support/sim.rs"]
mod simsupport;

use futures::SinkExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, AttachParams, ListParams, TerminalSize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use kubectlsupport::{Cluster, TIMEOUT};

/// A running pod of the demo cluster: the KFP UI in `kubeflow`.
async fn running_pod(client: &kube::Client) -> String {
    let pods: Api<Pod> = Api::namespaced(client.clone(), "kubeflow");
    let list = pods
        .list(&ListParams::default().labels("app=ml-pipeline-ui"))
        .await
        .unwrap();
    let pod = list
        .items
        .iter()
        .find(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .expect("a running ml-pipeline-ui pod");
    pod.metadata.name.clone().unwrap()
}

async fn read_all(r: Option<impl tokio::io::AsyncRead + Unpin>) -> String {
    let mut s = String::new();
    if let Some(mut r) = r {
        tokio::time::timeout(TIMEOUT, r.read_to_string(&mut s))
            .await
            .expect("stream timed out")
            .unwrap();
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_runs_a_command_and_reports_its_status() {
    let h = simsupport::start().await;
    let client = simsupport::client(&h);
    let name = running_pod(&client).await;
    let pods: Api<Pod> = Api::namespaced(client, "kubeflow");

    let mut p = pods
        .exec(&name, ["echo", "hi"], &AttachParams::default().stderr(true))
        .await
        .unwrap();
    let status = p.take_status().unwrap();
    let out = read_all(p.stdout()).await;
    assert_eq!(out, "hi\n");
    let status = tokio::time::timeout(TIMEOUT, status).await.unwrap().unwrap();
    assert_eq!(status.status.as_deref(), Some("Success"));

    let mut p = pods
        .exec(&name, ["cat", "/etc/hostname"], &AttachParams::default())
        .await
        .unwrap();
    assert_eq!(read_all(p.stdout()).await, format!("{name}\n"));

    let mut p = pods
        .exec(&name, ["sh", "-c", "echo oops; exit 3"], &AttachParams::default())
        .await
        .unwrap();
    let status = p.take_status().unwrap();
    let _ = read_all(p.stdout()).await;
    let status = tokio::time::timeout(TIMEOUT, status).await.unwrap().unwrap();
    assert_eq!(status.status.as_deref(), Some("Failure"));
    assert_eq!(status.reason.as_deref(), Some("NonZeroExitCode"));
    let causes = status.details.and_then(|d| d.causes).unwrap_or_default();
    assert_eq!(causes[0].reason.as_deref(), Some("ExitCode"));
    assert_eq!(causes[0].message.as_deref(), Some("3"));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_stderr_and_missing_binaries() {
    let h = simsupport::start().await;
    let client = simsupport::client(&h);
    let name = running_pod(&client).await;
    let pods: Api<Pod> = Api::namespaced(client, "kubeflow");
    let mut p = pods
        .exec(&name, ["cat", "/nope"], &AttachParams::default().stderr(true))
        .await
        .unwrap();
    let status = p.take_status().unwrap();
    let err = read_all(p.stderr()).await;
    assert_eq!(err, "cat: /nope: No such file or directory\n");
    let status = tokio::time::timeout(TIMEOUT, status).await.unwrap().unwrap();
    assert_eq!(status.reason.as_deref(), Some("NonZeroExitCode"));

    // The KFP UI's image has no bash.
    let mut p = pods
        .exec(&name, ["bash"], &AttachParams::default().stderr(true))
        .await
        .unwrap();
    let status = p.take_status().unwrap();
    let err = read_all(p.stderr()).await;
    assert!(err.contains("executable file not found in $PATH"), "{err}");
    let status = tokio::time::timeout(TIMEOUT, status).await.unwrap().unwrap();
    assert!(status.message.unwrap_or_default().ends_with("exit code 126"));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_interactive_tty_shell_with_resize() {
    let h = simsupport::start().await;
    let client = simsupport::client(&h);
    let name = running_pod(&client).await;
    let pods: Api<Pod> = Api::namespaced(client, "kubeflow");
    let mut p = pods
        .exec(&name, ["/bin/sh"], &AttachParams::interactive_tty())
        .await
        .unwrap();
    let mut resize = p.terminal_size().unwrap();
    resize
        .send(TerminalSize {
            width: 120,
            height: 40,
        })
        .await
        .unwrap();
    let mut stdin = p.stdin().unwrap();
    let mut stdout = p.stdout().unwrap();
    let status = p.take_status().unwrap();
    let mut seen = Vec::new();
    let mut read_until = async |want: &str, seen: &mut Vec<u8>| {
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(seen).contains(want) {
            let n = tokio::time::timeout(TIMEOUT, stdout.read(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("no {want:?} in {:?}", String::from_utf8_lossy(seen)))
                .unwrap();
            assert!(n > 0, "stdout ended before {want:?}");
            seen.extend_from_slice(&buf[..n]);
        }
    };
    read_until(&format!("root@{name}:/# "), &mut seen).await;
    stdin.write_all(b"echo hi\r").await.unwrap();
    read_until("echo hi\r\nhi\r\n", &mut seen).await;
    stdin.write_all(b"exit 5\r").await.unwrap();
    let status = tokio::time::timeout(TIMEOUT, status).await.unwrap().unwrap();
    assert_eq!(status.reason.as_deref(), Some("NonZeroExitCode"));
    assert!(status.message.unwrap_or_default().ends_with("exit code 5"));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_stdin_without_tty_ends_at_eof() {
    let h = simsupport::start().await;
    let client = simsupport::client(&h);
    let name = running_pod(&client).await;
    let pods: Api<Pod> = Api::namespaced(client, "kubeflow");
    let mut p = pods
        .exec(&name, ["sh"], &AttachParams::default().stdin(true))
        .await
        .unwrap();
    let mut stdin = p.stdin().unwrap();
    let status = p.take_status().unwrap();
    stdin.write_all(b"echo one\nhostname\n").await.unwrap();
    stdin.shutdown().await.unwrap();
    let out = read_all(p.stdout()).await;
    assert_eq!(out, format!("one\n{name}\n"));
    let status = tokio::time::timeout(TIMEOUT, status).await.unwrap().unwrap();
    assert_eq!(status.status.as_deref(), Some("Success"));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_errors_as_the_apiserver_words_them() {
    let h = simsupport::start().await;
    let client = simsupport::client(&h);
    let name = running_pod(&client).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "kubeflow");
    let err = pods
        .exec(&name, ["sh"], &AttachParams::default().container("nope"))
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains(&format!("container nope is not valid for pod {name}")),
        "{err}"
    );
    let err = pods
        .exec("no-such-pod", ["sh"], &AttachParams::default())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("pods \"no-such-pod\" not found"), "{err}");
    // A finished step's pod.
    let all: Api<Pod> = Api::namespaced(client, simsupport::NS);
    let list = all.list(&ListParams::default()).await.unwrap();
    let done = list
        .items
        .iter()
        .find(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Succeeded"))
        .and_then(|p| p.metadata.name.clone())
        .expect("a finished pod");
    let err = all
        .exec(&done, ["sh"], &AttachParams::default())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("cannot exec into a container in a completed pod; current phase is Succeeded"),
        "{err}"
    );
    h.shutdown().await;
}

/// A cluster with a kubeconfig for kubectl; `None` (after a loud message) without kubectl.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_exec_runs_commands_and_shells() {
    let Some(k) = Cluster::start().await else { return };
    let name = running_pod(&simsupport::client(&k.handle)).await;
    let (code, out, err) = k
        .run_input(&["exec", "-n", "kubeflow", &name, "--", "echo", "hi"], b"")
        .await;
    assert_eq!((code, out.as_str()), (0, "hi\n"), "{err}");
    let (code, _, err) = k
        .run_input(
            &["exec", "-n", "kubeflow", &name, "--", "sh", "-c", "exit 3"],
            b"",
        )
        .await;
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("command terminated with exit code 3"), "{err}");
    let (code, out, err) = k
        .run_input(
            &["exec", "-i", "-n", "kubeflow", &name, "--", "sh"],
            b"echo hi\nexit\n",
        )
        .await;
    assert_eq!((code, out.as_str()), (0, "hi\n"), "{err}");
    let (code, _, err) = k
        .run_input(&["exec", "-n", "kubeflow", &name, "-c", "nope", "--", "sh"], b"")
        .await;
    assert_ne!(code, 0);
    assert!(
        err.contains(&format!("container nope is not valid for pod {name}")),
        "{err}"
    );
    k.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_top_pods_and_nodes() {
    let Some(k) = Cluster::start().await else { return };
    let (code, out, err) = k.run_input(&["top", "pods", "-A"], b"").await;
    assert_eq!(code, 0, "{err}");
    let header = out.lines().next().unwrap_or_default();
    for col in ["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"] {
        assert!(header.contains(col), "{out}");
    }
    assert!(out.contains("ml-pipeline-ui-"), "{out}");
    assert!(out.lines().count() > 5, "{out}");
    let (code, out, err) = k
        .run_input(&["top", "pods", "-n", "kubeflow", "--containers"], b"")
        .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("POD") && out.contains("ml-pipeline-ui"), "{out}");
    let (code, out, err) = k.run_input(&["top", "nodes"], b"").await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("CPU(%)") && out.contains("kftui-sim-worker-1"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 5, "four nodes and a header: {out}");
    let (code, out, err) = k.run_input(&["get", "nodes"], b"").await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("kftui-sim-worker-3 ") && l.contains(" Ready ")),
        "{out}"
    );
    assert!(out.contains("control-plane"), "{out}");
    k.handle.shutdown().await;
}

/// The older `v4.channel.k8s.io`, spoken by hand: stdout frames, the status on channel 3, then
/// a normal close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_speaks_v4_channel_frames() {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let h = simsupport::start().await;
    let name = running_pod(&simsupport::client(&h)).await;
    let url = format!(
        "{}/api/v1/namespaces/kubeflow/pods/{name}/exec?command=sh&command=-c&command=echo+%22a+b%22%3B+exit+7&stdout=true&stderr=true",
        h.url().replacen("http", "ws", 1)
    );
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "v4.channel.k8s.io".parse().unwrap());
    let (mut ws, resp) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        resp.headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok()),
        Some("v4.channel.k8s.io")
    );
    let mut frames = Vec::new();
    let mut close = None;
    while let Some(m) = tokio::time::timeout(TIMEOUT, ws.next()).await.unwrap() {
        match m.unwrap() {
            Message::Binary(b) => frames.push(b.to_vec()),
            Message::Close(c) => close = c,
            _ => {}
        }
    }
    assert_eq!(frames[0], b"\x01a b\n");
    assert_eq!(frames[1][0], 3);
    let status: serde_json::Value = serde_json::from_slice(&frames[1][1..]).unwrap();
    assert_eq!(
        status["message"],
        "command terminated with non-zero exit code: error executing command [sh -c echo \"a b\"; exit 7], exit code 7"
    );
    assert_eq!(status["details"]["causes"][0]["message"], "7");
    assert_eq!(close.map(|c| u16::from(c.code)), Some(1000));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_api_serves_pod_and_node_metrics() {
    let h = simsupport::start().await;
    let client = simsupport::client(&h);
    let name = running_pod(&client).await;
    let get = |path: String| {
        let client = client.clone();
        async move {
            let req = http::Request::get(path).body(Vec::new()).unwrap();
            client.request::<serde_json::Value>(req).await
        }
    };
    let m = get(format!(
        "/apis/metrics.k8s.io/v1beta1/namespaces/kubeflow/pods/{name}"
    ))
    .await
    .unwrap();
    assert_eq!(m["kind"], "PodMetrics");
    assert_eq!(m["window"], "15s");
    assert!(
        m["containers"][0]["usage"]["cpu"]
            .as_str()
            .unwrap()
            .ends_with('m'),
        "{m}"
    );
    assert!(
        m["containers"][0]["usage"]["memory"]
            .as_str()
            .unwrap()
            .ends_with("Ki"),
        "{m}"
    );
    let all = get("/apis/metrics.k8s.io/v1beta1/pods".into()).await.unwrap();
    assert_eq!(all["kind"], "PodMetricsList");
    assert!(all["items"].as_array().unwrap().len() > 5);
    let nodes = get("/apis/metrics.k8s.io/v1beta1/nodes".into()).await.unwrap();
    assert_eq!(nodes["items"].as_array().unwrap().len(), 4);
    let n = get("/apis/metrics.k8s.io/v1beta1/nodes/kftui-sim-worker-1".into())
        .await
        .unwrap();
    assert_eq!(n["kind"], "NodeMetrics");
    let err = get("/apis/metrics.k8s.io/v1beta1/namespaces/kubeflow/pods/no-such".into())
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("podmetrics.metrics.k8s.io \"kubeflow/no-such\" not found"),
        "{err}"
    );
    h.shutdown().await;
}
