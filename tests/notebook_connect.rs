#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `connect` on a notebook against the embedded cluster: a local proxy that a plain HTTP client
//! reaches the notebook's Jupyter through, its list, and closing it.

#[path = "support/app.rs"]
mod app_support;
#[path = "support/sim.rs"]
mod sim_support;

use std::time::Duration;

use app_support::App;
use kftui::app::effect::Effect;
use kftui::app::state::SourceState;
use kftui::kube::resources::notebook::NotebookStatus;
use sim_support::NS;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A plain HTTP/1.1 GET: the status code and the body.
async fn get(port: u16, path: &str) -> (u16, String) {
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
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
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
    app.type_text(name);
    app.press("enter");
    let name = name.to_string();
    app.until("the notebook selected", move |s| {
        s.notebooks.selected_row().is_some_and(|r| r.name == name)
    })
    .await;
}

fn port(app: &App) -> Option<u16> {
    app.state.connections.list.first().and_then(|c| c.port)
}

#[tokio::test]
async fn connect_serves_the_notebook_locally_until_closed_from_the_list() {
    let mut app = App::start().await;
    select_notebook(&mut app, "jupyter-scipy").await;
    app.until("the notebook ready", |s| {
        s.notebooks
            .selected_row()
            .is_some_and(|r| r.status == NotebookStatus::Ready)
    })
    .await;
    app.press("c");
    app.until("the proxy listening", |s| {
        s.connections.list.first().is_some_and(|c| c.port.is_some())
    })
    .await;
    let port = port(&app).unwrap();
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
    select_notebook(&mut app, "rstudio-stats").await;
    app.until("the notebook stopped", |s| {
        s.notebooks
            .selected_row()
            .is_some_and(|r| r.status == NotebookStatus::Stopped)
    })
    .await;
    app.press("c");
    let notice = app.state.notice.clone().unwrap();
    assert!(notice.text.contains("start it first"), "{notice:?}");
    assert!(app.state.connections.list.is_empty());
    assert!(!app.effects.iter().any(|e| matches!(e, Effect::Connect { .. })));
}
