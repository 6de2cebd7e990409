//! The log soak: one pod writes N lines a second (50,000 by default) for a minute, and kftui
//! follows it the way the app does — the embedded cluster in process over real HTTP, the real
//! `kube::logs::stream_pod_logs` (bounded channel, batching, resume), the app's `update` taking
//! each batch into the Logs pane's view, and the whole screen rendered into a ratatui
//! `TestBackend` at ~60 frames a second. A key is pressed every 100 ms.
//!
//! Measured: update + render time per frame, the time a key takes to show, how far the screen
//! lags behind the pod, and the count: every line written must be received exactly once
//! (the pod numbers its lines, so gaps and duplicates are found, not just totals).
//!
//! `cargo bench --bench log_soak`; `KFTUI_SOAK_SECS` (default 60) and `KFTUI_SOAK_RATE` (default
//! 50000) change the length and the rate. Exits non-zero when a line is lost or duplicated.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::{FixedOffset, Utc};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams, PostParams};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use kftui::app::effect::Effect;
use kftui::app::logs::LogSubject;
use kftui::app::msg::Msg;
use kftui::app::state::{ConnState, State, Target};
use kftui::app::update::update;
use kftui::config::keymap::{Keymap, parse_keys};
use kftui::config::theme::Theme;
use kftui::kube::logs::{LogTarget, StreamKey, StreamOptions, stream_pod_logs};
use kftui::logs::LogEvent;
use kftui::sim::{SimOptions, start};

const NS: &str = "kubeflow-user-example-com";
const POD: &str = "firehose";
const W: u16 = 160;
const H: u16 = 45;
const FRAME: Duration = Duration::from_micros(16_667);
const KEY_EVERY: Duration = Duration::from_millis(100);
/// Keys pressed in turn: scroll up (pauses), back to the bottom, timestamps, wrap, search.
const KEYS: &[&str] = &["k", "k", "G", "t", "t", "w", "w", "/", "9", "esc"];

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// `[ns/pod] working: item N ok` → N.
fn sequence(text: &str) -> Option<u64> {
    let rest = text.split_once("working: item ")?.1;
    rest.strip_suffix(" ok")?.parse().ok()
}

struct Stats {
    name: &'static str,
    micros: Vec<u64>,
}

impl Stats {
    fn new(name: &'static str) -> Stats {
        Stats {
            name,
            micros: Vec::new(),
        }
    }

    fn record(&mut self, d: Duration) {
        self.micros.push(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    fn pct(sorted: &[u64], p: usize) -> u64 {
        sorted
            .get(sorted.len().saturating_sub(1) * p / 100)
            .copied()
            .unwrap_or(0)
    }

    fn summary(&self, limit_us: u64) -> String {
        let mut v = self.micros.clone();
        v.sort_unstable();
        let over = v.iter().filter(|m| **m > limit_us).count();
        format!(
            "{}: n {}, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, over {} ms: {over}",
            self.name,
            v.len(),
            Self::pct(&v, 50) as f64 / 1000.0,
            Self::pct(&v, 99) as f64 / 1000.0,
            v.last().copied().unwrap_or(0) as f64 / 1000.0,
            limit_us / 1000,
        )
    }
}

fn main() {
    let secs = env_number("KFTUI_SOAK_SECS", 60);
    let rate = env_number("KFTUI_SOAK_RATE", 50_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ok = runtime.block_on(soak(secs, rate));
    if !ok {
        std::process::exit(1);
    }
}

async fn soak(secs: u64, rate: u64) -> bool {
    let sim = start(SimOptions::default()).await.unwrap();
    let client = {
        let mut config = kube::Config::new(sim.url().parse().unwrap());
        config.default_namespace = NS.into();
        kube::Client::try_from(config).unwrap()
    };
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    // Body lines start a second after the container; it runs `secs` of body.
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": POD, "annotations": {
            "sim.kftui.dev/log-profile": "generic",
            "sim.kftui.dev/log-rate": rate.to_string(),
            "sim.kftui.dev/run-seconds": (secs + 1).to_string(),
        }},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]},
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();

    // The app, with the pod's logs open as `:logs pod/firehose` opens them.
    let target = Target {
        context: kftui::sim::CONTEXT.into(),
        namespace: Some(NS.into()),
        server_version: None,
        conn: ConnState::Connected,
        demo: true,
    };
    let keymap = Keymap::builtin("default").unwrap();
    let theme = Theme::builtin("default").unwrap();
    let mut state = State::new(target, Utc::now());
    update(&mut state, &keymap, Msg::Resize { width: W, height: H });
    let mut effects = Vec::new();
    let subject = LogSubject::Pod {
        namespace: NS.into(),
        name: POD.into(),
        container: None,
        label: POD.into(),
    };
    kftui::app::logs::open(&mut state, subject, &mut effects);
    let Some((view, source)) = effects.iter().find_map(|e| match e {
        Effect::StreamLogs { view, source, .. } => Some((*view, *source)),
        _ => None,
    }) else {
        panic!("opening the logs asks for no stream: {effects:?}");
    };

    // The stream, as the effect runner starts it: the app's channel size and message type.
    let (tx, mut rx) = mpsc::channel::<Msg>(1024);
    let cancel = CancellationToken::new();
    let stream = tokio::spawn(stream_pod_logs::<Msg>(
        client,
        LogTarget {
            namespace: NS.into(),
            pod: POD.into(),
            container: None,
        },
        StreamOptions::default(),
        StreamKey { view, source },
        tx,
        cancel.clone(),
    ));

    let mut term = Terminal::new(TestBackend::new(W, H)).unwrap();
    let ui = kftui::ui::View {
        theme: &theme,
        keymap: &keymap,
        tz: FixedOffset::east_opt(0).unwrap(),
    };
    let mut frames = Stats::new("frame (update + render)");
    let mut renders = Stats::new("render alone");
    let mut keys = Stats::new("key (update + render)");
    let mut lag = Stats::new("lag (line written → on screen)");
    let mut received: u64 = 0;
    let mut next_seq: u64 = 1;
    let mut gaps: u64 = 0;
    let mut dups: u64 = 0;
    let mut other_lines: u64 = 0;
    let mut first_line: Option<Instant> = None;
    let mut last_line: Option<Instant> = None;
    let mut key_i = 0usize;
    // Frames over budget: when, how long, and the key pressed in them (if any).
    let mut slow: Vec<(f64, f64, &str)> = Vec::new();
    let mut worst_key: (u64, &str) = (0, "");
    let mut next_key = Instant::now() + KEY_EVERY;
    let mut next_frame = Instant::now();
    let mut batch = Vec::with_capacity(256);
    let began = Instant::now();
    // The pod ends by itself; the stream ends after its last line. A hard stop guards the bench.
    let hard_stop = began + Duration::from_secs(secs + 120);
    let mut ended = false;
    eprintln!("log soak: {rate} lines/s for {secs} s into a {W}×{H} screen");
    while !ended {
        tokio::time::sleep_until(next_frame.into()).await;
        next_frame += FRAME;
        if Instant::now() > next_frame {
            // A slow frame: the next one is due now, not in a burst of catch-up frames.
            next_frame = Instant::now() + FRAME;
        }
        let t0 = Instant::now();
        let mut newest: Option<i64> = None;
        loop {
            batch.clear();
            match rx.try_recv() {
                Ok(msg) => batch.push(msg),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    ended = true;
                    break;
                }
            }
            for msg in batch.drain(..) {
                if let Msg::Log(LogEvent::Lines { lines, .. }) = &msg {
                    let now = Instant::now();
                    first_line.get_or_insert(now);
                    last_line = Some(now);
                    for line in lines {
                        received += 1;
                        match sequence(line.text()) {
                            Some(n) if n == next_seq => next_seq += 1,
                            Some(n) if n > next_seq => {
                                gaps += n - next_seq;
                                next_seq = n + 1;
                            }
                            Some(_) => dups += 1,
                            None => other_lines += 1,
                        }
                    }
                    if let Some(ts) = lines.last().and_then(|l| l.timestamp()) {
                        newest = Some(ts.0);
                    }
                }
                update(&mut state, &keymap, msg);
            }
        }
        let key_now = Instant::now() >= next_key && !ended;
        let mut pressed = "";
        if key_now {
            next_key += KEY_EVERY;
            pressed = KEYS[key_i % KEYS.len()];
            let k = parse_keys(pressed).unwrap();
            key_i += 1;
            let t_key = Instant::now();
            for key in k {
                update(&mut state, &keymap, Msg::Key(key));
            }
            let t_render = Instant::now();
            term.draw(|f| kftui::ui::render(&state, &ui, f)).unwrap();
            renders.record(t_render.elapsed());
            keys.record(t_key.elapsed());
            let us = u64::try_from(t_key.elapsed().as_micros()).unwrap_or(u64::MAX);
            if us > worst_key.0 {
                worst_key = (us, pressed);
            }
        } else if state.take_dirty() {
            let t_render = Instant::now();
            term.draw(|f| kftui::ui::render(&state, &ui, f)).unwrap();
            renders.record(t_render.elapsed());
        }
        state.dirty = false;
        frames.record(t0.elapsed());
        if t0.elapsed() > Duration::from_millis(16) {
            let at = t0.duration_since(began).as_secs_f64();
            slow.push((at, t0.elapsed().as_secs_f64() * 1000.0, pressed));
        }
        if let Some(ns) = newest {
            let now_ns = Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX);
            lag.record(Duration::from_nanos(u64::try_from(now_ns - ns).unwrap_or(0)));
        }
        if Instant::now() > hard_stop {
            eprintln!("log soak: the stream did not end in time");
            cancel.cancel();
            break;
        }
    }
    let report = stream.await.unwrap();

    // What the pod wrote, asked for separately: the number of its last line.
    let tail = pods
        .logs(
            POD,
            &LogParams {
                tail_lines: Some(20),
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    let written = tail.lines().filter_map(sequence).next_back().unwrap_or(0);
    let streaming = match (first_line, last_line) {
        (Some(a), Some(b)) if b > a => b - a,
        _ => Duration::from_secs(1),
    };
    let body = next_seq - 1;
    println!("log soak: {rate} lines/s asked for {secs} s; {W}×{H} screen, 60 fps, a key every 100 ms");
    println!(
        "  written {written}, received {body} numbered lines (+{other_lines} header/footer), gaps {gaps}, duplicates {dups}"
    );
    println!(
        "  received {received} lines over {:.1} s = {:.0} lines/s; {} connection(s); end: {:?}",
        streaming.as_secs_f64(),
        received as f64 / streaming.as_secs_f64(),
        report.connections,
        report.end
    );
    println!("  {}", frames.summary(16_000));
    println!("  {}", renders.summary(16_000));
    println!("  {}", keys.summary(16_000));
    println!(
        "  slowest key: {:?} in {:.2} ms; frames over 16 ms (at s, ms, key): {slow:.1?}",
        worst_key.1,
        worst_key.0 as f64 / 1000.0
    );
    println!("  {}", lag.summary(1_000_000));
    let ok = written > 0 && body == written && gaps == 0 && dups == 0;
    println!(
        "  {}",
        if ok {
            "count: every line received exactly once"
        } else {
            "count: MISMATCH"
        }
    );
    sim.shutdown().await;
    ok
}
