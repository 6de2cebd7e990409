#![allow(clippy::unwrap_used, clippy::expect_used)]
//! kftui against a cluster of 10,000 runs: by default `kftui sim --scale N` (10,000 runs of ~20
//! steps with their pods, every object with the managedFields a real API server writes), or any
//! cluster named by `KFTUI_BENCH_KUBECONFIG`. Reports the bytes of the first list (paged as
//! kubectl lists, and streamed), then kftui in a pseudo-terminal: time to first and all rows,
//! resident memory (steady and peak), idle CPU, filter keystroke latency through the terminal, and
//! frame times while 100 runs change per second. Then, on the same cluster, the peers that are
//! installed (`cargo install --locked kdash kubetui`): their memory and CPU after the same time.
//!
//! `cargo build --release && cargo bench --bench scale`
//! Knobs: KFTUI_BENCH_SCALE (10000), KFTUI_BENCH_STORM_SECS (60), KFTUI_BIN (target/release/kftui),
//! KFTUI_BENCH_KUBECONFIG (a cluster to measure instead of the embedded one; no storm there),
//! KFTUI_BENCH_BEFORE (another kftui binary, measured the same way beside this one),
//! KFTUI_BENCH_PEER_SECS (45; 0 skips the peers), KFTUI_BENCH_PEERS (dir holding kdash/kubetui,
//! default ~/.cargo/bin), KFTUI_BENCH_VIEWS (`runs,pods`: kftui's Runs pane, and its resource
//! view of every pod opened with `:pods`, beside the peers' pod lists).

#[path = "../tests/support/pty.rs"]
#[allow(dead_code)]
mod pty;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::{AsyncBufReadExt, StreamExt};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn proc_field(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// User + system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn mib(kib: Option<u64>) -> f64 {
    kib.unwrap_or(0) as f64 / 1024.0
}

/// The row count in a list's title: `Runs (42)`, `Pods (3 of 42)`.
fn title_count(screen: &str, title: &str) -> Option<usize> {
    let at = format!(" {title} (");
    let line = screen.lines().find(|l| l.contains(&at))?;
    let inner = line.split(&at).nth(1)?.split(')').next()?;
    inner.split(" of ").last()?.trim().parse().ok()
}

/// Which list kftui is measured on: its title, and the command that opens it.
#[derive(Clone, Copy)]
struct ViewUnder {
    title: &'static str,
    command: Option<&'static str>,
}

const RUNS_VIEW: ViewUnder = ViewUnder {
    title: "Runs",
    command: None,
};

const PODS_VIEW: ViewUnder = ViewUnder {
    title: "Pods",
    command: Some(":pods\r"),
};

/// How many pods the cluster holds, counted from their metadata in pages.
async fn pod_count(client: &kube::Client) -> usize {
    let api: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::all(client.clone());
    let mut params = kube::api::ListParams::default().limit(500);
    let mut n = 0;
    loop {
        let page = api.list_metadata(&params).await.unwrap();
        n += page.items.len();
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(c) => params = params.continue_token(&c),
            None => return n,
        }
    }
}

async fn client_for(kubeconfig: &Path) -> kube::Client {
    let yaml = std::fs::read_to_string(kubeconfig).unwrap();
    let kc = kube::config::Kubeconfig::from_yaml(&yaml).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

const WORKFLOWS: &str = "/apis/argoproj.io/v1alpha1/workflows";

/// The first list of every Workflow, as the bytes a client receives: in pages of 500 (kubectl's
/// and kube-runtime's default), and as a streaming list where the server serves one.
async fn first_list_bytes(client: &kube::Client) -> usize {
    let started = Instant::now();
    let (mut bytes, mut pages, mut items, mut biggest) = (0usize, 0usize, 0usize, 0usize);
    let mut token = String::new();
    loop {
        let mut uri = format!("{WORKFLOWS}?limit=500");
        if !token.is_empty() {
            uri.push_str(&format!("&continue={token}"));
        }
        let req = http::Request::get(uri).body(Vec::new()).unwrap();
        let text = client.request_text(req).await.unwrap();
        let page: serde_json::Value = serde_json::from_str(&text).unwrap();
        bytes += text.len();
        biggest = biggest.max(text.len());
        pages += 1;
        items += page["items"].as_array().map_or(0, Vec::len);
        token = page["metadata"]["continue"].as_str().unwrap_or("").to_string();
        if token.is_empty() {
            break;
        }
    }
    println!(
        "first list, paged (limit=500): {items} workflows, {:.1} MB in {pages} pages (largest {:.1} MB), {:?}",
        bytes as f64 / 1e6,
        biggest as f64 / 1e6,
        started.elapsed()
    );
    let started = Instant::now();
    let uri = format!(
        "{WORKFLOWS}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
    );
    let req = http::Request::get(uri).body(Vec::new()).unwrap();
    match client.request_stream(req).await {
        Ok(body) => {
            let mut lines = body.lines();
            let (mut bytes, mut events, mut biggest) = (0usize, 0usize, 0usize);
            while let Some(Ok(line)) = lines.next().await {
                bytes += line.len() + 1;
                biggest = biggest.max(line.len());
                if line.contains("k8s.io/initial-events-end") {
                    break;
                }
                if line.starts_with("{\"type\":\"ERROR\"") {
                    println!("streaming list refused: {line}");
                    return items;
                }
                events += 1;
            }
            println!(
                "first list, streamed: {events} events, {:.1} MB (largest event {:.0} KB), {:?}",
                bytes as f64 / 1e6,
                biggest as f64 / 1e3,
                started.elapsed()
            );
        }
        Err(e) => println!("streaming list refused: {e}"),
    }
    items
}

/// What one program cost on the cluster.
struct Cost {
    rss_mib: f64,
    peak_mib: f64,
    cpu_pct: f64,
    idle_ticks: u64,
}

/// A peer TUI in a 200×50 terminal on the same cluster for `secs`: memory and CPU, or `None`
/// (and what it showed) when it exits first.
fn measure_peer(name: &str, bin: &Path, args: &[&str], kubeconfig: &Path, secs: u64) -> Option<Cost> {
    let started = Instant::now();
    let mut t = pty::Pty::spawn_env(
        bin,
        args,
        200,
        50,
        &[("KUBECONFIG", kubeconfig.to_str().unwrap())],
    );
    let pid = t.child.process_id().unwrap();
    let mut ticks = 0;
    let (mut rss, mut peak) = (None, None);
    let mut answered = 0;
    while started.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(Duration::from_millis(50));
        // A terminal answers a cursor position request (kdash asks at start and gives up
        // without an answer).
        let asked = {
            let raw = t.raw.lock().unwrap();
            raw.windows(4).filter(|w| w == b"\x1b[6n").count()
        };
        while answered < asked {
            let (row, col) = t.parser.lock().unwrap().screen().cursor_position();
            t.send(&format!("\x1b[{};{}R", row + 1, col + 1));
            answered += 1;
        }
        if let Ok(Some(status)) = t.child.try_wait() {
            let screen = t.screen();
            let shown: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).take(8).collect();
            println!(
                "{name}: exited after {:?} ({status:?}); its screen:\n{}",
                started.elapsed(),
                shown.join("\n")
            );
            return None;
        }
        if started.elapsed() + Duration::from_secs(10) < Duration::from_secs(secs) {
            ticks = cpu_ticks(pid).unwrap_or(0);
        }
        rss = proc_field(pid, "VmRSS:").or(rss);
        peak = proc_field(pid, "VmHWM:").or(peak);
    }
    let total = cpu_ticks(pid).unwrap_or(0);
    let cost = Cost {
        rss_mib: mib(rss),
        peak_mib: mib(peak),
        cpu_pct: total as f64 / started.elapsed().as_secs_f64(),
        idle_ticks: total - ticks,
    };
    let _ = t.child.kill();
    Some(cost)
}

/// kftui `-A` in a 200×50 terminal on `view`: first rows, all rows, memory, idle CPU; with
/// `keys`, filter keystrokes too. Returns the terminal (for the storm) and the cost after `secs`.
fn measure_kftui(
    bin: &Path,
    label: &str,
    kubeconfig: &Path,
    view: ViewUnder,
    rows: usize,
    secs: u64,
    keys: bool,
) -> (pty::Pty, Cost) {
    let title = view.title;
    let started = Instant::now();
    let mut t = pty::Pty::spawn_env(
        bin,
        &["-A", "--kubeconfig", kubeconfig.to_str().unwrap()],
        200,
        50,
        &[("KFTUI_LOG", "info")],
    );
    t.wait_for("first frame", Duration::from_secs(30), |s| s.contains("kftui"));
    println!("{label}: first frame after {:?}", started.elapsed());
    if let Some(command) = view.command {
        // The runs come first; the other view is opened as a user would.
        t.wait_for("the runs", Duration::from_secs(120), |s| {
            title_count(s, "Runs").is_some_and(|n| n > 0)
        });
        t.send(command);
    }
    let opened = started.elapsed();
    t.wait_for("rows", Duration::from_secs(120), |s| {
        title_count(s, title).is_some_and(|n| n > 0)
    });
    let first = started.elapsed() - opened;
    let first_count = title_count(&t.screen(), title).unwrap_or(0);
    t.wait_for("all rows", Duration::from_secs(300), |s| {
        title_count(s, title).is_some_and(|n| n >= rows) && !s.contains("listing…")
    });
    println!(
        "{label}: first rows after {first:?} ({first_count} on screen), all {} {} after {:?}",
        title_count(&t.screen(), title).unwrap_or(0),
        title.to_lowercase(),
        started.elapsed() - opened
    );
    let pid = t.child.process_id().unwrap();
    let settle = Duration::from_secs(secs.saturating_sub(10)).saturating_sub(started.elapsed());
    std::thread::sleep(settle);
    let ticks = cpu_ticks(pid).unwrap_or(0);
    let bytes = t.raw.lock().unwrap().len();
    std::thread::sleep(Duration::from_secs(10));
    let total = cpu_ticks(pid).unwrap_or(0);
    let cost = Cost {
        rss_mib: mib(proc_field(pid, "VmRSS:")),
        peak_mib: mib(proc_field(pid, "VmHWM:")),
        cpu_pct: total as f64 / started.elapsed().as_secs_f64(),
        idle_ticks: total - ticks,
    };
    println!(
        "{label}: after {:?}: resident {:.0} MiB, peak {:.0} MiB; the last 10 s idle: {} CPU ticks (1 tick = 10 ms, {:.1} % of a core), {} bytes written",
        started.elapsed(),
        cost.rss_mib,
        cost.peak_mib,
        cost.idle_ticks,
        cost.idle_ticks as f64 / 10.0,
        t.raw.lock().unwrap().len() - bytes
    );
    if keys {
        // Filter keystrokes, measured through the terminal: key sent → the screen changes.
        t.send("/");
        let mut latencies = Vec::new();
        for i in 0..20 {
            // As fast as a quick typist (a key every 50 ms), not back to back: keys closer than
            // a frame apart wait for the next frame (60 a second) by design.
            std::thread::sleep(Duration::from_millis(50));
            let before = t.screen();
            let key = if i % 2 == 0 { "9" } else { "\x7f" };
            let sent = Instant::now();
            t.send(key);
            t.wait_for("the filter to apply", Duration::from_secs(10), |s| s != before);
            latencies.push(sent.elapsed());
        }
        latencies.sort();
        println!(
            "{label}: filter keystroke to screen, through the pty: median {:?}, max {:?}",
            latencies[10], latencies[19]
        );
        t.send("\r");
    }
    (t, cost)
}

fn print_row(name: &str, c: &Cost) {
    println!(
        "| {name} | {:.0} MiB | {:.0} MiB | {:.1} % | {:.1} % |",
        c.rss_mib,
        c.peak_mib,
        c.cpu_pct,
        c.idle_ticks as f64 / 10.0
    );
}

fn main() {
    let bin = std::env::var_os("KFTUI_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/kftui"));
    let scale: usize = env_or("KFTUI_BENCH_SCALE", 10_000);
    let storm_secs: u64 = env_or("KFTUI_BENCH_STORM_SECS", 60);
    let secs: u64 = env_or("KFTUI_BENCH_PEER_SECS", 45);
    let dir = tempfile::tempdir().unwrap();
    let external = std::env::var_os("KFTUI_BENCH_KUBECONFIG").map(PathBuf::from);
    let kubeconfig = external.clone().unwrap_or_else(|| dir.path().join("kubeconfig"));
    let mut sim = None;
    if external.is_none() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let started = Instant::now();
        let child = std::process::Command::new(&bin)
            .args([
                "sim",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--scale",
                &scale.to_string(),
                "--kubeconfig",
            ])
            .arg(&kubeconfig)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        while !kubeconfig.exists() {
            std::thread::sleep(Duration::from_millis(20));
            assert!(started.elapsed() < Duration::from_secs(600), "sim did not start");
        }
        println!(
            "sim seeded {scale} extra runs and listens after {:?}; its resident memory {:.0} MiB",
            started.elapsed(),
            mib(proc_field(child.id(), "VmRSS:"))
        );
        sim = Some(child);
    } else {
        println!("measuring the cluster of {}", kubeconfig.display());
    }

    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = rt.block_on(client_for(&kubeconfig));
    let runs = rt.block_on(first_list_bytes(&client));
    let views = std::env::var("KFTUI_BENCH_VIEWS").unwrap_or_else(|_| "runs,pods".to_string());

    let mut table = Vec::new();
    if views.contains("pods") {
        let pods = rt.block_on(pod_count(&client));
        println!("the cluster holds {pods} pods");
        if let Some(before) = std::env::var_os("KFTUI_BENCH_BEFORE").map(PathBuf::from) {
            let (mut t, cost) = measure_kftui(
                &before,
                "kftui before, Pods",
                &kubeconfig,
                PODS_VIEW,
                pods,
                secs,
                true,
            );
            let _ = t.child.kill();
            table.push(("kftui before (Pods)".to_string(), cost));
        }
        let (mut t, cost) = measure_kftui(&bin, "kftui, Pods", &kubeconfig, PODS_VIEW, pods, secs, true);
        let _ = t.child.kill();
        table.push(("kftui (Pods)".to_string(), cost));
    }
    if let Some(before) = std::env::var_os("KFTUI_BENCH_BEFORE").map(PathBuf::from) {
        let (mut t, cost) = measure_kftui(
            &before,
            "kftui (before)",
            &kubeconfig,
            RUNS_VIEW,
            runs,
            secs,
            true,
        );
        let _ = t.child.kill();
        table.push(("kftui before (Runs)".to_string(), cost));
    }
    let (mut t, cost) = measure_kftui(&bin, "kftui", &kubeconfig, RUNS_VIEW, runs, secs, true);
    table.push(("kftui (Runs)".to_string(), cost));

    if sim.is_some() && storm_secs > 0 {
        // 100 runs change per second.
        let changes = rt.block_on(async {
            let ar = kftui::kube::fetch::api_resource(kftui::app::subs::Kind::Workflows);
            let api: kube::Api<kube::api::DynamicObject> = kube::Api::all_with(client.clone(), &ar);
            let list = api
                .list_metadata(&kube::api::ListParams::default().limit(500))
                .await
                .unwrap();
            let targets: Vec<(String, String)> = list
                .items
                .iter()
                .filter_map(|o| Some((o.metadata.namespace.clone()?, o.metadata.name.clone()?)))
                .collect();
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            let end = Instant::now() + Duration::from_secs(storm_secs);
            let mut n = 0usize;
            while Instant::now() < end {
                tick.tick().await;
                let (ns, name) = &targets[n % targets.len()];
                let api: kube::Api<kube::api::DynamicObject> =
                    kube::Api::namespaced_with(client.clone(), ns, &ar);
                let patch = serde_json::json!({"status": {"message": format!("step {n} changed")}});
                let _ = api
                    .patch(
                        name,
                        &kube::api::PatchParams::default(),
                        &kube::api::Patch::Merge(&patch),
                    )
                    .await;
                n += 1;
            }
            n
        });
        println!("sent {changes} run changes in {storm_secs} s");
    }
    t.send("q");
    t.wait_exit(Duration::from_secs(20));
    let log = std::fs::read_to_string(t.state_dir().join("kftui/kftui.log")).unwrap_or_default();
    match log.lines().rev().find(|l| l.contains("frames ")) {
        Some(line) => println!(
            "frame times over the whole session: {}",
            line.split("frames ")
                .nth(1)
                .map(|s| format!("frames {s}"))
                .unwrap_or_default()
        ),
        None => println!("no frame stats in the log ({} bytes)", log.len()),
    }

    // The peers, on the same cluster, for the same time.
    let peers_dir = std::env::var_os("KFTUI_BENCH_PEERS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin")));
    if secs > 0 {
        for (name, args, what) in [("kubetui", &["-A"][..], "Pods"), ("kdash", &[][..], "")] {
            let peer = peers_dir.as_ref().map(|d| d.join(name)).filter(|p| p.exists());
            let Some(peer) = peer else {
                println!("{name}: not installed (cargo install --locked {name}), skipped");
                continue;
            };
            let version = std::process::Command::new(&peer)
                .arg("--version")
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_default();
            let label = if what.is_empty() {
                version
            } else {
                format!("{version} ({what})")
            };
            if let Some(cost) = measure_peer(name, &peer, args, &kubeconfig, secs) {
                table.push((label, cost));
            }
        }
    }
    println!("\nafter {secs} s, 200x50, all namespaces:\n");
    println!("| | RSS | peak | CPU (whole run) | CPU (last 10 s) |");
    println!("|---|---|---|---|---|");
    for (name, cost) in &table {
        print_row(name, cost);
    }
    if let Some(mut sim) = sim {
        let _ = sim.kill();
        let _ = sim.wait();
    }
}
