#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `connect` on a notebook against the embedded cluster: a local proxy that a plain HTTP client
//! reaches the notebook's Jupyter through (with the connection's token, and only so), its list,
//! and closing it.

#[path = "support/app.rs"]
mod app_support;
#[path = "support/notebook.rs"]
mod notebook_support;
#[path = "support/sim.rs"]
mod sim_support;

use std::time::Duration;

use app_support::App;
use kftui::app::connections::Via;
use kftui::app::effect::Effect;
use kftui::kube::resources::notebook::NotebookStatus;
use notebook_support::*;
use sim_support::NS;
use tokio::net::TcpStream;

#[tokio::test]
async fn connect_serves_the_notebook_locally_until_closed_from_the_list() {
    let mut app = App::start().await;
    let port = connected(&mut app, "jupyter-scipy").await;
    let url = app.state.connections.list[0].url().unwrap();
    assert!(
        url.starts_with(&format!(
            "http://127.0.0.1:{port}/notebook/{NS}/jupyter-scipy/?kftui-token="
        )),
        "{url}"
    );
    assert!(
        app.screen_has(&url),
        "the status line shows the URL:\n{}",
        app.screen().join("\n")
    );
    assert!(
        app.effects.contains(&Effect::Copy(url.clone())),
        "the URL goes to the clipboard"
    );

    let session = open_url(&app, 0).await;
    let (code, body) = get(&session, &format!("/notebook/{NS}/jupyter-scipy/api/status")).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"kernels\""), "Jupyter's status answer: {body}");
    let (code, body) = get(&session, &format!("/notebook/{NS}/jupyter-scipy/lab")).await;
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
    let (code, body) = get(&session, &format!("/notebook/{NS}/jupyter-scipy/api/status")).await;
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

#[tokio::test]
async fn a_kernel_runs_cells_over_a_websocket_through_the_proxy() {
    let mut app = App::start().await;
    connected(&mut app, "jupyter-scipy").await;
    assert_eq!(
        app.state.connections.list[0].via,
        Some(Via::ServiceProxy),
        "the service proxy is the way in where it is allowed"
    );
    let session = open_url(&app, 0).await;
    let mut ws = open_kernel(&session, "jupyter-scipy").await;
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
    connected(&mut app, "jupyter-scipy").await;
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
    let session = open_url(&app, 0).await;
    let (code, body) = get(&session, &format!("/notebook/{NS}/jupyter-scipy/api/status")).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"kernels\""), "{body}");
    let (code, body) = get(&session, &format!("/notebook/{NS}/jupyter-scipy/lab")).await;
    assert_eq!(code, 200);
    assert!(body.contains("JupyterLab"), "{body}");

    let mut ws = open_kernel(&session, "jupyter-scipy").await;
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
    let session = open_url(&app, 0).await;
    let (code, _) = get(&session, &format!("/notebook/{NS}/jupyter-scipy/api/status")).await;
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
    connected(&mut app, "jupyter-scipy").await;
    let session = open_url(&app, 0).await;
    let prefix = format!("/notebook/{NS}/jupyter-scipy");

    // Jupyter redirects to the lab; the API server points the redirect at itself; the browser
    // is sent on to the lab on the local proxy.
    let (code, head, _) = get_full(&session, &format!("{prefix}/")).await;
    assert_eq!(code, 302, "{head}");
    let location = head
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap_or_else(|| panic!("a Location: {head}"));
    assert_eq!(location, format!("{prefix}/lab"));

    // The page's links were rewritten by the API server to go through itself; followed on the
    // local proxy, they reach the notebook.
    let (code, page) = get(&session, location).await;
    assert_eq!(code, 200);
    let links: Vec<&str> = page
        .split(['"'])
        .filter(|s| s.starts_with("/api/v1/namespaces/"))
        .collect();
    assert_eq!(links.len(), 2, "the script and the stylesheet, rewritten: {page}");
    // Their path is the API server's: the cookie covers it too, as a browser sends it.
    for link in links {
        assert!(!session.cookie_for(link).is_empty(), "{link}");
        let (code, body) = get(&session, link).await;
        assert_eq!(code, 200, "{link}: {body}");
        assert!(!body.is_empty(), "{link}");
    }
    let script = page.split('"').find(|s| s.ends_with("main.js")).unwrap();
    let (_, js) = get(&session, script).await;
    assert!(js.contains("lab ready"), "{js}");
}

#[tokio::test]
async fn without_the_token_nothing_reaches_the_notebook() {
    let mut app = App::start().await;
    let port = connected(&mut app, "jupyter-scipy").await;
    let before = reached(&app, "jupyter-scipy").len();
    let host = format!("Host: 127.0.0.1:{port}");
    let lab = format!("/notebook/{NS}/jupyter-scipy/lab");
    let kernels = format!("/notebook/{NS}/jupyter-scipy/api/kernels");
    let attempts = [
        // As another user on the host would: the URL without its token.
        format!("GET /notebook/{NS}/jupyter-scipy/ HTTP/1.1\r\n{host}"),
        format!("GET {kernels} HTTP/1.1\r\n{host}"),
        format!("POST {kernels} HTTP/1.1\r\n{host}\r\nContent-Length: 0"),
        // A guessed token, an empty one, a cookie of another port, a wrong cookie.
        format!("GET {lab}?kftui-token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA HTTP/1.1\r\n{host}"),
        format!("GET {lab}?kftui-token= HTTP/1.1\r\n{host}"),
        format!(
            "GET {lab} HTTP/1.1\r\n{host}\r\nCookie: kftui-token-1={}",
            app.state.connections.list[0].token.clone().unwrap().reveal()
        ),
        format!("GET {lab} HTTP/1.1\r\n{host}\r\nCookie: kftui-token-{port}=wrong"),
        // A kernel's socket without the token.
        format!(
            "GET {kernels}/x/channels HTTP/1.1\r\n{host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="
        ),
    ];
    assert_refused(port, &attempts).await;
    assert_eq!(
        reached(&app, "jupyter-scipy").len(),
        before,
        "no refused request reached the notebook"
    );
    let n = attempts.len() as u64;
    app.until("the refusals counted", move |s| {
        s.connections.list[0].refused == n
    })
    .await;
    assert_eq!(app.state.connections.list[0].requests, 0);
    app.press("C");
    let screen = app.screen().join("\n");
    assert!(screen.contains(&format!("{n} refused")), "{screen}");
    assert!(screen.contains("last refused: "), "{screen}");
}

#[tokio::test]
async fn the_token_opens_jupyterlab_and_a_kernel_but_never_reaches_the_cluster() {
    let mut app = App::start().await;
    let port = connected(&mut app, "jupyter-scipy").await;
    let token = app.state.connections.list[0].token.clone().unwrap();
    let token = token.reveal().to_string();
    assert!(token.len() >= 22, "at least 128 bits: {token}");

    // The copied URL: a cookie for the notebook's path, and on to the clean URL.
    let session = open_url(&app, 0).await;
    let (code, head, _) = request(
        port,
        &format!("GET /notebook/{NS}/jupyter-scipy/?kftui-token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}"),
    )
    .await;
    assert_eq!(code, 303, "{head}");
    let set = set_cookies(&head);
    let (path, pair, whole) = &set[0];
    assert_eq!(path, &format!("/notebook/{NS}/jupyter-scipy/"));
    assert_eq!(pair, &format!("kftui-token-{port}={token}"));
    assert!(
        whole.contains("HttpOnly") && whole.contains("SameSite=Strict"),
        "{whole}"
    );

    // Other query parameters stay.
    let (code, head, _) = request(
        port,
        &format!("GET /notebook/{NS}/jupyter-scipy/lab?reset&kftui-token={token}&x=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}"),
    )
    .await;
    assert_eq!(code, 303, "{head}");
    assert_eq!(
        header(&head, "location"),
        Some(format!("/notebook/{NS}/jupyter-scipy/lab?reset&x=1").as_str())
    );

    // With the cookie, JupyterLab loads.
    let (code, head, _) = get_full(&session, &format!("/notebook/{NS}/jupyter-scipy/")).await;
    assert_eq!(code, 302, "Jupyter's own redirect to the lab: {head}");
    let lab = header(&head, "location").unwrap().to_string();
    let (code, page) = get(&session, &lab).await;
    assert_eq!(code, 200);
    assert!(page.contains("JupyterLab"), "{page}");

    // The notebook's own cookies pass; kftui's do not.
    let (code, _, _) = request(
        port,
        &format!(
            "GET /notebook/{NS}/jupyter-scipy/api/status?kftui-token={token}&probe=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: _xsrf=abc; {}",
            session.cookie_for(&lab)
        ),
    )
    .await;
    assert_eq!(
        code, 303,
        "a browser with the token in the URL is sent to the clean URL"
    );
    let (code, _, _) = request(
        port,
        &format!(
            "POST /notebook/{NS}/jupyter-scipy/api/status?kftui-token={token}&probe=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nCookie: _xsrf=abc; {}",
            session.cookie_for(&lab)
        ),
    )
    .await;
    assert_eq!(
        code, 200,
        "a request that is not a page load is forwarded, the token taken out"
    );

    // A kernel runs a cell through the WebSocket, the cookie its key.
    let mut ws = open_kernel(&session, "jupyter-scipy").await;
    let msgs = run_cell(&mut ws, "6 * 7").await;
    let result = of_type(&msgs, "execute_result").expect("a result");
    assert_eq!(result["content"]["data"]["text/plain"], "42");
    drop(ws);

    let seen = reached(&app, "jupyter-scipy");
    let probe = seen
        .iter()
        .find(|r| r.query.iter().any(|(k, _)| k == "probe"))
        .expect("the probe reached Jupyter");
    assert_eq!(probe.method, "POST");
    assert_eq!(probe.cookie, "_xsrf=abc", "other cookies pass, kftui's do not");
    assert!(seen.iter().any(|r| r.path.ends_with("/channels")), "{seen:?}");
    assert!(seen.iter().any(|r| r.path.ends_with("/lab")), "{seen:?}");
    for r in &seen {
        assert!(
            !r.query
                .iter()
                .any(|(k, v)| k == "kftui-token" || v.contains(&token)),
            "the token reached the cluster: {r:?}"
        );
        assert!(
            !r.cookie.contains("kftui-token") && !r.cookie.contains(&token),
            "the cookie reached the cluster: {r:?}"
        );
    }
    app.until("no refusals", |s| s.connections.list[0].requests >= 5)
        .await;
    assert_eq!(app.state.connections.list[0].refused, 0);
}

#[tokio::test]
async fn a_foreign_host_or_origin_is_refused_and_localhost_is_not() {
    let mut app = App::start().await;
    connected(&mut app, "jupyter-scipy").await;
    let session = open_url(&app, 0).await;
    let port = session.port;
    let status = format!("/notebook/{NS}/jupyter-scipy/api/status");
    let cookie = session.cookie_for(&status);
    let token = session.token.clone();
    let before = reached(&app, "jupyter-scipy").len();

    // DNS rebinding: the browser names the attacker's host, with the cookie or the token.
    for attempt in [
        format!("GET {status} HTTP/1.1\r\nHost: evil.example:{port}\r\nCookie: {cookie}"),
        format!("GET {status} HTTP/1.1\r\nHost: evil.example\r\nCookie: {cookie}"),
        format!("GET {status}?kftui-token={token} HTTP/1.1\r\nHost: evil.example:{port}"),
        format!("GET {status} HTTP/1.1\r\nHost: 127.0.0.2:{port}\r\nCookie: {cookie}"),
        format!("GET {status} HTTP/1.0\r\nCookie: {cookie}"),
    ] {
        let (code, head, _) = request(port, &attempt).await;
        assert_eq!(code, 403, "{attempt}\n{head}");
    }
    // Cross-site WebSocket hijacking: a page elsewhere opens the kernel's socket.
    for origin in [
        "http://evil.example",
        "null",
        &format!("http://evil.example:{port}"),
    ] {
        match kernel_socket(&session, "jupyter-scipy", &[("origin", origin)]).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                assert_eq!(res.status().as_u16(), 403, "{origin}");
            }
            Err(e) => panic!("{origin}: {e}"),
            Ok(_) => panic!("a socket from {origin} opened"),
        }
    }
    let refused_reached: Vec<_> = reached(&app, "jupyter-scipy")
        .into_iter()
        .skip(before)
        .filter(|r| !r.path.ends_with("/api/kernels"))
        .collect();
    assert!(refused_reached.is_empty(), "{refused_reached:?}");
    app.until("the refusals counted", |s| s.connections.list[0].refused == 8)
        .await;

    // Over `ssh -L PORT:127.0.0.1:PORT`, the laptop's browser names localhost or 127.0.0.1.
    let (code, head, _) = request(
        port,
        &format!("GET /notebook/{NS}/jupyter-scipy/?kftui-token={token} HTTP/1.1\r\nHost: localhost:{port}"),
    )
    .await;
    assert_eq!(code, 303, "{head}");
    let (code, _, body) = request(
        port,
        &format!("GET {status} HTTP/1.1\r\nHost: localhost:{port}\r\nCookie: {cookie}"),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let localhost = format!("http://localhost:{port}");
    let (_, res) = kernel_socket(&session, "jupyter-scipy", &[("origin", localhost.as_str())])
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 101);
    // A client that sends no Origin (a script, not a browser) is judged by the cookie alone.
    let (_, res) = kernel_socket(&session, "jupyter-scipy", &[]).await.unwrap();
    assert_eq!(res.status().as_u16(), 101);
}
