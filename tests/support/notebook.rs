//! A browser's side of a notebook connection, for flow tests against the embedded cluster: plain
//! HTTP/1.1 over TCP, the cookies the proxy sets, the kernel's WebSocket.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use kftui::kube::resources::notebook::NotebookStatus;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::app_support::App;
use crate::sim_support::NS;
use kftui::app::state::SourceState;

/// A plain HTTP/1.1 request on a new connection: `head` is the request line and the headers
/// (without `Connection`); the answer's status code, head and body.
pub async fn request(port: u16, head: &str) -> (u16, String, String) {
    request_with_body(port, head, "").await
}

/// Sends each request and asserts it was refused: 403, a page saying what to do, no cookie.
pub async fn assert_refused(port: u16, attempts: &[String]) {
    for attempt in attempts {
        let (code, head, body) = request(port, attempt).await;
        assert_eq!(code, 403, "{attempt}\n{head}\n{body}");
        assert!(body.contains("kftui showed"), "the page says what to do: {body}");
        assert!(set_cookies(&head).is_empty(), "{head}");
    }
}

/// [`request`] with a body after the head (which says its length).
pub async fn request_with_body(port: u16, head: &str, body: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let req = format!("{head}\r\nConnection: close\r\n\r\n{body}");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut buf))
        .await
        .expect("an answer within a minute")
        .unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (code, head.to_string(), body.to_string())
}

/// A browser's hold on one connection: the cookies the proxy set, each with its `Path`.
pub struct Session {
    pub port: u16,
    pub token: String,
    /// (`Path`, `name=value`).
    pub cookies: Vec<(String, String)>,
}

impl Session {
    /// The `Cookie` header a browser sends for `path` (cookies whose `Path` covers it).
    pub fn cookie_for(&self, path: &str) -> String {
        self.cookies
            .iter()
            .filter(|(p, _)| path.starts_with(p.as_str()))
            .map(|(_, c)| c.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The `Set-Cookie` headers of an answer's head: (`Path`, `name=value`, the whole header).
pub fn set_cookies(head: &str) -> Vec<(String, String, String)> {
    head.lines()
        .filter_map(|l| l.strip_prefix("set-cookie: "))
        .map(|c| {
            let pair = c.split(';').next().unwrap().trim().to_string();
            let path = c
                .split(';')
                .find_map(|a| a.trim().strip_prefix("Path="))
                .unwrap_or_else(|| panic!("a Path: {c}"))
                .to_string();
            (path, pair, c.to_string())
        })
        .collect()
}

pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

/// Opens connection `i`'s URL, with its token, as a browser does: the proxy sets its cookie and
/// sends the browser on to the clean URL.
pub async fn open_url(app: &App, i: usize) -> Session {
    let c = &app.state.connections.list[i];
    let (port, token) = (c.port.unwrap(), c.token.clone().unwrap());
    let url = c.url().unwrap();
    let clean = format!("/notebook/{}/{}/", c.namespace, c.name);
    let path = url.strip_prefix(&format!("http://127.0.0.1:{port}")).unwrap();
    assert_eq!(path, format!("{clean}?kftui-token={}", token.reveal()));
    let (code, head, _) = request(port, &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}")).await;
    assert_eq!(code, 303, "{head}");
    assert_eq!(header(&head, "location"), Some(clean.as_str()), "{head}");
    let cookies: Vec<(String, String)> = set_cookies(&head)
        .into_iter()
        .map(|(path, pair, _)| (path, pair))
        .collect();
    assert!(!cookies.is_empty(), "{head}");
    Session {
        port,
        token: token.reveal().to_string(),
        cookies,
    }
}

/// A GET as a browser holding `session` sends it: the status code, the head and the body.
pub async fn get_full(session: &Session, path: &str) -> (u16, String, String) {
    let port = session.port;
    let cookie = session.cookie_for(path);
    let cookie = if cookie.is_empty() {
        String::new()
    } else {
        format!("\r\nCookie: {cookie}")
    };
    request(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}{cookie}"),
    )
    .await
}

/// A GET as a browser holding `session` sends it: the status code and the body.
pub async fn get(session: &Session, path: &str) -> (u16, String) {
    let (code, _, body) = get_full(session, path).await;
    (code, body)
}

/// The Notebooks pane, listed, with `name` selected through the filter.
pub async fn select_notebook(app: &mut App, name: &str) {
    app.press("4");
    app.until("the notebooks", |s| {
        s.notebooks.source == SourceState::Live && !s.notebooks.rows.is_empty()
    })
    .await;
    app.press("/");
    app.press("ctrl-u");
    app.type_text(name);
    app.press("enter");
    let name = name.to_string();
    app.until("the notebook selected", move |s| {
        s.notebooks.selected_row().is_some_and(|r| r.name == name)
    })
    .await;
}

/// The id of the notebook's kernel, asked of Jupyter through the proxy.
pub async fn kernel_id(session: &Session, notebook: &str) -> String {
    let (code, body) = get(session, &format!("/notebook/{NS}/{notebook}/api/kernels")).await;
    assert_eq!(code, 200, "{body}");
    let kernels: serde_json::Value = serde_json::from_str(&body).unwrap();
    kernels[0]["id"].as_str().unwrap().to_string()
}

pub type Kernel =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the kernel's channels through the proxy, as JupyterLab does (the page's own origin,
/// the connection's cookie).
pub async fn open_kernel(session: &Session, notebook: &str) -> Kernel {
    let port = session.port;
    let origin = format!("http://127.0.0.1:{port}");
    let (ws, res) = kernel_socket(session, notebook, &[("origin", &origin)])
        .await
        .unwrap_or_else(|e| panic!("websocket to the kernel: {e}"));
    assert_eq!(res.status().as_u16(), 101);
    ws
}

pub type Handshake = Result<
    (
        Kernel,
        tokio_tungstenite::tungstenite::handshake::client::Response,
    ),
    tokio_tungstenite::tungstenite::Error,
>;

/// A WebSocket handshake to the notebook's kernel channels through the proxy, with the cookie
/// a browser holding `session` sends and `headers` besides.
pub async fn kernel_socket(session: &Session, notebook: &str, headers: &[(&str, &str)]) -> Handshake {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let id = kernel_id(session, notebook).await;
    let port = session.port;
    let path = format!("/notebook/{NS}/{notebook}/api/kernels/{id}/channels");
    let url = format!("ws://127.0.0.1:{port}{path}?session_id=test");
    let mut req = url.as_str().into_client_request().unwrap();
    let cookie = session.cookie_for(&path);
    if !cookie.is_empty() {
        req.headers_mut().insert("cookie", cookie.parse().unwrap());
    }
    for (k, v) in headers {
        let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes()).unwrap();
        req.headers_mut().insert(name, v.parse().unwrap());
    }
    tokio::time::timeout(Duration::from_secs(30), tokio_tungstenite::connect_async(req))
        .await
        .expect("the handshake within 30 s")
}

/// Runs a cell: the messages the kernel sent back for it, up to its `execute_reply` and the
/// kernel idle again.
pub async fn run_cell(ws: &mut Kernel, code: &str) -> Vec<serde_json::Value> {
    use futures::{SinkExt, StreamExt};
    let msg_id = format!("exec-{code}");
    let request = serde_json::json!({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": "test",
            "username": "test", "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "buffers": [], "channel": "shell",
        "content": {"code": code, "silent": false, "store_history": true,
            "user_expressions": {}, "allow_stdin": false, "stop_on_error": true},
    });
    ws.send(tokio_tungstenite::tungstenite::Message::Text(
        request.to_string().into(),
    ))
    .await
    .unwrap();
    let mut got = Vec::new();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("the kernel answers within 30 s")
            .expect("the socket stays open")
            .unwrap();
        let tokio_tungstenite::tungstenite::Message::Text(t) = frame else {
            continue;
        };
        let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
        assert_eq!(v["parent_header"]["msg_id"], msg_id, "{v}");
        got.push(v);
        let replied = of_type(&got, "execute_reply").is_some();
        let idle = got.iter().any(|m| m["content"]["execution_state"] == "idle");
        if replied && idle {
            return got;
        }
    }
}

pub fn of_type<'a>(msgs: &'a [serde_json::Value], t: &str) -> Option<&'a serde_json::Value> {
    msgs.iter().find(|m| m["header"]["msg_type"] == t)
}

/// `notebook` selected, once it shows `status`.
pub async fn select_showing(app: &mut App, notebook: &str, status: NotebookStatus) {
    select_notebook(app, notebook).await;
    app.until(&format!("{notebook} {status:?}"), move |s| {
        s.notebooks.selected_row().is_some_and(|r| r.status == status)
    })
    .await;
}

/// Connects to `notebook` once it shows `status`; the new connection's port.
pub async fn connect_showing(app: &mut App, notebook: &str, status: NotebookStatus) -> u16 {
    select_showing(app, notebook, status).await;
    let before = app.state.connections.list.len();
    app.press("c");
    app.until("the proxy listening", move |s| {
        s.connections.list.get(before).is_some_and(|c| c.port.is_some())
    })
    .await;
    app.state.connections.list[before].port.unwrap()
}

pub async fn connected(app: &mut App, notebook: &str) -> u16 {
    connect_showing(app, notebook, NotebookStatus::Ready).await
}

/// The requests the notebook `name` has received so far.
pub fn reached(app: &App, name: &str) -> Vec<kftui::sim::NotebookRequest> {
    let notebook = format!("{NS}/{name}");
    app.sim
        .notebook_requests()
        .into_iter()
        .filter(|r| r.notebook == notebook)
        .collect()
}
