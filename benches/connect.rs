//! The notebook connect proxy against the embedded cluster, over real HTTP on loopback: the way
//! a browser meets it. For each way in — the API server's service proxy, and a port-forward to
//! the notebook's pod (the service proxy forbidden by a fault) — it measures:
//!
//! - the first request (the way in chosen, nothing kept yet);
//! - requests on one keep-alive connection, as a browser sends them (`/api/status`);
//! - requests each on a new connection (`Connection: close`);
//! - a kernel: the WebSocket handshake, then cells (`execute_request` → `execute_reply`).
//!
//! `cargo bench --bench connect`; `KFTUI_CONNECT_N` (default 300) requests and cells per line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use kube::api::{Api, DynamicObject};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use kftui::app::connections::PortChoice;
use kftui::kube::connect;
use kftui::sim::{SimOptions, parse_faults, start};

const NS: &str = "kubeflow-user-example-com";
const NOTEBOOK: &str = "jupyter-scipy";

fn count() -> usize {
    std::env::var("KFTUI_CONNECT_N")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(300)
}

fn path(rest: &str) -> String {
    format!("/notebook/{NS}/{NOTEBOOK}/{rest}")
}

struct Line {
    what: String,
    times: Vec<Duration>,
}

impl Line {
    fn print(&mut self) {
        self.times.sort();
        let at = |q: f64| {
            let i = ((self.times.len() as f64 - 1.0) * q).round() as usize;
            self.times[i].as_secs_f64() * 1000.0
        };
        if self.times.len() == 1 {
            println!("| {} | {:.2} ms | | |", self.what, at(0.0));
        } else {
            println!(
                "| {} | {:.2} ms | {:.2} ms | {:.2} ms |",
                self.what,
                at(0.5),
                at(0.99),
                at(1.0)
            );
        }
    }
}

/// One GET on a new connection, `Connection: close`; the status code.
async fn get_closing(port: u16, p: &str, cookie: &str) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let req = format!(
        "GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

async fn measure(how: &str, client: kube::Client, n: usize) {
    let started = Instant::now();
    let upstream = connect::choose_notebook(client, NS, NOTEBOOK).await.unwrap();
    let listener = connect::bind(PortChoice::Any).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let cancel = CancellationToken::new();
    let via = upstream.via();
    let token = connect::Token::generate().unwrap();
    let guard = connect::Guard::new(token.clone(), port, NS, NOTEBOOK);
    let cookie = format!("{}={}", guard.cookie_name(), token.reveal());
    tokio::spawn(connect::serve(
        listener,
        upstream,
        "the notebook".into(),
        guard,
        1,
        |_| {},
        cancel.clone(),
    ));
    assert_eq!(get_closing(port, &path("api/status"), &cookie).await, 200);
    Line {
        what: format!("{how}: the way in chosen ({via}) and the first request answered"),
        times: vec![started.elapsed()],
    }
    .print();

    // A browser's keep-alive connection.
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut line = Line {
        what: format!("{how}: a request on a keep-alive connection"),
        times: Vec::with_capacity(n),
    };
    for _ in 0..n {
        let t = Instant::now();
        sender.ready().await.unwrap();
        let req = http::Request::get(path("api/status"))
            .header("host", format!("127.0.0.1:{port}"))
            .header("cookie", cookie.as_str())
            .body(Empty::<Bytes>::new())
            .unwrap();
        let res = sender.send_request(req).await.unwrap();
        assert_eq!(res.status(), 200);
        res.into_body().collect().await.unwrap();
        line.times.push(t.elapsed());
    }
    line.print();

    let mut line = Line {
        what: format!("{how}: a request on a new connection"),
        times: Vec::with_capacity(n),
    };
    for _ in 0..n {
        let t = Instant::now();
        assert_eq!(get_closing(port, &path("api/status"), &cookie).await, 200);
        line.times.push(t.elapsed());
    }
    line.print();

    let (code, body) = {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let req = format!(
            "GET {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n",
            path("api/kernels")
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        let text = String::from_utf8_lossy(&buf).to_string();
        let body = text.split_once("\r\n\r\n").map_or("", |x| x.1).to_string();
        (text.split_whitespace().nth(1).unwrap_or("").to_string(), body)
    };
    assert_eq!(code, "200", "{body}");
    let kernels: Value = serde_json::from_str(&body).unwrap();
    let id = kernels[0]["id"].as_str().unwrap().to_string();
    let url = format!(
        "ws://127.0.0.1:{port}{}?kftui-token={}",
        path(&format!("api/kernels/{id}/channels")),
        token.reveal()
    );
    let t = Instant::now();
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str()).await.unwrap();
    Line {
        what: format!("{how}: a kernel's WebSocket handshake"),
        times: vec![t.elapsed()],
    }
    .print();
    let mut line = Line {
        what: format!("{how}: a cell (`6 * 7`) from execute_request to execute_reply"),
        times: Vec::with_capacity(n),
    };
    for i in 0..n {
        let t = Instant::now();
        let msg = json!({"header": {"msg_id": format!("m{i}"), "msg_type": "execute_request",
            "session": "bench", "username": "bench", "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "buffers": [], "channel": "shell",
            "content": {"code": "6 * 7", "silent": false}});
        ws.send(Message::Text(msg.to_string().into())).await.unwrap();
        loop {
            let Some(Ok(Message::Text(t))) = ws.next().await else {
                panic!("the kernel socket closed");
            };
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["header"]["msg_type"] == "execute_reply" {
                break;
            }
        }
        line.times.push(t.elapsed());
    }
    line.print();
    cancel.cancel();
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sim = start(SimOptions::default()).await.unwrap();
        let mut config = kube::Config::new(sim.url().parse().unwrap());
        config.default_namespace = NS.to_string();
        let client = kube::Client::try_from(config).unwrap();
        // The notebook's server up.
        let nb: Api<DynamicObject> = Api::namespaced_with(
            client.clone(),
            NS,
            &kube::api::ApiResource {
                group: "kubeflow.org".into(),
                version: "v1".into(),
                api_version: "kubeflow.org/v1".into(),
                kind: "Notebook".into(),
                plural: "notebooks".into(),
            },
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let o = nb.get(NOTEBOOK).await.unwrap();
            let ready = o.data.pointer("/status/readyReplicas").and_then(Value::as_i64) == Some(1);
            if ready {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "notebook {NOTEBOOK} never became ready"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let n = count();
        println!("| {n} each | p50 | p99 | max |");
        println!("|---|---|---|---|");
        measure("service proxy", client.clone(), n).await;
        sim.set_faults(parse_faults("error=services/proxy:403").unwrap());
        measure("port-forward", client.clone(), n).await;
        sim.shutdown().await;
    });
}
