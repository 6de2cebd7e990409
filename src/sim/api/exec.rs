//! `pods/{name}/exec` over WebSocket, as the apiserver and kubelet serve it to `kubectl exec`
//! and kube-rs: subprotocols `v5.channel.k8s.io` (preferred) and `v4.channel.k8s.io`; binary
//! frames whose first byte is the channel (0 stdin, 1 stdout, 2 stderr, 3 the final `Status`,
//! 4 terminal resize); on v5, `[255, channel]` closes a stream (the client's stdin ending).
//! The command runs in the container's [`shell`](crate::sim::shell); when it ends, its
//! `Status` goes on channel 3 and the socket closes.

use std::collections::BTreeMap;

use axum::response::Response;
use bytes::{BufMut, BytesMut};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::Request;
use super::upgrade::{self, Socket};
use crate::sim::controllers::kit;
use crate::sim::error::ApiError;
use crate::sim::shell::{Container, Shell};
use crate::sim::types;

/// The subprotocols spoken, preferred first.
const PROTOCOLS: &[&str] = &["v5.channel.k8s.io", "v4.channel.k8s.io"];

const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const ERROR: u8 = 3;
const RESIZE: u8 = 4;
const CLOSE: u8 = 255;

/// Which streams the client asked for.
#[derive(Debug, Clone, Copy)]
struct Streams {
    stdin: bool,
    stdout: bool,
    stderr: bool,
}

/// The container `exec` targets: `container=`, else the pod's default-container annotation,
/// else its first container; it must exist and be running.
fn target_container(pod: &Value, pod_name: &str, asked: Option<&str>) -> Result<String, ApiError> {
    let names: Vec<&str> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| cs.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    let annotated = kit::s(
        pod,
        "/metadata/annotations/kubectl.kubernetes.io~1default-container",
    );
    let name = match asked.filter(|c| !c.is_empty()) {
        Some(c) => c.to_string(),
        None if names.contains(&annotated) => annotated.to_string(),
        None => names.first().map(|s| (*s).to_string()).unwrap_or_default(),
    };
    let init = pod
        .pointer("/spec/initContainers")
        .and_then(Value::as_array)
        .is_some_and(|cs| cs.iter().any(|c| c["name"] == name.as_str()));
    if !names.contains(&name.as_str()) && !init {
        return Err(ApiError::bad_request(format!(
            "container {name} is not valid for pod {pod_name}"
        )));
    }
    let phase = kit::s(pod, "/status/phase");
    if phase == "Succeeded" || phase == "Failed" {
        return Err(ApiError::bad_request(format!(
            "cannot exec into a container in a completed pod; current phase is {phase}"
        )));
    }
    let running = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["name"] == name.as_str()))
        .is_some_and(|c| c.pointer("/state/running").is_some());
    if phase != "Running" || !running {
        return Err(ApiError::bad_request(format!(
            "unable to upgrade connection: container not found (\"{name}\")"
        )));
    }
    Ok(name)
}

pub fn handle(req: &Request<'_>, ns: &str, name: &str) -> Result<Response, ApiError> {
    let store = &req.shared.store;
    let pod = store.get(types::pod_type(), ns, name)?.value()?;
    let q = &req.query;
    let streams = Streams {
        stdin: q.flag("stdin"),
        stdout: q.flag("stdout"),
        stderr: q.flag("stderr"),
    };
    let tty = q.flag("tty");
    if !streams.stdin && !streams.stdout && !streams.stderr {
        return Err(ApiError::bad_request(
            "you must specify at least 1 of stdin, stdout, stderr",
        ));
    }
    if tty && streams.stderr {
        return Err(ApiError::bad_request(
            "stdout, stderr: Invalid value: \"true\": tty and stderr cannot both be true",
        ));
    }
    let command = q.all("command");
    if command.is_empty() {
        return Err(ApiError::bad_request(
            "you must specify at least one command for the container",
        ));
    }
    let container = target_container(&pod, name, q.get("container"))?;
    let config_map = |cm: &str| -> Option<BTreeMap<String, String>> {
        let v = store.get(types::configmap_type(), ns, cm).ok()?.value().ok()?;
        let data = v.get("data")?.as_object()?;
        Some(
            data.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect(),
        )
    };
    let fs = Container::from_pod(&pod, &container, &config_map);
    upgrade::accept(req, PROTOCOLS, move |ws, protocol| async move {
        let shell = Shell::start(fs, &command, tty);
        session(ws, protocol, shell, command, streams).await;
    })
}

fn framed(channel: u8, data: &[u8]) -> Message {
    let mut b = BytesMut::with_capacity(data.len() + 1);
    b.put_u8(channel);
    b.put_slice(data);
    Message::Binary(b.freeze())
}

/// The `Status` exec ends with on channel 3.
pub fn exit_status(command: &[String], code: i32) -> Value {
    if code == 0 {
        return json!({"metadata": {}, "status": "Success"});
    }
    json!({
        "metadata": {},
        "status": "Failure",
        "message": format!(
            "command terminated with non-zero exit code: error executing command [{}], exit code {code}",
            command.join(" ")
        ),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
    })
}

/// Sends what the shell wrote on the streams the client asked for.
async fn flush<S>(sink: &mut S, shell: &mut Shell, streams: Streams) -> bool
where
    S: futures::Sink<Message> + Unpin,
{
    let out = shell.take_stdout();
    let err = shell.take_stderr();
    for (channel, data, wanted) in [(STDOUT, out, streams.stdout), (STDERR, err, streams.stderr)] {
        if wanted && !data.is_empty() && sink.send(framed(channel, &data)).await.is_err() {
            return false;
        }
    }
    true
}

async fn session(
    ws: Socket,
    protocol: Option<String>,
    mut shell: Shell,
    command: Vec<String>,
    streams: Streams,
) {
    let v5 = protocol.as_deref() == Some("v5.channel.k8s.io");
    let (mut sink, mut stream) = ws.split();
    if !streams.stdin {
        shell.close_stdin();
    }
    if !flush(&mut sink, &mut shell, streams).await {
        return;
    }
    while shell.exit_code().is_none() {
        match stream.next().await {
            Some(Ok(Message::Binary(b))) => match b.first().copied() {
                Some(STDIN) => shell.input(b.get(1..).unwrap_or_default()),
                Some(RESIZE) => {
                    let size: Option<Value> = serde_json::from_slice(b.get(1..).unwrap_or_default()).ok();
                    tracing::debug!("sim: exec resize {size:?}");
                }
                Some(CLOSE) if v5 && b.get(1) == Some(&STDIN) => shell.close_stdin(),
                _ => {}
            },
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
            Some(Ok(_)) => {}
        }
        if !flush(&mut sink, &mut shell, streams).await {
            return;
        }
    }
    let code = shell.exit_code().unwrap_or(0);
    let status = exit_status(&command, code).to_string();
    if sink.send(framed(ERROR, status.as_bytes())).await.is_err() {
        return;
    }
    // A normal closure (1000): kubectl takes a close without a code for a broken stream.
    let close = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    let _ = sink.send(Message::Close(Some(close))).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_as_the_kubelet_words_them() {
        assert_eq!(
            exit_status(&["echo".into(), "hi".into()], 0),
            json!({"metadata": {}, "status": "Success"})
        );
        let s = exit_status(&["sh".into(), "-c".into(), "exit 3".into()], 3);
        assert_eq!(s["reason"], "NonZeroExitCode");
        assert_eq!(
            s["details"]["causes"][0],
            json!({"reason": "ExitCode", "message": "3"})
        );
        assert_eq!(
            s["message"],
            "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3"
        );
    }

    #[test]
    fn containers_are_checked() {
        let pod = json!({
            "metadata": {"annotations": {"kubectl.kubernetes.io/default-container": "main"}},
            "spec": {"containers": [{"name": "wait"}, {"name": "main"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "wait", "state": {"running": {}}},
                {"name": "main", "state": {"waiting": {"reason": "ContainerCreating"}}}]}
        });
        assert_eq!(
            target_container(&pod, "p", Some("wait")).ok().as_deref(),
            Some("wait")
        );
        let e = target_container(&pod, "p", Some("x")).err().map(|e| e.message);
        assert_eq!(e.as_deref(), Some("container x is not valid for pod p"));
        let e = target_container(&pod, "p", None).err().map(|e| e.message);
        assert_eq!(
            e.as_deref(),
            Some("unable to upgrade connection: container not found (\"main\")")
        );
    }
}
