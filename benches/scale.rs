#![allow(clippy::unwrap_used, clippy::expect_used)]
//! kftui against `kftui sim --scale N` (default 10,000 runs of ~20 steps with their pods), both
//! release binaries, kftui in a pseudo-terminal: seed time, time to first rows, resident memory,
//! filter keystroke latency through the terminal, idle CPU, and frame times while 100 runs change
//! per second.
//!
//! `cargo build --release && cargo bench --bench scale`
//! Knobs: KFTUI_BENCH_SCALE (10000), KFTUI_BENCH_STORM_SECS (60), KFTUI_BIN (target/release/kftui).

#[path = "../tests/support/pty.rs"]
#[allow(dead_code)]
mod pty;

use std::path::PathBuf;
use std::time::{Duration, Instant};

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

fn title_count(screen: &str) -> Option<usize> {
    let line = screen.lines().find(|l| l.contains(" Runs ("))?;
    let inner = line.split(" Runs (").nth(1)?.split(')').next()?;
    inner.split(" of ").last()?.trim().parse().ok()
}

fn main() {
    let bin = std::env::var_os("KFTUI_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/kftui"));
    let scale: usize = env_or("KFTUI_BENCH_SCALE", 10_000);
    let storm_secs: u64 = env_or("KFTUI_BENCH_STORM_SECS", 60);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let started = Instant::now();
    let mut sim = std::process::Command::new(&bin)
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
        "sim seeded {scale} extra runs and listens after {:?}",
        started.elapsed()
    );
    println!(
        "sim resident memory: {:.0} MiB",
        proc_field(sim.id(), "VmRSS:").unwrap_or(0) as f64 / 1024.0
    );

    let started = Instant::now();
    let mut t = pty::Pty::spawn_env(
        &bin,
        &["-A", "--kubeconfig", kubeconfig.to_str().unwrap()],
        200,
        50,
        &[("KFTUI_LOG", "info")],
    );
    t.wait_for("first frame", Duration::from_secs(30), |s| s.contains("kftui"));
    println!("first frame after {:?}", started.elapsed());
    t.wait_for("rows", Duration::from_secs(120), |s| {
        title_count(s).is_some_and(|n| n > 0)
    });
    println!("first rows after {:?}", started.elapsed());
    t.wait_for("all rows", Duration::from_secs(300), |s| {
        title_count(s).is_some_and(|n| n >= scale)
    });
    println!(
        "all {} runs listed after {:?}",
        title_count(&t.screen()).unwrap_or(0),
        started.elapsed()
    );
    let pid = t.child.process_id().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    println!(
        "kftui resident memory with every run listed: {:.0} MiB (peak {:.0} MiB)",
        proc_field(pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0,
        proc_field(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0
    );

    let ticks = cpu_ticks(pid).unwrap_or(0);
    let bytes = t.raw.lock().unwrap().len();
    std::thread::sleep(Duration::from_secs(10));
    println!(
        "over 10 s with only the demo's few live runs moving: {} CPU ticks (1 tick = 10 ms), {} bytes written",
        cpu_ticks(pid).unwrap_or(0) - ticks,
        t.raw.lock().unwrap().len() - bytes
    );

    // Filter keystrokes, measured through the terminal: key sent → the title's count changes.
    t.send("/");
    let mut latencies = Vec::new();
    for i in 0..20 {
        let before = t.screen();
        let key = if i % 2 == 0 { "9" } else { "\x7f" };
        let sent = Instant::now();
        t.send(key);
        t.wait_for("the filter to apply", Duration::from_secs(10), |s| s != before);
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    println!(
        "filter keystroke to screen, through the pty: median {:?}, max {:?}",
        latencies[10], latencies[19]
    );
    t.send("\r");

    // 100 runs change per second.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let yaml = std::fs::read_to_string(&kubeconfig).unwrap();
    let changes = rt.block_on(async {
        let kc = kube::config::Kubeconfig::from_yaml(&yaml).unwrap();
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
            .await
            .unwrap();
        let client = kube::Client::try_from(config).unwrap();
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
    let _ = sim.kill();
    let _ = sim.wait();
}
