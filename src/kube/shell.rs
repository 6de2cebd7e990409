//! `x`: a shell in a pod's container through the exec subresource over WebSocket
//! (`v5.channel.k8s.io`), as `kubectl exec -it` does: bash where the image has it, else sh; the
//! local terminal's keys in, the container's output out, resized with the terminal.

use std::io::Write;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, AttachParams, ListParams, TerminalSize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::kube::describe_error;

/// The container a shell opens in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellTarget {
    pub namespace: String,
    pub pod: String,
    pub container: String,
}

/// Which pods a shell may open in: those a label selector finds (a notebook's, a model's, a run's
/// steps'), or one named pod; and the container to prefer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellRequest {
    pub namespace: String,
    pub selector: Option<String>,
    pub pod: Option<String>,
    pub container: Option<String>,
    /// What the user asked for, for messages (`notebook/NAME`).
    pub what: String,
}

/// How a shell ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellEnd {
    /// The shell exited with this code.
    Exited(i32),
    /// The exec could not start or broke off.
    Failed(String),
}

fn running(p: &Pod) -> bool {
    p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
}

/// The container of `pod` a shell goes to: the preferred one when the pod has it, else the pod's
/// default (the `kubectl.kubernetes.io/default-container` annotation), else its first.
fn container_of(pod: &Pod, preferred: Option<&str>) -> Option<String> {
    let names: Vec<&str> = pod
        .spec
        .iter()
        .flat_map(|s| s.containers.iter().map(|c| c.name.as_str()))
        .collect();
    preferred
        .filter(|p| names.contains(p))
        .map(str::to_string)
        .or_else(|| {
            pod.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("kubectl.kubernetes.io/default-container"))
                .filter(|d| names.contains(&d.as_str()))
                .cloned()
        })
        .or_else(|| names.first().map(|n| n.to_string()))
}

/// Chooses where the shell opens: the newest running pod the request finds, and its container.
pub async fn pick(client: kube::Client, req: &ShellRequest) -> Result<ShellTarget, String> {
    let api: Api<Pod> = Api::namespaced(client, &req.namespace);
    let pods = match (&req.pod, &req.selector) {
        (Some(name), _) => vec![
            api.get(name)
                .await
                .map_err(|e| format!("cannot get pod {name}: {}", describe_error(&e)))?,
        ],
        (None, Some(selector)) => {
            api.list(&ListParams::default().labels(selector))
                .await
                .map_err(|e| format!("cannot list the pods of {}: {}", req.what, describe_error(&e)))?
                .items
        }
        (None, None) => return Err(format!("{} has no pods to open a shell in", req.what)),
    };
    if pods.is_empty() {
        return Err(format!("{} has no pods", req.what));
    }
    let mut live: Vec<&Pod> = pods.iter().filter(|p| running(p)).collect();
    live.sort_by(|a, b| b.metadata.creation_timestamp.cmp(&a.metadata.creation_timestamp));
    let pod = live.first().ok_or_else(|| {
        format!(
            "no pod of {} is running ({} found): a shell needs a running container",
            req.what,
            pods.len()
        )
    })?;
    let name = pod.metadata.name.clone().unwrap_or_default();
    let container =
        container_of(pod, req.container.as_deref()).ok_or_else(|| format!("pod {name} has no containers"))?;
    Ok(ShellTarget {
        namespace: req.namespace.clone(),
        pod: name,
        container,
    })
}

/// The exit code a finished exec's status reports.
fn exit_code(status: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Status>) -> ShellEnd {
    let Some(s) = status else {
        return ShellEnd::Failed("the connection closed without an exit status".into());
    };
    if s.status.as_deref() == Some("Success") {
        return ShellEnd::Exited(0);
    }
    let code = s
        .details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .and_then(|c| c.iter().find(|c| c.reason.as_deref() == Some("ExitCode")))
        .and_then(|c| c.message.as_deref())
        .and_then(|m| m.trim().parse().ok());
    match code {
        Some(code) => ShellEnd::Exited(code),
        None => ShellEnd::Failed(s.message.clone().unwrap_or_else(|| "the shell failed".into())),
    }
}

/// Runs `command` in the target with a terminal until it exits: `input` is the local terminal's
/// bytes, `sizes` its new sizes; the container's output is written to `output`.
pub async fn session<W: Write + Send>(
    client: kube::Client,
    target: &ShellTarget,
    command: &[&str],
    input: &mut mpsc::Receiver<Vec<u8>>,
    sizes: &mut mpsc::Receiver<(u16, u16)>,
    size: (u16, u16),
    output: &mut W,
) -> ShellEnd {
    let api: Api<Pod> = Api::namespaced(client, &target.namespace);
    let params = AttachParams::interactive_tty().container(target.container.clone());
    let mut proc = match api.exec(&target.pod, command.iter().copied(), &params).await {
        Ok(p) => p,
        Err(e) => return ShellEnd::Failed(describe_error(&e)),
    };
    let (Some(mut stdin), Some(mut stdout), Some(mut resize), Some(status)) = (
        proc.stdin(),
        proc.stdout(),
        proc.terminal_size(),
        proc.take_status(),
    ) else {
        return ShellEnd::Failed("the exec session has no terminal".into());
    };
    let (width, height) = size;
    let _ = futures::SinkExt::send(&mut resize, TerminalSize { width, height }).await;
    let mut status = Box::pin(status);
    let mut buf = vec![0u8; 16 * 1024];
    let mut input_open = true;
    loop {
        tokio::select! {
            read = stdout.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if output.write_all(&buf[..n]).and_then(|()| output.flush()).is_err() {
                        break;
                    }
                }
            },
            bytes = input.recv(), if input_open => match bytes {
                Some(b) => {
                    if stdin.write_all(&b).await.is_err() {
                        input_open = false;
                    }
                }
                None => input_open = false,
            },
            Some((width, height)) = sizes.recv() => {
                let _ = futures::SinkExt::send(&mut resize, TerminalSize { width, height }).await;
            }
            s = &mut status => return exit_code(s.as_ref()),
        }
    }
    let s = status.await;
    exit_code(s.as_ref())
}

/// Whether an exec failed because the command is not in the image (exit 126/127 from the
/// runtime), so another shell may be tried.
pub fn missing_command(end: &ShellEnd) -> bool {
    match end {
        ShellEnd::Exited(code) => matches!(code, 126 | 127),
        ShellEnd::Failed(m) => m.contains("executable file not found") || m.contains("no such file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Status, StatusCause, StatusDetails};

    #[test]
    fn the_exit_code_comes_from_the_status_as_kubectl_reads_it() {
        let ok = Status {
            status: Some("Success".into()),
            ..Status::default()
        };
        assert_eq!(exit_code(Some(&ok)), ShellEnd::Exited(0));
        let three = Status {
            status: Some("Failure".into()),
            reason: Some("NonZeroExitCode".into()),
            details: Some(StatusDetails {
                causes: Some(vec![StatusCause {
                    reason: Some("ExitCode".into()),
                    message: Some("3".into()),
                    ..StatusCause::default()
                }]),
                ..StatusDetails::default()
            }),
            ..Status::default()
        };
        assert_eq!(exit_code(Some(&three)), ShellEnd::Exited(3));
        assert!(matches!(exit_code(None), ShellEnd::Failed(_)));
        assert!(missing_command(&ShellEnd::Exited(127)));
        assert!(!missing_command(&ShellEnd::Exited(1)));
    }

    #[test]
    fn the_shell_goes_to_the_preferred_else_the_default_container() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "annotations": {"kubectl.kubernetes.io/default-container": "main"}},
            "spec": {"containers": [{"name": "wait"}, {"name": "main"}]},
        }))
        .expect("pod");
        assert_eq!(container_of(&pod, Some("main")).as_deref(), Some("main"));
        assert_eq!(container_of(&pod, Some("absent")).as_deref(), Some("main"));
        assert_eq!(container_of(&pod, None).as_deref(), Some("main"));
    }
}
