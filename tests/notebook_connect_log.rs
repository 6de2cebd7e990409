#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The log of a notebook connection's traffic: private to the user, and never holding the
//! connection's token, at any level, from any crate. One test alone in its binary, as it
//! installs the process's tracing subscriber.

#[path = "support/app.rs"]
mod app_support;
#[path = "support/notebook.rs"]
mod notebook_support;
#[path = "support/sim.rs"]
mod sim_support;

use app_support::App;
use notebook_support::*;
use sim_support::NS;

#[cfg(unix)]
#[tokio::test]
async fn the_token_never_reaches_the_private_log_file() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let state_dir = tmp.path().join("kftui");
    // An older kftui left the folder readable by everyone.
    std::fs::create_dir_all(&state_dir).unwrap();
    std::fs::set_permissions(&state_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The app's own logging, at every level, from every crate; but for this test's WebSocket
    // client, which stands for the browser and prints the requests it sends, cookie and all.
    let filter = tracing_subscriber::EnvFilter::new("trace,tungstenite::handshake::client=off");
    let guard = kftui::logging::init_with(&state_dir, filter).expect("logging starts");
    let log = state_dir.join(kftui::logging::LOG_FILE);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&state_dir), 0o700);
    assert_eq!(mode(&log), 0o600);

    let mut app = App::start().await;
    let port = connected(&mut app, "jupyter-scipy").await;
    let session = open_url(&app, 0).await;
    let token = session.token.clone();
    let (code, _) = get(&session, &format!("/notebook/{NS}/jupyter-scipy/lab")).await;
    assert_eq!(code, 200);
    let status = format!("/notebook/{NS}/jupyter-scipy/api/status");
    let (code, _, _) = request(
        port,
        &format!("GET {status}?kftui-token={token} HTTP/1.1\r\nHost: evil.example"),
    )
    .await;
    assert_eq!(code, 403);
    let (code, _, _) = request(
        port,
        &format!("POST {status}?kftui-token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0"),
    )
    .await;
    assert_eq!(code, 200);
    let mut ws = open_kernel(&session, "jupyter-scipy").await;
    run_cell(&mut ws, "1 + 1").await;
    drop(ws);
    app.until("the requests counted", |s| {
        s.connections.list[0].refused == 1 && s.connections.list[0].requests >= 4
    })
    .await;

    drop(guard);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("refused GET /notebook/") && text.contains("/lab"),
        "the proxy's requests are logged, by path:\n{text}"
    );
    let leaks: Vec<&str> = text.lines().filter(|l| l.contains(&token)).collect();
    assert!(leaks.is_empty(), "the token is in the log:\n{}", leaks.join("\n"));
    assert!(
        !text.contains("kftui-token="),
        "the token's parameter is in the log"
    );
    assert_eq!(mode(&log), 0o600);
}
