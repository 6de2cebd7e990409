#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Port-forwards (`F`, `:pf PORT`) against the embedded cluster: a local proxy on 127.0.0.1 to a
//! port of a pod, through the API server's pod proxy, protected as a notebook's connection is
//! (token → cookie, Host and Origin checks); the port picker; and `:pf`, the connections list
//! from any pane.

#[path = "support/app.rs"]
mod app_support;
#[path = "support/notebook.rs"]
mod notebook_support;
#[path = "support/sim.rs"]
mod sim_support;

use std::time::Duration;

use app_support::App;
use kftui::app::connections::{ForwardPort, ForwardTarget, ProxyEvent, Via};
use kftui::app::effect::Effect;
use kftui::app::msg::Msg;
use kftui::app::pane::PaneId;
use kftui::app::picker::PickerKind;
use kftui::app::state::SourceState;
use kftui::kube::resources::inference_service::Readiness;
use kftui::kube::resources::notebook::NotebookStatus;
use notebook_support::{
    assert_refused, header, reached, request, request_with_body, select_showing, set_cookies,
};
use sim_support::NS;
use tokio::net::TcpStream;

const POD: &str = "jupyter-scipy-0";

/// `F` on the ready notebook `jupyter-scipy`: its pod declares one port (8888), forwarded at once.
/// The connection's index in the list and its local port.
async fn forwarded(app: &mut App) -> (usize, u16) {
    select_showing(app, "jupyter-scipy", NotebookStatus::Ready).await;
    let before = app.state.connections.list.len();
    app.press("F");
    app.until("the forward listening", move |s| {
        s.connections.list.get(before).is_some_and(|c| c.port.is_some())
    })
    .await;
    let c = &app.state.connections.list[before];
    (before, c.port.unwrap())
}

/// Opens the forward's URL as a browser does: 303 to `/` with the cookie; the cookie pair.
async fn open(app: &App, i: usize) -> (u16, String, String) {
    let c = &app.state.connections.list[i];
    let (port, token) = (c.port.unwrap(), c.token.clone().unwrap());
    let url = c.url().unwrap();
    assert_eq!(
        url,
        format!("http://127.0.0.1:{port}/?kftui-token={}", token.reveal())
    );
    let (code, head, _) = request(
        port,
        &format!(
            "GET /?kftui-token={} HTTP/1.1\r\nHost: 127.0.0.1:{port}",
            token.reveal()
        ),
    )
    .await;
    assert_eq!(code, 303, "{head}");
    assert_eq!(header(&head, "location"), Some("/"), "{head}");
    let set = set_cookies(&head);
    assert_eq!(set.len(), 1, "{head}");
    let (path, pair, whole) = &set[0];
    assert_eq!(path, "/", "the whole port serves the one pod");
    assert_eq!(pair, &format!("kftui-token-{port}={}", token.reveal()));
    assert!(
        whole.contains("HttpOnly") && whole.contains("SameSite=Strict"),
        "{whole}"
    );
    (port, token.reveal().to_string(), pair.clone())
}

#[tokio::test]
async fn f_forwards_the_notebook_pods_port_through_the_pod_proxy_with_the_token() {
    let mut app = App::start().await;
    let (i, port) = forwarded(&mut app).await;
    let c = app.state.connections.list[i].clone();
    assert_eq!(c.target(), format!("pod/{POD}:8888"));
    assert_eq!(c.via, Some(Via::PodProxy));
    let url = c.url().unwrap();
    assert!(
        app.effects.contains(&Effect::Copy(url.clone())),
        "the URL goes to the clipboard"
    );
    assert!(app.screen_has(&url), "{}", app.screen().join("\n"));

    let (port2, _, cookie) = open(&app, i).await;
    assert_eq!(port, port2);
    let status = format!("/notebook/{NS}/jupyter-scipy/api/status");
    let (code, _, body) = request(
        port,
        &format!("GET {status} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}"),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"kernels\""), "the pod's own answer: {body}");
    // The API server's rewritten links lead back through the local proxy.
    let (code, _, page) = request(
        port,
        &format!(
            "GET /notebook/{NS}/jupyter-scipy/lab HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}"
        ),
    )
    .await;
    assert_eq!(code, 200, "{page}");
    let script = page
        .split('"')
        .find(|s| s.ends_with("main.js"))
        .unwrap_or_else(|| panic!("a script: {page}"));
    assert!(
        script.starts_with(&format!("/api/v1/namespaces/{NS}/pods/{POD}:8888/proxy/")),
        "{script}"
    );
    let (code, _, js) = request(
        port,
        &format!("GET {script} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}"),
    )
    .await;
    assert_eq!(code, 200, "{js}");
    assert!(js.contains("lab ready"), "{js}");

    // Nothing of kftui's reached the pod.
    for r in reached(&app, "jupyter-scipy") {
        assert!(!r.cookie.contains("kftui-token"), "{r:?}");
        assert!(!r.query.iter().any(|(k, _)| k == "kftui-token"), "{r:?}");
    }

    // F again: the same forward, its URL copied again rather than a second proxy.
    app.press("F");
    app.until("the lookup answered", |s| s.connections.lookup.is_none())
        .await;
    assert_eq!(app.state.connections.list.len(), i + 1);
    assert!(
        app.state
            .notice
            .as_ref()
            .is_some_and(|n| n.text.contains("is at") && n.text.contains(&url)),
        "{:?}",
        app.state.notice
    );

    // Closed from the list: the port stops accepting.
    app.command("pf");
    assert!(app.state.connections.open);
    app.press("D");
    assert!(app.state.connections.list.is_empty());
    let mut refused = false;
    for _ in 0..50 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "the closed forward's port stops accepting");
}

#[tokio::test]
async fn without_the_token_or_from_a_foreign_host_or_origin_nothing_reaches_the_pod() {
    let mut app = App::start().await;
    let (i, port) = forwarded(&mut app).await;
    let (_, token, cookie) = open(&app, i).await;
    let before = reached(&app, "jupyter-scipy").len();
    let host = format!("Host: 127.0.0.1:{port}");
    let status = format!("/notebook/{NS}/jupyter-scipy/api/status");
    let kernels = format!("/notebook/{NS}/jupyter-scipy/api/kernels");
    let attempts = [
        // No token, a guessed one, an empty one, another port's cookie, a wrong cookie.
        format!("GET / HTTP/1.1\r\n{host}"),
        format!("GET {status} HTTP/1.1\r\n{host}"),
        format!("POST {kernels} HTTP/1.1\r\n{host}\r\nContent-Length: 0"),
        format!("GET {status}?kftui-token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA HTTP/1.1\r\n{host}"),
        format!("GET {status}?kftui-token= HTTP/1.1\r\n{host}"),
        format!("GET {status} HTTP/1.1\r\n{host}\r\nCookie: kftui-token-1={token}"),
        format!("GET {status} HTTP/1.1\r\n{host}\r\nCookie: kftui-token-{port}=wrong"),
        // DNS rebinding: the attacker's host name, with the cookie or the token.
        format!("GET {status} HTTP/1.1\r\nHost: evil.example:{port}\r\nCookie: {cookie}"),
        format!("GET {status}?kftui-token={token} HTTP/1.1\r\nHost: evil.example:{port}"),
        format!("GET {status} HTTP/1.1\r\nHost: 127.0.0.2:{port}\r\nCookie: {cookie}"),
        format!("GET {status} HTTP/1.0\r\nCookie: {cookie}"),
        // Cross-site WebSocket hijacking: a page elsewhere, with the browser's cookie.
        format!(
            "GET {kernels}/x/channels HTTP/1.1\r\n{host}\r\nCookie: {cookie}\r\nOrigin: http://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="
        ),
    ];
    assert_refused(port, &attempts).await;
    assert_eq!(
        reached(&app, "jupyter-scipy").len(),
        before,
        "no refused request reached the pod"
    );
    let n = attempts.len() as u64;
    app.until("the refusals counted", move |s| {
        s.connections.list[i].refused == n
    })
    .await;

    // Over `ssh -L`, localhost is the proxy too.
    let (code, _, body) = request(
        port,
        &format!("GET {status} HTTP/1.1\r\nHost: localhost:{port}\r\nCookie: {cookie}"),
    )
    .await;
    assert_eq!(code, 200, "{body}");

    // `:pf` from the Runs pane: the list, the forward and its refusals in it.
    app.press("2");
    app.command("pf");
    assert_eq!(app.state.pane, PaneId::Runs);
    assert!(app.state.connections.open, "{:?}", app.state.notice);
    let screen = app.screen().join("\n");
    assert!(screen.contains(&format!("pod/{POD}:8888")), "{screen}");
    assert!(screen.contains(&format!("{n} refused")), "{screen}");
    assert!(
        screen.contains(&format!("via pod proxy, in namespace {NS}")),
        "{screen}"
    );
}

#[tokio::test]
async fn where_the_pod_proxy_is_forbidden_a_forward_port_forwards_to_the_pod() {
    let mut app = App::start().await;
    app.sim
        .set_faults(kftui::sim::parse_faults("error=pods/proxy:403").unwrap());
    let (i, port) = forwarded(&mut app).await;
    assert_eq!(
        app.state.connections.list[i].via,
        Some(Via::PortForward {
            pod: POD.into(),
            port: 8888
        })
    );
    let (_, _, cookie) = open(&app, i).await;
    let (code, _, body) = request(
        port,
        &format!(
            "GET /notebook/{NS}/jupyter-scipy/api/status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}"
        ),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"kernels\""), "{body}");
}

#[tokio::test]
async fn f_on_a_model_forwards_its_predictor_pod() {
    let mut app = App::start().await;
    app.press("5");
    app.until("a model that serves", |s| {
        s.models.source == SourceState::Live
            && s.models
                .rows
                .iter()
                .any(|r| r.name == "sklearn-iris" && r.ready == Readiness::Ready)
    })
    .await;
    app.press("/");
    app.type_text("sklearn-iris");
    app.press("enter");
    let c = forward_predictor(&mut app).await;
    let port = c.port.unwrap();
    let token = c.token.clone().unwrap();
    let (code, _, body) = request(
        port,
        &format!(
            "GET /v1/models/sklearn-iris?kftui-token={} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: curl/8",
            token.reveal()
        ),
    )
    .await;
    // A page load trades the token for a cookie first; a script posts with it.
    assert_eq!(code, 303, "{body}");
    let json = r#"{"instances": [[1, 2, 3, 4]]}"#;
    let (code, body) = post(
        port,
        &format!("/v1/models/sklearn-iris:predict?kftui-token={}", token.reveal()),
        json,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("predictions"), "{body}");
}

/// A JSON POST, as a script sends it: the status code and the body.
async fn post(port: u16, path: &str, json: &str) -> (u16, String) {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}",
        json.len()
    );
    let (code, _, body) = request_with_body(port, &head, json).await;
    (code, body)
}

/// `F` on the selected row (the sklearn-iris model, or its predictor pod): the forward, once
/// listening, to the predictor pod's port 8080.
async fn forward_predictor(app: &mut App) -> kftui::app::connections::Connection {
    app.press("F");
    app.until("the forward listening", |s| {
        s.connections.list.first().is_some_and(|c| c.port.is_some())
    })
    .await;
    let c = app.state.connections.list[0].clone();
    assert!(
        c.target().starts_with("pod/sklearn-iris-predictor-") && c.target().ends_with(":8080"),
        "{}",
        c.target()
    );
    c
}

/// The lookup `F` or `:pf PORT` sent, answered by hand.
fn answer(app: &mut App, port: Option<u16>, ports: Vec<ForwardPort>) {
    let (request, _) = app.state.connections.lookup.clone().expect("a lookup");
    let effect = app.effects.iter().rev().find_map(|e| match e {
        Effect::ForwardPorts { request: r, port, .. } if *r == request => Some(*port),
        _ => None,
    });
    assert_eq!(effect, Some(port), "{:?}", app.effects);
    app.send(Msg::Proxy(ProxyEvent::Ports {
        request,
        port,
        result: Ok((ForwardTarget::pod(NS, POD), ports)),
    }));
}

fn declared(port: u16, name: &str) -> ForwardPort {
    ForwardPort {
        port,
        name: Some(name.into()),
        protocol: Some("TCP".into()),
        container: Some("jupyter-scipy".into()),
    }
}

#[tokio::test]
async fn several_ports_open_a_picker_none_says_how_and_pf_port_takes_a_number() {
    let mut app = App::start().await;
    select_showing(&mut app, "jupyter-scipy", NotebookStatus::Ready).await;

    // Several ports: a picker; the chosen one is forwarded.
    app.press("F");
    answer(
        &mut app,
        None,
        vec![declared(8888, "notebook-port"), declared(6006, "tensorboard")],
    );
    let picker = app.state.picker.as_ref().expect("a port picker");
    assert_eq!(picker.kind, PickerKind::ForwardPort);
    assert_eq!(picker.items.len(), 2);
    assert!(
        app.screen_has("6006 (tensorboard)"),
        "{}",
        app.screen().join("\n")
    );
    app.press("down");
    app.press("enter");
    assert!(app.state.picker.is_none());
    let forward = app.effects.iter().rev().find_map(|e| match e {
        Effect::Forward { forward, .. } => Some(forward.clone()),
        _ => None,
    });
    assert_eq!(forward.map(|f| f.label()), Some(format!("pod/{POD}:6006")));

    // A number typed in the picker is forwarded too, though not declared.
    app.press("F");
    answer(
        &mut app,
        None,
        vec![declared(8888, "notebook-port"), declared(6006, "tensorboard")],
    );
    app.type_text("7000");
    app.press("enter");
    assert!(
        app.state
            .connections
            .list
            .iter()
            .any(|c| c.target() == format!("pod/{POD}:7000")),
        "{:?}",
        app.state.connections.list
    );

    // None declared: a notice says how to forward one anyway.
    app.press("F");
    answer(&mut app, None, Vec::new());
    assert!(app.state.picker.is_none());
    let notice = app.state.notice.clone().unwrap();
    assert_eq!(
        notice.text,
        format!("pod/{POD} declares no ports; `:pf PORT` forwards one by number")
    );

    // `:pf PORT` on the selection: that port, without a picker.
    app.command("pf 9000");
    answer(&mut app, Some(9000), Vec::new());
    assert!(app.state.picker.is_none());
    assert!(
        app.state
            .connections
            .list
            .iter()
            .any(|c| c.target() == format!("pod/{POD}:9000")),
        "{:?}",
        app.state.connections.list
    );
    app.command("pf http");
    assert!(
        app.state
            .notice
            .as_ref()
            .is_some_and(|n| n.text.contains("port-forward takes a port")),
        "{:?}",
        app.state.notice
    );
}

#[tokio::test]
async fn pf_opens_the_connections_list_from_the_runs_pane() {
    let mut app = App::start().await;
    app.press("2");
    assert_eq!(app.state.pane, PaneId::Runs);
    app.command("pf");
    assert!(app.state.connections.open, "{:?}", app.state.notice);
    assert!(app.screen_has("Connections (0)"), "{}", app.screen().join("\n"));
    app.press("esc");
    assert!(!app.state.connections.open);
    assert_eq!(app.state.pane, PaneId::Runs);
    // F means nothing in the Runs pane; `:pf PORT` says where it works.
    app.command("pf 8080");
    assert!(
        app.state
            .notice
            .as_ref()
            .is_some_and(|n| n.text.contains("not here") || n.text.contains("port-forward works")),
        "{:?}",
        app.state.notice
    );
}

#[tokio::test]
async fn port_forward_reaches_a_service_port_by_the_service_proxy() {
    let mut app = App::start().await;
    select_showing(&mut app, "jupyter-scipy", NotebookStatus::Ready).await;
    // The entry point other panes call: the Service's ports looked up, its one port forwarded.
    let mut effects = Vec::new();
    kftui::app::connections::port_forward(
        &mut app.state,
        ForwardTarget::service(NS, "jupyter-scipy"),
        None,
        &mut effects,
    );
    for e in effects {
        app.effects.push(e.clone());
        app.runner.run(e);
    }
    app.until("the forward listening", |s| {
        s.connections.list.first().is_some_and(|c| c.port.is_some())
    })
    .await;
    let c = app.state.connections.list[0].clone();
    assert_eq!(c.target(), "svc/jupyter-scipy:80");
    assert_eq!(c.via, Some(Via::ServiceProxy));
    let (port, _, cookie) = open(&app, 0).await;
    let (code, _, body) = request(
        port,
        &format!(
            "GET /notebook/{NS}/jupyter-scipy/api/status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}"
        ),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"kernels\""), "{body}");
    app.command("pf");
    let screen = app.screen().join("\n");
    assert!(screen.contains("svc/jupyter-scipy:80"), "{screen}");
    assert!(screen.contains("via service proxy"), "{screen}");
}

#[tokio::test]
async fn f_in_the_resource_view_forwards_the_selected_pod() {
    let mut app = App::start().await;
    app.press(":");
    app.type_text("pods");
    app.press("enter");
    app.until("the model's predictor pod", |s| {
        s.cluster
            .list
            .rows
            .iter()
            .any(|r| r.name.starts_with("sklearn-iris-predictor-") && &*r.status == "Running")
    })
    .await;
    app.press("/");
    app.type_text("sklearn-iris-predictor");
    app.press("enter");
    let c = forward_predictor(&mut app).await;
    let port = c.port.unwrap();
    let json = r#"{"instances": [[1, 2, 3, 4]]}"#;
    let (code, body) = post(
        port,
        &format!(
            "/v1/models/sklearn-iris:predict?kftui-token={}",
            c.token.clone().unwrap().reveal()
        ),
        json,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    // On a kind with no ports to forward, F says so.
    app.press(":");
    app.type_text("cm");
    app.press("enter");
    app.until("the config maps", |s| !s.cluster.list.rows.is_empty())
        .await;
    assert!(
        !kftui::app::views::footer(&app.state, &app.keymap)
            .iter()
            .any(|(_, l)| l.contains("forward")),
        "no forward offered on config maps"
    );
}
