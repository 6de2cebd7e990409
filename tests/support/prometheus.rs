//! A real Prometheus server (Debian's `prometheus` package), started by a test with a private
//! config that discovers the embedded cluster's pods (`http_sd_configs` on the cluster's
//! `/sim/prometheus-targets`: Debian builds Prometheus without Kubernetes discovery) and scrapes
//! their `/metrics` through the API server's pod proxy every second.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Prometheus binary, or `None` (and a loud line on stderr) when the machine has none.
pub fn binary(test: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PROMETHEUS_BIN").map(PathBuf::from).or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join("prometheus"))
                .find(|p| p.is_file())
        })
    });
    if path.is_none() {
        eprintln!(
            "SKIPPED {test}: no `prometheus` binary on PATH (apt-get install prometheus; .ci/run installs it)"
        );
    }
    path
}

/// The scrape config: every running predictor and training pod of the cluster at `api`
/// (`host:port`), through the API server's pod proxy, every second.
pub fn config(api: &str) -> String {
    config_every(api, 1)
}

/// [`config`] with a scrape every `seconds`.
pub fn config_every(api: &str, seconds: u32) -> String {
    format!(
        r#"global:
  scrape_interval: {seconds}s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: kubeflow-pods
    http_sd_configs:
      - url: http://{api}/sim/prometheus-targets
        refresh_interval: 2s
"#
    )
}

/// A running Prometheus; killed when dropped.
pub struct Prometheus {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` over plain HTTP/1.0: (status, body).
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let code = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, body.to_string()))
}

impl Prometheus {
    /// Starts Prometheus scraping the cluster at `api` (`host:port`); `None` without a binary.
    pub fn start(test: &str, api: &str) -> Option<Prometheus> {
        Prometheus::start_every(test, api, 1)
    }

    /// [`Prometheus::start`] with a scrape every `seconds`.
    pub fn start_every(test: &str, api: &str, seconds: u32) -> Option<Prometheus> {
        let bin = binary(test)?;
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(&config, self::config_every(api, seconds)).unwrap();
        let port = free_port();
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join("prometheus.log")).unwrap(),
            ))
            .spawn()
            .unwrap();
        let p = Prometheus {
            child,
            port,
            _dir: dir,
        };
        let start = Instant::now();
        while get(port, "/-/ready").is_none_or(|(c, _)| c != 200) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "Prometheus did not become ready:\n{}",
                p.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(p)
    }

    /// The server's process id (its CPU time is in `/proc/PID/stat`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What Prometheus wrote to stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// An instant query's raw JSON answer.
    pub fn query(&self, promql: &str) -> String {
        let q = kftui::kube::prometheus::enc(promql);
        get(self.port, &format!("/api/v1/query?query={q}"))
            .map(|(_, b)| b)
            .unwrap_or_default()
    }

    /// Waits until `promql` returns at least one series.
    pub fn wait_for_series(&self, promql: &str, timeout: Duration) {
        let start = Instant::now();
        loop {
            let answer = self.query(promql);
            if answer.contains("\"metric\"") {
                return;
            }
            if start.elapsed() > timeout {
                let targets = get(self.port, "/api/v1/targets")
                    .map(|(_, b)| b)
                    .unwrap_or_default();
                panic!(
                    "no series for {promql} after {timeout:?}: {answer}\ntargets: {}\nlog:\n{}",
                    targets.chars().take(3000).collect::<String>(),
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
