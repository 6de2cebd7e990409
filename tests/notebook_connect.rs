#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `connect` on a notebook against the embedded cluster: a local proxy that a plain HTTP client
//! reaches the notebook's Jupyter through, its list, and closing it.

#[path = "support/app.rs"]
mod app_support;
#[path = "support/sim.rs"]
mod sim_support;

use std::time::Duration;

use app_support::App;
use kftui::app::connections::Via;
use kftui::app::effect::Effect;
use kftui::app::state::SourceState;
use kftui::kube::resources::notebook::NotebookStatus;
use sim_support::NS;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A plain HTTP/1.1 GET: the status code, the head (status line and headers) and the body.
async fn get_full(port: u16, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
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

/// A plain HTTP/1.1 GET: the status code and the body.
async fn get(port: u16, path: &str) -> (u16, String) {
    let (code, _, body) = get_full(port, path).await;
    (code, body)
}

/// The Notebooks pane, listed, with `name` selected through the filter.
async fn select_notebook(app: &mut App, name: &str) {
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

#[tokio::test]
async fn connect_serves_the_notebook_locally_until_closed_from_the_list() {
    let mut app = App::start().await;
    let port = connected(&mut app, "jupyter-scipy").await;
    let url = format!("http://127.0.0.1:{port}/notebook/{NS}/jupyter-scipy/");
    assert!(
        app.screen_has(&url),
        "the status line shows the URL:\n{}",
        app.screen().join("\n")
    );
    assert!(
        app.effects.contains(&Effect::Copy(url.clone())),
        "the URL goes to the clipboard"
    );

    let (code, body) = get(port, &format!("/notebook/{NS}/jupyter-scipy/api/status")).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"kernels\""), "Jupyter's status answer: {body}");
    let (code, body) = get(port, &format!("/notebook/{NS}/jupyter-scipy/lab")).await;
    assert_eq!(code, 200);
    assert!(body.contains("<html"), "{body}");

    // Stopped behind the proxy's back: the proxy says so rather than hang.
    app.press("s");
    app.press("y");
    app.until("the notebook stopped", |s| {
        s.notebooks
            .selected_row()
            .is_some_and(|r| r.status == NotebookStatus::Stopped)
    })
    .await;
    let (code, body) = get(port, &format!("/notebook/{NS}/jupyter-scipy/api/status")).await;
    assert!((502..=504).contains(&code), "{code} {body}");
    app.until("three requests counted, with the error", |s| {
        s.connections.list[0].requests == 3 && s.connections.list[0].last_error.is_some()
    })
    .await;

    app.press("C");
    assert!(app.state.connections.open);
    let screen = app.screen().join("\n");
    assert!(screen.contains("Connections (1)"), "{screen}");
    assert!(screen.contains(&format!("{NS}/jupyter-scipy")), "{screen}");
    assert!(screen.contains("3 requests"), "{screen}");
    assert!(screen.contains(&url), "{screen}");
    assert!(screen.contains("last error: "), "{screen}");

    app.press("D");
    assert!(app.state.connections.list.is_empty());
    assert!(app.effects.contains(&Effect::Disconnect { id: 1 }));
    let mut refused = false;
    for _ in 0..50 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "the closed proxy's port stops accepting");
    app.press("esc");
    assert!(!app.state.connections.open);
}

#[tokio::test]
async fn a_stopped_notebook_is_refused_with_a_hint() {
    let mut app = App::start().await;
    select_showing(&mut app, "rstudio-stats", NotebookStatus::Stopped).await;
    app.press("c");
    let notice = app.state.notice.clone().unwrap();
    assert!(notice.text.contains("start it first"), "{notice:?}");
    assert!(app.state.connections.list.is_empty());
    assert!(!app.effects.iter().any(|e| matches!(e, Effect::Connect { .. })));
}

/// The id of the notebook's kernel, asked of Jupyter through the proxy.
async fn kernel_id(port: u16, notebook: &str) -> String {
    let (code, body) = get(port, &format!("/notebook/{NS}/{notebook}/api/kernels")).await;
    assert_eq!(code, 200, "{body}");
    let kernels: serde_json::Value = serde_json::from_str(&body).unwrap();
    kernels[0]["id"].as_str().unwrap().to_string()
}

type Kernel = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the kernel's channels through the proxy, as JupyterLab does.
async fn open_kernel(port: u16, notebook: &str) -> Kernel {
    let id = kernel_id(port, notebook).await;
    let url =
        format!("ws://127.0.0.1:{port}/notebook/{NS}/{notebook}/api/kernels/{id}/channels?session_id=test");
    let (ws, res) = tokio::time::timeout(
        Duration::from_secs(30),
        tokio_tungstenite::connect_async(url.as_str()),
    )
    .await
    .expect("the handshake within 30 s")
    .unwrap_or_else(|e| panic!("websocket to {url}: {e}"));
    assert_eq!(res.status().as_u16(), 101);
    ws
}

/// Runs a cell: the messages the kernel sent back for it, up to its `execute_reply` and the
/// kernel idle again.
async fn run_cell(ws: &mut Kernel, code: &str) -> Vec<serde_json::Value> {
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

fn of_type<'a>(msgs: &'a [serde_json::Value], t: &str) -> Option<&'a serde_json::Value> {
    msgs.iter().find(|m| m["header"]["msg_type"] == t)
}

/// `notebook` selected, once it shows `status`.
async fn select_showing(app: &mut App, notebook: &str, status: NotebookStatus) {
    select_notebook(app, notebook).await;
    app.until(&format!("{notebook} {status:?}"), move |s| {
        s.notebooks.selected_row().is_some_and(|r| r.status == status)
    })
    .await;
}

/// Connects to `notebook` once it shows `status`; the new connection's port.
async fn connect_showing(app: &mut App, notebook: &str, status: NotebookStatus) -> u16 {
    select_showing(app, notebook, status).await;
    let before = app.state.connections.list.len();
    app.press("c");
    app.until("the proxy listening", move |s| {
        s.connections.list.get(before).is_some_and(|c| c.port.is_some())
    })
    .await;
    app.state.connections.list[before].port.unwrap()
}

async fn connected(app: &mut App, notebook: &str) -> u16 {
    connect_showing(app, notebook, NotebookStatus::Ready).await
}

#[tokio::test]
async fn a_kernel_runs_cells_over_a_websocket_through_the_proxy() {
    let mut app = App::start().await;
    let port = connected(&mut app, "jupyter-scipy").await;
    assert_eq!(
        app.state.connections.list[0].via,
        Some(Via::ServiceProxy),
        "the service proxy is the way in where it is allowed"
    );
    let mut ws = open_kernel(port, "jupyter-scipy").await;
    app.until("one socket open", |s| s.connections.list[0].sockets == 1)
        .await;

    let msgs = run_cell(&mut ws, "6 * 7").await;
    let result = of_type(&msgs, "execute_result").expect("a result");
    assert_eq!(result["content"]["data"]["text/plain"], "42");
    assert_eq!(
        of_type(&msgs, "execute_reply").unwrap()["content"]["status"],
        "ok"
    );
    let msgs = run_cell(&mut ws, "undefined_name + 1").await;
    assert_eq!(of_type(&msgs, "error").unwrap()["content"]["ename"], "NameError");
    assert_eq!(
        of_type(&msgs, "execute_reply").unwrap()["content"]["execution_count"],
        2,
        "the same kernel session counts cells"
    );

    app.press("C");
    let screen = app.screen().join("\n");
    assert!(screen.contains("1 socket open"), "{screen}");
    assert!(screen.contains("service proxy"), "{screen}");

    // Closing the connection from the list closes its sockets too.
    app.press("D");
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        use futures::StreamExt;
        loop {
            match ws.next().await {
                None | Some(Err(_)) => return true,
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert_eq!(ended, Ok(true), "the kernel socket ends with the connection");
}

#[tokio::test]
async fn where_the_service_proxy_is_forbidden_connect_port_forwards_to_the_pod() {
    let mut app = App::start().await;
    app.sim
        .set_faults(kftui::sim::parse_faults("error=services/proxy:403").unwrap());
    let port = connected(&mut app, "jupyter-scipy").await;
    assert_eq!(
        app.state.connections.list[0].via,
        Some(Via::PortForward {
            pod: "jupyter-scipy-0".into(),
            port: 8888
        })
    );
    let notice = app.state.notice.clone().unwrap();
    assert!(
        notice.text.contains("port-forward") && notice.text.contains("forbidden"),
        "the status line says why it port-forwards: {notice:?}"
    );
    let (code, body) = get(port, &format!("/notebook/{NS}/jupyter-scipy/api/status")).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"kernels\""), "{body}");
    let (code, body) = get(port, &format!("/notebook/{NS}/jupyter-scipy/lab")).await;
    assert_eq!(code, 200);
    assert!(body.contains("JupyterLab"), "{body}");

    let mut ws = open_kernel(port, "jupyter-scipy").await;
    let msgs = run_cell(&mut ws, "print(2 ** 10)").await;
    let out = of_type(&msgs, "stream").expect("printed output");
    assert_eq!(out["content"]["text"], "1024\n");
    drop(ws);
    app.until("the socket closed", |s| s.connections.list[0].sockets == 0)
        .await;

    app.press("C");
    let screen = app.screen().join("\n");
    assert!(
        screen.contains("port-forward to jupyter-scipy-0:8888"),
        "{screen}"
    );
}

#[tokio::test]
async fn where_both_the_service_proxy_and_port_forward_are_forbidden_connect_says_so() {
    let mut app = App::start().await;
    app.sim
        .set_faults(kftui::sim::parse_faults("error=services/proxy:403,error=pods/portforward:403").unwrap());
    select_showing(&mut app, "jupyter-scipy", NotebookStatus::Ready).await;
    app.press("c");
    app.until("the connection refused", |s| s.connections.list.is_empty())
        .await;
    let notice = app.state.notice.clone().unwrap();
    assert!(
        notice.text.contains("services/proxy") && notice.text.contains("pods/portforward"),
        "both refusals are named: {notice:?}"
    );
}

#[tokio::test]
async fn connecting_to_a_notebook_that_is_not_ready_warns_up_front() {
    let mut app = App::start().await;
    connect_showing(&mut app, "pytorch-gpu", NotebookStatus::Warning).await;
    let notice = app.state.notice.clone().unwrap();
    assert_eq!(notice.level, kftui::app::state::Level::Warn, "{notice:?}");
    assert!(
        notice.text.contains("not ready yet") && notice.text.contains("ImagePullBackOff"),
        "the reason is said before any request fails: {notice:?}"
    );
}

/// A port free on 127.0.0.1 just now.
async fn free_port() -> u16 {
    let l = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn connections_take_the_configured_port_or_the_one_asked_for() {
    let mut app = App::start().await;
    let first = free_port().await;
    app.state.connect_port = Some(first);
    assert_eq!(connected(&mut app, "jupyter-scipy").await, first);
    let (code, _) = get(first, &format!("/notebook/{NS}/jupyter-scipy/api/status")).await;
    assert_eq!(code, 200);

    // The configured port is taken: the next connection takes one above it.
    let second = connected(&mut app, "vscode-dev").await;
    assert!(second > first && second < first + 100, "{first} then {second}");

    // `:connect PORT` wants exactly that port, and says so when it is taken.
    select_notebook(&mut app, "pytorch-gpu").await;
    app.command(&format!("connect {first}"));
    app.until("the connection refused", |s| {
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("cannot connect"))
    })
    .await;
    let notice = app.state.notice.clone().unwrap();
    assert!(notice.text.contains(&format!("127.0.0.1:{first}")), "{notice:?}");
    assert_eq!(app.state.connections.list.len(), 2);
    let exact = free_port().await;
    app.command(&format!("connect {exact}"));
    app.until("listening on the port asked for", |s| {
        s.connections.list.iter().any(|c| c.port == Some(exact))
    })
    .await;
    app.command(&format!("connect {}", exact + 1));
    assert!(
        app.state
            .notice
            .as_ref()
            .is_some_and(|n| n.text.contains("already at") && n.text.contains(&exact.to_string())),
        "{:?}",
        app.state.notice
    );
    app.command("connect http");
    assert!(
        app.state
            .notice
            .as_ref()
            .is_some_and(|n| n.text.contains("connect takes a port")),
        "{:?}",
        app.state.notice
    );

    // `:new` is the pane's own verb: here, a new notebook.
    app.press("esc");
    app.command("new");
    assert!(app.state.notebook_form.is_some(), "{:?}", app.state.notice);
}

#[tokio::test]
async fn describing_a_failing_notebook_shows_its_pods_events() {
    let mut app = App::start().await;
    select_showing(&mut app, "pytorch-gpu", NotebookStatus::Warning).await;
    app.press("d");
    app.until("the description", |s| {
        s.viewer
            .as_ref()
            .is_some_and(|v| matches!(&v.body, kftui::app::viewer::ViewBody::Text(_)))
    })
    .await;
    let kftui::app::viewer::ViewBody::Text(lines) = &app.state.viewer.as_ref().unwrap().body else {
        unreachable!()
    };
    let text = lines.join("\n");
    assert!(
        text.contains("pod/pytorch-gpu-0: Failed to pull image"),
        "the pod's kubelet event is there, naming the pod:\n{text}"
    );
    assert!(
        text.contains("BackOff") && text.contains("notebook-controller"),
        "the notebook's own event too:\n{text}"
    );
}

#[tokio::test]
async fn jupyterlab_loads_through_the_proxy_though_the_api_server_rewrites_its_links() {
    let mut app = App::start().await;
    let port = connected(&mut app, "jupyter-scipy").await;
    let prefix = format!("/notebook/{NS}/jupyter-scipy");

    // Jupyter redirects to the lab; the API server points the redirect at itself; the browser
    // is sent on to the lab on the local proxy.
    let (code, head, _) = get_full(port, &format!("{prefix}/")).await;
    assert_eq!(code, 302, "{head}");
    let location = head
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap_or_else(|| panic!("a Location: {head}"));
    assert_eq!(location, format!("{prefix}/lab"));

    // The page's links were rewritten by the API server to go through itself; followed on the
    // local proxy, they reach the notebook.
    let (code, page) = get(port, location).await;
    assert_eq!(code, 200);
    let links: Vec<&str> = page
        .split(['"'])
        .filter(|s| s.starts_with("/api/v1/namespaces/"))
        .collect();
    assert_eq!(links.len(), 2, "the script and the stylesheet, rewritten: {page}");
    for link in links {
        let (code, body) = get(port, link).await;
        assert_eq!(code, 200, "{link}: {body}");
        assert!(!body.is_empty(), "{link}");
    }
    let script = page.split('"').find(|s| s.ends_with("main.js")).unwrap();
    let (_, js) = get(port, script).await;
    assert!(js.contains("lab ready"), "{js}");
}
