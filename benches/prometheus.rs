//! The cost of one refresh of the monitoring panels against a REAL Prometheus (Debian's
//! `prometheus`) scraping the embedded cluster, with 100 more InferenceServices than the demo's:
//!
//! - the Models list's columns: one instant query per column, each covering every model;
//! - a model's detail: one 15-minute range query per panel, series per revision;
//! - a training job's detail: one 15-minute range query per panel, series per pod.
//!
//! For each: queries and response bytes per refresh, wall time (median, p95), and CPU time per
//! refresh of kftui's side (this process; the cluster runs in a process of its own) and of
//! Prometheus (its CPU over the refreshes, less its CPU over as long idle, so the scrapes do not
//! count). `cargo bench --bench prometheus`; `KFTUI_PROM_N` refreshes per line (default 50);
//! `KFTUI_PROM_WARM` seconds of scraping before measuring (900 fills the detail's 15 minutes).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/prometheus.rs"]
mod prom_support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use kftui::kube::key::{Kind, SubKey};
use kftui::kube::prometheus::{self, Metrics, Prometheus};
use kube::api::{Api, DynamicObject, PostParams};
use serde_json::json;

const NS: &str = "kubeflow-user-example-com";
const MODELS: usize = 100;

fn refreshes() -> usize {
    std::env::var("KFTUI_PROM_N")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(50)
}

/// CPU seconds (user + system) of a process, from `/proc/PID/stat` (clock ticks of 10 ms).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn binary() -> std::path::PathBuf {
    std::env::var_os("KFTUI_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_BIN_EXE_kftui")))
}

fn key(kind: Kind, name: Option<&str>) -> SubKey {
    SubKey {
        context: "kftui-sim".into(),
        namespace: Some(NS.into()),
        kind,
        selector: None,
        field: name.map(|n| format!("metadata.name={n}")),
    }
}

struct Line {
    what: &'static str,
    queries: f64,
    bytes: f64,
    median_ms: f64,
    p95_ms: f64,
    cpu_ms: f64,
    prom_cpu_ms: f64,
}

async fn measure(what: &'static str, prom: &Prometheus, prom_pid: &str, key: &SubKey, n: usize) -> Line {
    // Prometheus idle (scraping only) for as long as the refreshes will take, measured first.
    let probe = Instant::now();
    let _ = prometheus::fetch(prom, key, chrono::Utc::now().timestamp())
        .await
        .unwrap();
    let guess = probe.elapsed() * u32::try_from(n).unwrap();
    let idle_from = cpu_seconds(prom_pid);
    tokio::time::sleep(guess.max(Duration::from_secs(2))).await;
    let idle = (cpu_seconds(prom_pid) - idle_from) / guess.max(Duration::from_secs(2)).as_secs_f64();

    let (q0, b0) = (
        prom.queries.load(Ordering::Relaxed),
        prom.bytes.load(Ordering::Relaxed),
    );
    let (cpu0, pcpu0) = (cpu_seconds("self"), cpu_seconds(prom_pid));
    let start = Instant::now();
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let m = prometheus::fetch(prom, key, chrono::Utc::now().timestamp())
            .await
            .unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if let Metrics::Models(models) = &m {
            assert!(models.len() >= MODELS, "{} models", models.len());
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let (cpu, pcpu) = (cpu_seconds("self") - cpu0, cpu_seconds(prom_pid) - pcpu0);
    times.sort_by(f64::total_cmp);
    let nf = n as f64;
    Line {
        what,
        queries: (prom.queries.load(Ordering::Relaxed) - q0) as f64 / nf,
        bytes: (prom.bytes.load(Ordering::Relaxed) - b0) as f64 / nf,
        median_ms: times[n / 2],
        p95_ms: times[(n * 95 / 100).min(n - 1)],
        cpu_ms: cpu * 1000.0 / nf,
        prom_cpu_ms: ((pcpu - idle * wall) * 1000.0 / nf).max(0.0),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let port = free_port();
    let mut sim = std::process::Command::new(binary())
        .args(["sim", "--listen", &format!("127.0.0.1:{port}"), "--kubeconfig"])
        .arg(&kubeconfig)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while !kubeconfig.exists() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let api = format!("127.0.0.1:{port}");
    let mut config = kube::Config::new(format!("http://{api}").parse().unwrap());
    config.default_namespace = NS.into();
    let client = kube::Client::try_from(config).unwrap();
    let isvcs: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        NS,
        &kftui::kube::fetch::api_resource(Kind::InferenceServices),
    );
    for i in 0..MODELS {
        let obj: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": format!("bench-model-{i:03}"), "namespace": NS,
                "annotations": {kftui::sim::metrics::TRAFFIC_ANNOTATION: format!("{}", 1 + i % 5)}},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"},
                "storageUri": format!("gs://bench/models/{i}")}}},
        }))
        .unwrap();
        isvcs.create(&PostParams::default(), &obj).await.unwrap();
    }
    let Some(server) = prom_support::Prometheus::start_every("benches/prometheus.rs", &api, 5) else {
        let _ = sim.kill();
        let _ = sim.wait();
        return;
    };
    let prom_pid = server.pid().to_string();
    let prom = Prometheus::discover(&client, Some(&server.url())).await.unwrap();
    // Every model's pod up and scraped twice (a rate needs two samples).
    let columns = key(Kind::ModelTraffic, None);
    let started = Instant::now();
    loop {
        let m = prometheus::fetch(&prom, &columns, chrono::Utc::now().timestamp())
            .await
            .unwrap();
        let with_rate = match &m {
            Metrics::Models(t) => t.values().filter(|t| t.rps.is_some_and(|r| r > 0.0)).count(),
            Metrics::History { .. } => 0,
        };
        if with_rate >= MODELS {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "only {with_rate} models with traffic"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // `KFTUI_PROM_WARM=900` waits until Prometheus holds the sparklines' whole 15 minutes.
    let warm: u64 = std::env::var("KFTUI_PROM_WARM")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    tokio::time::sleep(Duration::from_secs(warm)).await;
    let n = refreshes();
    let lines = [
        measure(
            "Models columns, 104 models (6 instant queries)",
            &prom,
            &prom_pid,
            &columns,
            n,
        )
        .await,
        measure(
            "Model detail, canary (4 range queries, 61 points)",
            &prom,
            &prom_pid,
            &key(Kind::ModelHistory, Some("fraud-detector")),
            n,
        )
        .await,
        measure(
            "Training detail, 2 nodes (4 range queries)",
            &prom,
            &prom_pid,
            &key(Kind::TrainingHardware, Some("llama-finetune")),
            n,
        )
        .await,
    ];
    let targets = prom_support::get(port, "/sim/prometheus-targets")
        .map(|(_, b)| b.matches("__metrics_path__").count())
        .unwrap_or(0);
    println!(
        "prometheus refresh cost ({n} refreshes each; Prometheus scrapes {targets} pods every 5 s, \
         {} s of history)",
        started.elapsed().as_secs()
    );
    println!(
        "{:<52} {:>8} {:>10} {:>9} {:>9} {:>12} {:>14}",
        "refresh", "queries", "bytes", "median", "p95", "kftui CPU", "Prometheus CPU"
    );
    for l in &lines {
        println!(
            "{:<52} {:>8.1} {:>10.0} {:>6.1} ms {:>6.1} ms {:>9.2} ms {:>11.2} ms",
            l.what, l.queries, l.bytes, l.median_ms, l.p95_ms, l.cpu_ms, l.prom_cpu_ms
        );
    }
    drop(server);
    let _ = sim.kill();
    let _ = sim.wait();
}
