//! `pods/{name}/portforward` over WebSocket (`v4.channel.k8s.io`), as the apiserver and kubelet
//! serve it to kube-rs: per forwarded port a data channel (2·i) and an error channel (2·i+1),
//! each opened by a frame carrying the port number, then raw bytes prefixed by the channel.
//!
//! What listens inside a pod: a notebook's pod serves its Jupyter server on 8888; any other port
//! refuses the connection, and says so on the port's error channel as the kubelet does.

use std::sync::Arc;

use axum::response::Response;
use bytes::{BufMut, BytesMut};
use futures::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, WriteHalf};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::upgrade::{self, Socket};
use super::{Request, proxy};
use crate::sim::Shared;
use crate::sim::controllers::kit;
use crate::sim::error::ApiError;
use crate::sim::types;

/// The port a notebook's Jupyter server listens on.
pub const JUPYTER_PORT: u16 = 8888;

/// The subprotocols spoken, preferred first.
const PROTOCOLS: &[&str] = &["v4.channel.k8s.io", "v5.channel.k8s.io"];

pub fn handle(req: &Request<'_>, ns: &str, name: &str) -> Result<Response, ApiError> {
    let pod = req.shared.store.get(types::pod_type(), ns, name)?.value()?;
    let ports: Vec<u16> = req
        .query
        .get("ports")
        .unwrap_or("")
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            p.trim()
                .parse::<u16>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ApiError::bad_request(format!("invalid port {p:?}")))
        })
        .collect::<Result<_, _>>()?;
    if ports.is_empty() {
        return Err(ApiError::bad_request("at least one port must be specified"));
    }
    if kit::s(&pod, "/status/phase") != "Running" {
        return Err(ApiError::bad_request(format!(
            "pod {name} is not running (phase {}): cannot forward ports",
            kit::s(&pod, "/status/phase")
        )));
    }
    let notebook = pod
        .pointer("/metadata/labels/notebook-name")
        .and_then(Value::as_str)
        .map(String::from);
    let shared = Arc::clone(req.shared);
    let (ns, name) = (ns.to_string(), name.to_string());
    upgrade::accept(req, PROTOCOLS, move |ws, _| async move {
        session(ws, shared, ns, name, notebook, ports).await;
    })
}

fn framed(channel: u8, data: &[u8]) -> Message {
    let mut b = BytesMut::with_capacity(data.len() + 1);
    b.put_u8(channel);
    b.put_slice(data);
    Message::Binary(b.freeze())
}

/// One forwarded port's pipe into the pod: where the client's bytes go.
enum Pipe {
    Open(WriteHalf<DuplexStream>),
    Refused,
}

async fn session(
    ws: Socket,
    shared: Arc<Shared>,
    ns: String,
    pod: String,
    notebook: Option<String>,
    ports: Vec<u16>,
) {
    let (mut sink, mut stream) = ws.split();
    let (out_tx, mut out_rx) = mpsc::channel::<Message>(64);
    let mut pipes = Vec::with_capacity(ports.len());
    for (i, port) in ports.iter().enumerate() {
        let Ok(data) = u8::try_from(2 * i) else { break };
        let error = data + 1;
        let opening = port.to_le_bytes();
        for ch in [data, error] {
            if sink.send(framed(ch, &opening)).await.is_err() {
                return;
            }
        }
        let served = notebook.as_deref().filter(|_| *port == JUPYTER_PORT);
        let Some(nb) = served else {
            let msg = format!(
                "error forwarding port {port} to pod {pod}: failed to connect to localhost:{port} inside the pod: connect: connection refused"
            );
            if sink.send(framed(error, msg.as_bytes())).await.is_err() {
                return;
            }
            pipes.push(Pipe::Refused);
            continue;
        };
        let (client_end, server_end) = tokio::io::duplex(64 * 1024);
        tokio::spawn(serve_jupyter(
            Arc::clone(&shared),
            ns.clone(),
            nb.to_string(),
            server_end,
        ));
        let (mut from_pod, to_pod) = tokio::io::split(client_end);
        pipes.push(Pipe::Open(to_pod));
        let out = out_tx.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 32 * 1024];
            loop {
                match from_pod.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if out.send(framed(data, &buf[..n])).await.is_err() {
                            break;
                        }
                    }
                }
            }
        });
    }
    drop(out_tx);
    let mut open = pipes.iter().filter(|p| matches!(p, Pipe::Open(_))).count();
    loop {
        tokio::select! {
            out = out_rx.recv() => match out {
                Some(m) => {
                    if sink.send(m).await.is_err() {
                        break;
                    }
                }
                // Every server in the pod closed its end.
                None => break,
            },
            incoming = stream.next() => match incoming {
                // kube-rs on v5 asks to close a port's write side with [255, channel].
                Some(Ok(Message::Binary(b))) if b.first() == Some(&255) => {
                    let ch = b.get(1).map(|c| usize::from(*c) / 2);
                    if let Some(Pipe::Open(w)) = ch.and_then(|ch| pipes.get_mut(ch)) {
                        let _ = w.shutdown().await;
                    }
                }
                Some(Ok(Message::Binary(b))) if b.len() > 1 && b[0] % 2 == 0 => {
                    let ch = usize::from(b[0]) / 2;
                    if let Some(Pipe::Open(w)) = pipes.get_mut(ch)
                        && w.write_all(&b[1..]).await.is_err()
                    {
                        pipes[ch] = Pipe::Refused;
                        open = open.saturating_sub(1);
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
        if open == 0 {
            break;
        }
    }
    for p in &mut pipes {
        if let Pipe::Open(w) = p {
            let _ = w.shutdown().await;
        }
    }
    let _ = sink.send(Message::Close(None)).await;
}

/// The Jupyter server inside a notebook's pod, serving HTTP (and upgrades) on `io`.
async fn serve_jupyter(shared: Arc<Shared>, ns: String, notebook: String, io: DuplexStream) {
    let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
        let (shared, ns, notebook) = (Arc::clone(&shared), ns.clone(), notebook.clone());
        async move {
            let resp = match super::read_request(request).await {
                Ok((parts, body, upgrade)) => {
                    let req = Request {
                        shared: &shared,
                        method: &parts.method,
                        query: super::Query::parse(parts.uri.query()),
                        headers: &parts.headers,
                        body,
                        upgrade: std::sync::Mutex::new(upgrade),
                    };
                    let path = parts.uri.path();
                    proxy::jupyter(&req, &ns, &notebook, path, false)
                        .unwrap_or_else(|e| super::error_response(&e))
                }
                Err(e) => super::error_response(&e),
            };
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    if let Err(e) = conn.await {
        tracing::debug!("sim: jupyter connection ended: {e}");
    }
}
