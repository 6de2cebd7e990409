//! Pod log streaming (`kftui::kube::logs`) against the embedded cluster over real HTTP: a running
//! pod's lines arrive; a scripted pod waits, streams (hostile bytes neutralised) and ends; a
//! stream cut again and again by a proxy, and one cancelled and resumed, deliver every line once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/sim.rs"]
mod simsupport;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kftui::kube::logs::{LogTarget, StreamEnd, StreamKey, StreamOptions, StreamReport, stream_pod_logs};
use kftui::logs::{LogEvent, LogLine, LogView, StreamState};
use kube::api::{Api, ListParams, PostParams};
use serde_json::json;
use simsupport::{NS, client, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const TIMEOUT: Duration = Duration::from_secs(30);
const KEY: StreamKey = StreamKey { view: 9, source: 0 };

fn scripted_pod(name: &str, log: &str, run_seconds: u32) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "annotations": {
            "sim.kftui.dev/log": log,
            "sim.kftui.dev/run-seconds": run_seconds.to_string(),
        }},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
    }))
    .unwrap()
}

fn target(pod: &str) -> LogTarget {
    LogTarget {
        namespace: NS.into(),
        pod: pod.into(),
        container: None,
    }
}

/// What a stream sent, and how it ended.
struct Collected {
    lines: Vec<LogLine>,
    states: Vec<StreamState>,
    report: StreamReport,
}

/// Runs a stream to its end (or until `stop` says so, then cancels it), collecting its events.
async fn collect(
    client: kube::Client,
    target: LogTarget,
    opts: StreamOptions,
    stop: impl Fn(&[LogLine]) -> bool,
) -> Collected {
    let (tx, mut rx) = mpsc::channel::<LogEvent>(16);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(stream_pod_logs(client, target, opts, KEY, tx, cancel.clone()));
    let mut lines = Vec::new();
    let mut states = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Err(_) => panic!(
                "stream did not end in time; states {states:?}, {} lines",
                lines.len()
            ),
            Ok(None) => break,
            Ok(Some(LogEvent::Lines {
                view,
                source,
                lines: batch,
            })) => {
                assert_eq!((view, source), (KEY.view, KEY.source));
                lines.extend(batch);
                if stop(&lines) {
                    cancel.cancel();
                }
            }
            Ok(Some(LogEvent::State { state, .. })) => states.push(state),
            Ok(Some(other)) => panic!("unexpected {other:?}"),
        }
    }
    let report = task.await.unwrap();
    Collected {
        lines,
        states,
        report,
    }
}

fn texts(lines: &[LogLine]) -> Vec<&str> {
    lines.iter().map(LogLine::text).collect()
}

#[tokio::test]
async fn a_running_pods_lines_arrive_from_its_default_container() {
    let h = start().await;
    let c = client(&h);
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let deadline = Instant::now() + TIMEOUT;
    let running = loop {
        let list = pods
            .list(
                &ListParams::default()
                    .labels("workflows.argoproj.io/workflow")
                    .fields("status.phase=Running"),
            )
            .await
            .unwrap();
        if let Some(p) = list.items.into_iter().next() {
            break p.metadata.name.unwrap();
        }
        assert!(Instant::now() < deadline, "no running workflow pod");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let got = collect(c, target(&running), StreamOptions::default(), |l| l.len() >= 3).await;
    assert_eq!(got.report.end, StreamEnd::Cancelled);
    assert!(got.lines.len() >= 3, "{:?}", texts(&got.lines));
    assert!(got.states.contains(&StreamState::Streaming), "{:?}", got.states);
    // `main` (the annotation's default), not Argo's `wait` executor.
    assert!(
        got.lines[0].text().starts_with("Starting step"),
        "{:?}",
        texts(&got.lines)
    );
    assert!(got.lines.iter().all(|l| l.timestamp().is_some()));
    h.shutdown().await;
}

#[tokio::test]
async fn a_scripted_pod_waits_streams_neutralised_lines_and_ends() {
    let h = start().await;
    let c = client(&h);
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let script = [
        "plain start",
        "\u{1b}]0;pwned title\u{7}after title",
        "\u{1b}]52;c;cm0gLXJmIC8=\u{7}clipboard",
        "\u{1b}[2J\u{1b}[Hcleared",
        "c1 \u{9b}31m csi and \u{9d}0;osc\u{9c}",
        "bell\u{7} back\u{8}space lone\rcr",
        "\u{1b}[1;31mERROR\u{1b}[0m: colour kept",
        "last line",
    ]
    .join("\n");
    pods.create(&PostParams::default(), &scripted_pod("hostile", &script, 3))
        .await
        .unwrap();
    let got = collect(c, target("hostile"), StreamOptions::default(), |_| false).await;
    assert_eq!(got.report.end, StreamEnd::Ended("container exited".into()));
    assert_eq!(
        got.states.first(),
        Some(&StreamState::Waiting {
            reason: "ContainerCreating".into()
        }),
        "{:?}",
        got.states
    );
    assert!(got.states.contains(&StreamState::Streaming));
    assert_eq!(
        got.states.last(),
        Some(&StreamState::Ended {
            reason: "container exited".into()
        })
    );
    assert_eq!(
        texts(&got.lines),
        [
            "plain start",
            "␛]0;pwned title␇after title",
            "␛]52;c;cm0gLXJmIC8=␇clipboard",
            "␛[2J␛[Hcleared",
            "c1 \u{fffd}31m csi and \u{fffd}0;osc\u{fffd}",
            "bell␇ back␈space lone␍cr",
            "ERROR: colour kept",
            "last line",
        ]
    );
    for line in &got.lines {
        assert!(!line.text().chars().any(char::is_control), "{:?}", line.text());
    }
    let coloured = &got.lines[6];
    assert_eq!(coloured.spans().len(), 1);
    assert_eq!((coloured.spans()[0].start, coloured.spans()[0].end), (0, 5));
    // The view shows the ended state.
    let mut view = LogView::new(KEY.view, "pod/hostile");
    view.add_source("hostile");
    view.push_lines(0, got.lines.clone());
    view.set_state(0, got.states.last().cloned().unwrap());
    assert_eq!(view.sources()[0].state.to_string(), "ended: container exited");
    h.shutdown().await;
}

fn numbered(n: usize) -> String {
    (1..=n)
        .map(|i| format!("line {i:04} {}", "x".repeat(i % 17)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_cancelled_stream_resumes_from_its_report_without_duplicates() {
    let h = start().await;
    let c = client(&h);
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let script = numbered(300);
    pods.create(&PostParams::default(), &scripted_pod("resumed", &script, 4))
        .await
        .unwrap();
    let first = collect(c.clone(), target("resumed"), StreamOptions::default(), |l| {
        l.len() >= 40
    })
    .await;
    assert_eq!(first.report.end, StreamEnd::Cancelled);
    assert!(first.report.resume.last().is_some());
    let opts = StreamOptions {
        resume: Some(first.report.resume.clone()),
        ..StreamOptions::default()
    };
    let second = collect(c, target("resumed"), opts, |_| false).await;
    assert_eq!(second.report.end, StreamEnd::Ended("container exited".into()));
    let mut all = texts(&first.lines);
    all.extend(texts(&second.lines));
    let want: Vec<&str> = script.lines().collect();
    assert_eq!(
        all.len(),
        want.len(),
        "first {} + second {}",
        first.lines.len(),
        second.lines.len()
    );
    assert_eq!(all, want);
    h.shutdown().await;
}

/// A TCP proxy to the cluster that cuts every `follow=true` connection after `cut_after` bytes
/// of response: a flaky network or an API server that drops long streams.
async fn cutting_proxy(upstream: SocketAddr, cut_after: usize, cuts: Arc<AtomicUsize>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let cuts = cuts.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                relay(client, server, cut_after, cuts).await;
            });
        }
    });
    addr
}

async fn relay(client: TcpStream, server: TcpStream, cut_after: usize, cuts: Arc<AtomicUsize>) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let following = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = following.clone();
    let up = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if buf[..n].windows(11).any(|w| w == b"follow=true") {
                seen.store(true, Ordering::SeqCst);
            }
            if sw.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let down = async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut sent = 0;
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let mut n = n;
            if following.load(Ordering::SeqCst) {
                if sent + n > cut_after {
                    n = cut_after.saturating_sub(sent);
                    let _ = cw.write_all(&buf[..n]).await;
                    cuts.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                sent += n;
            }
            if cw.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}

#[tokio::test]
async fn a_stream_cut_by_the_network_reconnects_and_loses_nothing() {
    let h = start().await;
    let direct = client(&h);
    let pods: Api<Pod> = Api::namespaced(direct, NS);
    // 600 lines written over 4.2 s (~7 KB a second). `sinceTime` has whole seconds, so each
    // reconnect replays up to a second of lines (dropped as duplicates); cutting every 10 KB
    // still leaves room for progress.
    let script = numbered(600);
    pods.create(&PostParams::default(), &scripted_pod("flaky", &script, 6))
        .await
        .unwrap();
    let cuts = Arc::new(AtomicUsize::new(0));
    let proxy = cutting_proxy(h.addr(), 10_000, cuts.clone()).await;
    let mut config = kube::Config::new(format!("http://{proxy}").parse().unwrap());
    config.default_namespace = NS.into();
    let flaky = kube::Client::try_from(config).unwrap();
    let opts = StreamOptions {
        backoff: Duration::from_millis(20),
        ..StreamOptions::default()
    };
    let got = collect(flaky, target("flaky"), opts, |_| false).await;
    assert_eq!(
        got.report.end,
        StreamEnd::Ended("container exited".into()),
        "{:?}",
        got.states
    );
    eprintln!(
        "cut {} times, {} connections, {} lines delivered",
        cuts.load(Ordering::SeqCst),
        got.report.connections,
        got.report.lines
    );
    let want: Vec<&str> = script.lines().collect();
    let all = texts(&got.lines);
    assert_eq!(
        all.len(),
        want.len(),
        "{} cuts, {} connections",
        cuts.load(Ordering::SeqCst),
        got.report.connections
    );
    assert_eq!(all, want);
    assert!(
        cuts.load(Ordering::SeqCst) >= 2,
        "only {} cuts",
        cuts.load(Ordering::SeqCst)
    );
    assert!(got.report.connections >= 3, "{}", got.report.connections);
    assert!(
        got.states
            .iter()
            .any(|s| matches!(s, StreamState::Reconnecting { .. })),
        "{:?}",
        got.states
    );
    h.shutdown().await;
}

#[tokio::test]
async fn a_missing_pod_or_container_says_so() {
    let h = start().await;
    let c = client(&h);
    let gone = collect(c.clone(), target("no-such-pod"), StreamOptions::default(), |_| {
        false
    })
    .await;
    assert_eq!(gone.report.end, StreamEnd::Ended("pod deleted".into()));
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    pods.create(&PostParams::default(), &scripted_pod("one", "hello", 30))
        .await
        .unwrap();
    let mut t = target("one");
    t.container = Some("sidecar".into());
    let bad = collect(c, t, StreamOptions::default(), |_| false).await;
    let StreamEnd::Failed(msg) = &bad.report.end else {
        panic!("{:?}", bad.report.end)
    };
    assert!(msg.contains("sidecar"), "{msg}");
    assert!(matches!(bad.states.last(), Some(StreamState::Failed { .. })));
    h.shutdown().await;
}
