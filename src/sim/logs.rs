//! Container logs, computed rather than stored: a container's log is a pure function of its
//! pod (start, end, exit code, profile) and the log rate, so 50,000 finished pods cost nothing
//! until someone reads them. Line `i` always has the same text and timestamp.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::error::ApiError;
use super::rng::{Rng, hash64};
use super::store::Store;
use super::types;

/// Annotation holding the exact text a pod's containers write (tests script logs with it).
pub const SCRIPTED_LOG: &str = "sim.kftui.dev/log";
/// Annotation naming the error a failing container prints last.
pub const ERROR_ANNOTATION: &str = "sim.kftui.dev/error";
/// Annotation naming the error the previous instance of a restarted container printed last.
pub const PREVIOUS_ERROR: &str = "sim.kftui.dev/previous-error";
/// Annotation choosing the log profile (`train`, `data`, `eval`, `server`, `generic`).
pub const PROFILE_ANNOTATION: &str = "sim.kftui.dev/log-profile";
/// Annotation giving the lines per second the pod's containers write, instead of the server's
/// `--log-rate` (benchmarks use it for one firehose pod among quiet ones).
pub const RATE_ANNOTATION: &str = "sim.kftui.dev/log-rate";

/// The `PodLogOptions` query parameters.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub container: Option<String>,
    pub follow: bool,
    pub previous: bool,
    pub timestamps: bool,
    pub tail_lines: Option<usize>,
    pub since_seconds: Option<i64>,
    pub since_time: Option<DateTime<Utc>>,
    pub limit_bytes: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    Wait,
    Init,
    Train,
    Data,
    Eval,
    Server,
    Jupyter,
    Model,
    Driver,
    Generic,
}

impl Profile {
    fn from_name(s: &str) -> Self {
        match s {
            "wait" => Self::Wait,
            "init" => Self::Init,
            "train" => Self::Train,
            "data" => Self::Data,
            "eval" => Self::Eval,
            "server" => Self::Server,
            "jupyter" => Self::Jupyter,
            "model" => Self::Model,
            "driver" => Self::Driver,
            _ => Self::Generic,
        }
    }

    /// Guess from step/pod names, like a person reading them would.
    fn guess(hint: &str) -> Self {
        let h = hint.to_ascii_lowercase();
        if ["train", "finetune", "fit"].iter().any(|k| h.contains(k)) {
            Self::Train
        } else if ["eval", "validate", "test", "metric"]
            .iter()
            .any(|k| h.contains(k))
        {
            Self::Eval
        } else if [
            "prep", "load", "fetch", "data", "token", "ingest", "extract", "parquet", "split", "feature",
        ]
        .iter()
        .any(|k| h.contains(k))
        {
            Self::Data
        } else {
            Self::Generic
        }
    }

    /// Body lines per second relative to the configured log rate.
    fn rate_factor(self) -> f64 {
        match self {
            Self::Wait | Self::Init => 0.0,
            Self::Server | Self::Jupyter => 0.1,
            Self::Model => 0.2,
            Self::Driver => 0.0,
            Self::Eval => 0.5,
            _ => 1.0,
        }
    }
}

/// A position in a timeline: lines of each section already written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Cursor {
    header: usize,
    body: usize,
    footer: usize,
}

impl Cursor {
    fn max(self, o: Self) -> Self {
        Self {
            header: self.header.max(o.header),
            body: self.body.max(o.body),
            footer: self.footer.max(o.footer),
        }
    }
}

/// The log timeline of one container.
#[derive(Debug, Clone)]
pub struct Timeline {
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    /// When a running container is due to stop: nothing is written after it, even while the
    /// status has not caught up yet.
    due: Option<DateTime<Utc>>,
    exit_code: i64,
    rate: f64,
    profile: Profile,
    seed: u64,
    pod: String,
    namespace: String,
    error: String,
    header: Vec<String>,
    footer: Vec<String>,
}

const HEADER_GAP_MS: i64 = 7;

impl Timeline {
    fn header_ts(&self, i: usize) -> DateTime<Utc> {
        self.start + TimeDelta::milliseconds(HEADER_GAP_MS * i as i64)
    }

    fn body_ts(&self, i: usize) -> DateTime<Utc> {
        let offset = 1.0 + i as f64 / self.rate.max(1e-9);
        self.start + TimeDelta::microseconds((offset * 1e6) as i64)
    }

    fn footer_ts(&self, i: usize) -> DateTime<Utc> {
        self.end.unwrap_or(self.start) + TimeDelta::milliseconds(HEADER_GAP_MS * i as i64)
    }

    /// Body lines written by time `t` (before the container ended).
    fn body_count(&self, t: DateTime<Utc>) -> usize {
        if self.rate <= 0.0 {
            return 0;
        }
        let t = match self.end.or(self.due) {
            Some(end) if end < t => end - TimeDelta::microseconds(1),
            _ => t,
        };
        let elapsed = (t - self.start).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6 - 1.0;
        if elapsed < 0.0 {
            0
        } else {
            (elapsed * self.rate).floor() as usize + 1
        }
    }

    /// How many header, body and footer lines are written by `t`.
    fn counts(&self, t: DateTime<Utc>) -> Cursor {
        Cursor {
            header: (0..self.header.len())
                .take_while(|i| self.header_ts(*i) <= t)
                .count(),
            body: self.body_count(t),
            footer: if self.end.is_some_and(|e| e <= t) {
                self.footer.len()
            } else {
                0
            },
        }
    }

    /// The lines between two cursors, as (timestamp, text).
    fn range(&self, from: Cursor, to: Cursor) -> Vec<(DateTime<Utc>, String)> {
        let mut out = Vec::new();
        for i in from.header..to.header {
            if let Some(h) = self.header.get(i) {
                out.push((self.header_ts(i), h.clone()));
            }
        }
        out.extend((from.body..to.body).map(|i| (self.body_ts(i), self.body_line(i))));
        for i in from.footer..to.footer {
            if let Some(f) = self.footer.get(i) {
                out.push((self.footer_ts(i), f.clone()));
            }
        }
        out
    }

    /// Every line written by `t`, as (timestamp, text).
    fn lines(&self, t: DateTime<Utc>) -> Vec<(DateTime<Utc>, String)> {
        self.range(Cursor::default(), self.counts(t))
    }

    fn body_line(&self, i: usize) -> String {
        let mut r = Rng::new(self.seed ^ (i as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        match self.profile {
            Profile::Train => {
                let epochs = 20;
                let steps = 50;
                let epoch = (i / steps) % epochs + 1;
                let step = i % steps + 1;
                let progress = i as f64 / (epochs * steps) as f64;
                let loss = 2.3 * (-3.0 * progress).exp() + 0.08 + r.unit() * 0.05;
                let acc = (0.35 + 0.6 * (1.0 - (-4.0 * progress).exp()) + r.unit() * 0.02).min(0.999);
                if i > 0 && i.is_multiple_of(97) {
                    format!(
                        "\x1b[33mWARNING\x1b[0m: gradient norm {:.1} exceeds clip threshold 5.0; clipping",
                        5.0 + r.unit() * 20.0
                    )
                } else if step == steps {
                    format!(
                        "Epoch {epoch}/{epochs} finished - loss: {loss:.4} - accuracy: {acc:.4} - val_loss: {:.4} - val_accuracy: {:.4}",
                        loss + 0.03 + r.unit() * 0.04,
                        (acc - 0.02 - r.unit() * 0.02).max(0.0)
                    )
                } else {
                    format!(
                        "Epoch {epoch}/{epochs} step {step}/{steps} - loss: {loss:.4} - accuracy: {acc:.4} - lr: {:.2e}",
                        3e-4 * (1.0 - progress * 0.9)
                    )
                }
            }
            Profile::Data => {
                let shard = i / 8;
                let rows = (i as u64 + 1) * 12_500 + r.range(0, 999);
                if i % 8 == 7 {
                    format!(
                        "Wrote part-{shard:05}.parquet ({} rows, {:.1} MiB)",
                        100_000 + r.range(0, 4999),
                        38.0 + r.unit() * 6.0
                    )
                } else {
                    format!(
                        "Processed {rows} rows from gs://kf-demo-data/raw/shard-{shard:04}.csv ({} rows/s)",
                        r.range(18_000, 26_000)
                    )
                }
            }
            Profile::Eval => {
                let metric = *r
                    .pick(&["auc", "f1", "precision", "recall", "rmse"])
                    .unwrap_or(&"auc");
                format!(
                    "evaluating batch {} of 200: {metric}={:.4}",
                    i + 1,
                    0.80 + r.unit() * 0.15
                )
            }
            Profile::Server => {
                let path = *r
                    .pick(&[
                        "/apis/v2beta1/runs?page_size=20",
                        "/apis/v2beta1/pipelines",
                        "/apis/v2beta1/healthz",
                        "/apis/v2beta1/experiments",
                    ])
                    .unwrap_or(&"/healthz");
                format!(
                    "I{} {:>7} server.go:{}] GET {path} 200 {}ms",
                    self.body_ts(i).format("%m%d %H:%M:%S%.6f"),
                    1,
                    r.range(90, 400),
                    r.range(1, 40)
                )
            }
            Profile::Jupyter => {
                let (verb, path, code) = *r
                    .pick(&[
                        ("GET", "api/kernels", 200),
                        ("GET", "api/contents", 200),
                        ("GET", "api/sessions", 200),
                        ("PATCH", "api/sessions/3f1c", 200),
                        ("GET", "lab/api/workspaces", 200),
                        ("GET", "api/kernelspecs", 304),
                    ])
                    .unwrap_or(&("GET", "api/status", 200));
                format!(
                    "[I {} ServerApp] {code} {verb} /notebook/{}/{}/{path} (10.244.1.7) {:.2}ms",
                    self.body_ts(i).format("%Y-%m-%d %H:%M:%S%.3f"),
                    self.namespace,
                    self.pod.trim_end_matches("-0"),
                    r.unit() * 9.0 + 0.6
                )
            }
            Profile::Model => {
                let (path, code) = *r
                    .pick(&[
                        ("/v1/models/{m}:predict", 200),
                        ("/v2/models/{m}/infer", 200),
                        ("/v2/health/ready", 200),
                        ("/v1/models/{m}", 200),
                    ])
                    .unwrap_or(&("/v2/health/live", 200));
                let model = model_name(&self.pod);
                format!(
                    "\x1b[32mINFO\x1b[0m:     10.244.0.{}:{} - \"POST {} HTTP/1.1\" {code} OK ({:.1} ms)",
                    r.range(2, 40),
                    r.range(30000, 60000),
                    path.replace("{m}", model),
                    r.unit() * 20.0 + 1.5
                )
            }
            Profile::Generic | Profile::Wait | Profile::Init | Profile::Driver => {
                format!("[{}/{}] working: item {} ok", self.namespace, self.pod, i + 1)
            }
        }
    }
}

/// The InferenceService a model server pod serves, from its name (`iris-predictor-00001-…`).
fn model_name(pod: &str) -> &str {
    ["-predictor", "-transformer"]
        .iter()
        .find_map(|c| pod.split_once(c).map(|(m, _)| m))
        .unwrap_or(pod)
}

fn str_at<'a>(v: &'a Value, p: &str) -> Option<&'a str> {
    v.pointer(p).and_then(Value::as_str)
}

fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn names(pod: &Value, field: &str) -> Vec<String> {
    pod.pointer(&format!("/spec/{field}"))
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Picks the container the request is about, with the apiserver's error texts.
fn choose_container(pod: &Value, pod_name: &str, asked: Option<&str>) -> Result<String, ApiError> {
    let containers = names(pod, "containers");
    let inits = names(pod, "initContainers");
    match asked.filter(|c| !c.is_empty()) {
        Some(c) if containers.iter().chain(&inits).any(|n| n == c) => Ok(c.to_string()),
        Some(c) => Err(ApiError::bad_request(format!(
            "container {c} is not valid for pod {pod_name}"
        ))),
        None if containers.len() == 1 => Ok(containers.concat()),
        None => {
            let mut msg = format!(
                "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                containers.join(" ")
            );
            if !inits.is_empty() {
                msg.push_str(&format!(" or one of the init containers: [{}]", inits.join(" ")));
            }
            Err(ApiError::bad_request(msg))
        }
    }
}

/// The timeline of `container` in `pod`, or the kubelet's error when there is no log yet.
pub fn timeline(pod: &Value, opts: &LogOptions, rate: f64) -> Result<(String, Timeline), ApiError> {
    let pod_name = str_at(pod, "/metadata/name").unwrap_or("");
    let namespace = str_at(pod, "/metadata/namespace").unwrap_or("");
    let container = choose_container(pod, pod_name, opts.container.as_deref())?;
    let status = ["containerStatuses", "initContainerStatuses"]
        .iter()
        .filter_map(|f| pod.pointer(&format!("/status/{f}")).and_then(Value::as_array))
        .flatten()
        .find(|s| s.get("name").and_then(Value::as_str) == Some(container.as_str()));
    let waiting = |reason: &str| {
        ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{pod_name}\" is waiting to start: {reason}"
        ))
    };
    if opts.previous {
        // Only a restarted container has a previous instance.
        let last = status.and_then(|s| s.pointer("/lastState/terminated"));
        let Some(t) = last else {
            return Err(ApiError::bad_request(format!(
                "previous terminated container \"{container}\" in pod \"{pod_name}\" not found"
            )));
        };
        let end = parse_time(str_at(t, "/finishedAt"));
        let start = parse_time(str_at(t, "/startedAt"))
            .or(end)
            .unwrap_or_else(Utc::now);
        let annotations = pod.pointer("/metadata/annotations");
        let annotation = |k: &str| annotations.and_then(|a| a.get(k)).and_then(Value::as_str);
        let profile = annotation(PROFILE_ANNOTATION)
            .map(Profile::from_name)
            .unwrap_or_else(|| Profile::guess(pod_name));
        let mut tl = Timeline {
            start,
            end: end.or(Some(start)),
            due: None,
            exit_code: t.get("exitCode").and_then(Value::as_i64).unwrap_or(1),
            rate: rate * profile.rate_factor(),
            profile,
            seed: hash64(&format!(
                "{}/{container}/previous",
                str_at(pod, "/metadata/uid").unwrap_or(pod_name)
            )),
            pod: pod_name.into(),
            namespace: namespace.into(),
            error: annotation(PREVIOUS_ERROR)
                .or(annotation(ERROR_ANNOTATION))
                .unwrap_or("RuntimeError: container exited")
                .into(),
            header: Vec::new(),
            footer: Vec::new(),
        };
        tl.header = header(&tl, pod_name);
        tl.footer = footer(&tl);
        return Ok((container, tl));
    }
    let Some(status) = status else {
        return Err(waiting("ContainerCreating"));
    };
    let (start, end, exit_code) = if let Some(t) = status.pointer("/state/terminated") {
        let end = parse_time(str_at(t, "/finishedAt"));
        let start = parse_time(str_at(t, "/startedAt")).or(end);
        let code = t.get("exitCode").and_then(Value::as_i64).unwrap_or(0);
        (start, end, code)
    } else if let Some(r) = status.pointer("/state/running") {
        (parse_time(str_at(r, "/startedAt")), None, 0)
    } else {
        let reason = str_at(status, "/state/waiting/reason").unwrap_or("ContainerCreating");
        return Err(waiting(reason));
    };
    let start = start.unwrap_or_else(Utc::now);
    let annotations = pod.pointer("/metadata/annotations");
    let annotation = |k: &str| annotations.and_then(|a| a.get(k)).and_then(Value::as_str);
    let node_name = annotation("workflows.argoproj.io/node-name").unwrap_or(pod_name);
    let profile = match container.as_str() {
        "wait" => Profile::Wait,
        "init" => Profile::Init,
        _ => annotation(PROFILE_ANNOTATION)
            .map(Profile::from_name)
            .unwrap_or_else(|| Profile::guess(node_name)),
    };
    let own_rate = annotation(RATE_ANNOTATION)
        .and_then(|r| r.trim().parse::<f64>().ok())
        .filter(|r| r.is_finite() && *r >= 0.0);
    let mut tl = Timeline {
        start,
        end,
        due: end
            .is_none()
            .then(|| super::controllers::pods::planned_end(pod))
            .flatten(),
        exit_code,
        rate: own_rate.unwrap_or(rate * profile.rate_factor()),
        profile,
        seed: hash64(&format!(
            "{}/{container}",
            str_at(pod, "/metadata/uid").unwrap_or(pod_name)
        )),
        pod: pod_name.into(),
        namespace: namespace.into(),
        error: annotation(ERROR_ANNOTATION)
            .unwrap_or("RuntimeError: step failed")
            .into(),
        header: Vec::new(),
        footer: Vec::new(),
    };
    let scripted = annotation(&format!("{SCRIPTED_LOG}.{container}")).or(annotation(SCRIPTED_LOG));
    if let Some(text) = scripted {
        tl.header = text.lines().map(String::from).collect();
        tl.rate = 0.0;
    } else {
        tl.header = header(&tl, node_name);
        tl.footer = footer(&tl);
    }
    Ok((container, tl))
}

fn header(tl: &Timeline, node: &str) -> Vec<String> {
    let ts = tl.start.to_rfc3339_opts(SecondsFormat::Secs, true);
    match tl.profile {
        Profile::Wait => vec![
            format!("time=\"{ts}\" level=info msg=\"Starting Workflow Executor\" version=v3.5.10"),
            format!(
                "time=\"{ts}\" level=info msg=\"Using executor retry strategy\" Duration=1s Factor=1.6 Jitter=0.5 Steps=5"
            ),
            format!(
                "time=\"{ts}\" level=info msg=\"Executor initialized\" deadline=\"0001-01-01 00:00:00 +0000 UTC\" includeScriptOutput=false namespace={} podName={} templateName=main version=\"&Version{{Version:v3.5.10,BuildDate:2024-08-01T05:11:25Z,GitCommit:25829927431d9a0f46d17b72ae74aedb8d700884,GitTag:v3.5.10,GitTreeState:clean,GoVersion:go1.21.12,Compiler:gc,Platform:linux/amd64,}}\"",
                tl.namespace, tl.pod
            ),
            format!("time=\"{ts}\" level=info msg=\"Starting deadline monitor\""),
        ],
        Profile::Init => vec![
            format!("time=\"{ts}\" level=info msg=\"Starting Workflow Executor\" version=v3.5.10"),
            format!("time=\"{ts}\" level=info msg=\"Start loading input artifacts...\""),
            format!(
                "time=\"{ts}\" level=info msg=\"Alloc=9174 TotalAlloc=15212 Sys=24165 NumGC=4 Goroutines=7\""
            ),
        ],
        Profile::Train => vec![
            format!("Starting step {node}"),
            "Found 1 GPU(s): NVIDIA A100-SXM4-40GB (compute capability 8.0)".into(),
            "Loading dataset from /tmp/inputs/dataset/data (train=48000, val=12000)".into(),
            "Model parameters: 109,482,240 trainable".into(),
        ],
        Profile::Data => vec![
            format!("Starting step {node}"),
            "Reading input manifest gs://kf-demo-data/raw/manifest.json (64 shards)".into(),
        ],
        Profile::Eval => vec![
            format!("Starting step {node}"),
            "Loading model from /tmp/inputs/model/data".into(),
        ],
        Profile::Server => vec![
            "I0101 00:00:00.000000       1 main.go:92] Starting server".into(),
            "I0101 00:00:00.000000       1 main.go:130] Listening on :8888 (HTTP) and :8887 (gRPC)".into(),
        ],
        Profile::Jupyter => {
            let d = tl.start.format("%Y-%m-%d %H:%M:%S%.3f");
            let prefix = format!("/notebook/{}/{}/", tl.namespace, tl.pod.trim_end_matches("-0"));
            vec![
                format!("[I {d} ServerApp] jupyter_lsp | extension was successfully linked."),
                format!("[I {d} ServerApp] jupyter_server_terminals | extension was successfully linked."),
                format!("[I {d} ServerApp] jupyterlab | extension was successfully linked."),
                format!(
                    "[W {d} ServerApp] WARNING: The Jupyter server is listening on all IP addresses and not using encryption. This is not recommended."
                ),
                format!("[I {d} ServerApp] Serving notebooks from local directory: /home/jovyan"),
                format!("[I {d} ServerApp] Jupyter Server 2.14.2 is running at:"),
                format!("[I {d} ServerApp] http://{}:8888{prefix}lab", tl.pod),
                format!(
                    "[I {d} ServerApp] Use Control-C to stop this server and shut down all kernels (twice to skip confirmation)."
                ),
            ]
        }
        Profile::Model => {
            let model = model_name(&tl.pod).to_string();
            let mut h = vec![
                "\x1b[32mINFO\x1b[0m:root:Copying contents of /mnt/models to local".to_string(),
                format!("\x1b[32mINFO\x1b[0m:kserve:Registering model: {model}"),
                "\x1b[32mINFO\x1b[0m:kserve:Setting max asyncio worker threads as 12".into(),
                "\x1b[32mINFO\x1b[0m:kserve:Starting uvicorn with 1 workers".into(),
                "\x1b[32mINFO\x1b[0m:     Started server process [1]".into(),
                "\x1b[32mINFO\x1b[0m:     Waiting for application startup.".into(),
                "\x1b[32mINFO\x1b[0m:     Application startup complete.".into(),
                "\x1b[32mINFO\x1b[0m:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)"
                    .into(),
            ];
            if tl.exit_code != 0 {
                h.truncate(2);
            }
            h
        }
        Profile::Driver => vec![
            format!(
                "I{} 1 main.go:108] input ComponentSpec:{{\"executorLabel\":\"exec-{}\"}}",
                tl.start.format("%m%d %H:%M:%S%.6f"),
                node.rsplit('.')
                    .next()
                    .unwrap_or(node)
                    .trim_end_matches("-driver")
            ),
            format!(
                "I{} 1 cache.go:139] Cannot find the cache entry; cache disabled or new inputs",
                tl.start.format("%m%d %H:%M:%S%.6f")
            ),
            format!(
                "I{} 1 driver.go:989] parent DAG: id:42 name:\"run/{}\"",
                tl.start.format("%m%d %H:%M:%S%.6f"),
                tl.namespace
            ),
            format!(
                "I{} 1 main.go:201] output execution.ID=4{}",
                tl.start.format("%m%d %H:%M:%S%.6f"),
                tl.seed % 1000
            ),
        ],
        Profile::Generic => vec![format!("Starting step {node}")],
    }
}

fn footer(tl: &Timeline) -> Vec<String> {
    let ts = tl
        .end
        .unwrap_or(tl.start)
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    match (tl.profile, tl.exit_code) {
        (Profile::Wait, code) => vec![
            format!("time=\"{ts}\" level=info msg=\"Main container completed\" error=\"<nil>\""),
            format!("time=\"{ts}\" level=info msg=\"No output parameters\""),
            format!("time=\"{ts}\" level=info msg=\"Saving logs\""),
            format!(
                "time=\"{ts}\" level=info msg=\"Alloc=9342 TotalAlloc=19052 Sys=24421 NumGC=5 Goroutines=10\" exitCode={code}"
            ),
        ],
        (Profile::Init, _) => vec![format!("time=\"{ts}\" level=info msg=\"Successfully download file: /tmp/inputs\"")],
        (_, 0) => vec![
            "Writing outputs to /tmp/outputs/output_metadata.json".into(),
            "Step completed successfully".into(),
        ],
        (_, 143) => vec!["Received SIGTERM, shutting down".into()],
        (_, _) => vec![
            "Traceback (most recent call last):".into(),
            "  File \"/usr/local/lib/python3.11/site-packages/kfp/dsl/executor_main.py\", line 109, in <module>".into(),
            "    executor_main()".into(),
            "  File \"/usr/local/lib/python3.11/site-packages/kfp/dsl/executor_main.py\", line 101, in executor_main".into(),
            "    output_file = executor.execute()".into(),
            "  File \"/tmp/tmp.kfp/ephemeral_component.py\", line 42, in run".into(),
            "    result = step(**inputs)".into(),
            tl.error.clone(),
        ],
    }
}

fn render(lines: &[(DateTime<Utc>, String)], timestamps: bool) -> String {
    let mut out = String::new();
    for (ts, text) in lines {
        if timestamps {
            out.push_str(&ts.to_rfc3339_opts(SecondsFormat::Nanos, true));
            out.push(' ');
        }
        out.push_str(text);
        out.push('\n');
    }
    out
}

fn since(opts: &LogOptions, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    opts.since_time
        .or_else(|| opts.since_seconds.map(|s| now - TimeDelta::seconds(s)))
}

/// The log as it stands now (no follow).
pub fn snapshot(tl: &Timeline, opts: &LogOptions, now: DateTime<Utc>) -> String {
    let mut lines = tl.lines(now);
    if let Some(since) = since(opts, now) {
        lines.retain(|(ts, _)| *ts >= since);
    }
    if let Some(n) = opts.tail_lines {
        let skip = lines.len().saturating_sub(n);
        lines.drain(..skip);
    }
    let mut text = render(&lines, opts.timestamps);
    if let Some(limit) = opts.limit_bytes {
        let mut cut = limit.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

/// A follow stream: what is there now, then new lines as they are written, ending when the
/// container ends (or the pod goes away, or the server stops).
pub fn follow(
    store: Arc<Store>,
    pod_ns: String,
    pod_name: String,
    opts: LogOptions,
    rate: f64,
    first: Timeline,
    cancel: CancellationToken,
) -> mpsc::Receiver<Bytes> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let now = Utc::now();
        let mut sent = first.counts(now);
        let mut budget = opts.limit_bytes.unwrap_or(usize::MAX);
        let first_text = snapshot(&first, &opts, now);
        if !send_limited(&tx, first_text, &mut budget).await {
            return;
        }
        let fastest = rate.max(first.rate);
        let tick = Duration::from_millis(if fastest > 0.0 {
            ((1000.0 / fastest) as u64).clamp(20, 500)
        } else {
            500
        });
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tx.closed() => return,
                () = tokio::time::sleep(tick) => {}
            }
            // Refresh the container state (it may have ended).
            let fresh = store
                .get(types::pod_type(), &pod_ns, &pod_name)
                .and_then(|p| p.value())
                .and_then(|v| timeline(&v, &opts, rate));
            let Ok((_, tl)) = fresh else { return };
            let now = Utc::now();
            let upto = tl.counts(now).max(sent);
            let lines = tl.range(sent, upto);
            sent = upto;
            if !lines.is_empty() {
                let text = render(&lines, opts.timestamps);
                if !send_limited(&tx, text, &mut budget).await {
                    return;
                }
            }
            if tl.end.is_some_and(|e| e <= now) {
                return;
            }
        }
    });
    rx
}

async fn send_limited(tx: &mpsc::Sender<Bytes>, mut text: String, budget: &mut usize) -> bool {
    if text.len() > *budget {
        let mut cut = *budget;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    *budget -= text.len();
    if !text.is_empty() && tx.send(Bytes::from(text)).await.is_err() {
        return false;
    }
    *budget > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(state: Value) -> Value {
        json!({"metadata":{"name":"p","namespace":"ns","uid":"u1",
                "annotations":{"workflows.argoproj.io/node-name":"wf.train"}},
               "spec":{"containers":[{"name":"wait"},{"name":"main"}],"initContainers":[{"name":"init"}]},
               "status":{"containerStatuses":[{"name":"main","state":state}]}})
    }

    #[test]
    fn container_errors_use_apiserver_texts() {
        let p = pod(json!({"running":{"startedAt":"2024-01-01T00:00:00Z"}}));
        let err = |o: LogOptions| timeline(&p, &o, 2.0).err().map(|e| e.message);
        assert_eq!(
            err(LogOptions::default()),
            Some("a container name must be specified for pod p, choose one of: [wait main] or one of the init containers: [init]".into())
        );
        let bad = LogOptions {
            container: Some("nope".into()),
            ..LogOptions::default()
        };
        assert_eq!(err(bad), Some("container nope is not valid for pod p".into()));
        let waiting = pod(json!({"waiting":{"reason":"PodInitializing"}}));
        let main = LogOptions {
            container: Some("main".into()),
            ..LogOptions::default()
        };
        assert_eq!(
            timeline(&waiting, &main, 2.0).err().map(|e| e.message),
            Some("container \"main\" in pod \"p\" is waiting to start: PodInitializing".into())
        );
    }

    #[test]
    fn lines_are_deterministic_and_tail_works() {
        let p = pod(
            json!({"terminated":{"startedAt":"2024-01-01T00:00:00Z","finishedAt":"2024-01-01T00:00:30Z","exitCode":1}}),
        );
        let main = LogOptions {
            container: Some("main".into()),
            ..LogOptions::default()
        };
        let tl = timeline(&p, &main, 2.0).map(|(_, t)| t);
        let Ok(tl) = tl else { panic!("no timeline") };
        let now = Utc::now();
        let all = snapshot(&tl, &main, now);
        assert_eq!(all, snapshot(&tl, &main, now));
        assert!(all.contains("Epoch 1/20"));
        assert!(all.ends_with("RuntimeError: step failed\n"));
        let tail = LogOptions {
            tail_lines: Some(3),
            timestamps: true,
            ..main.clone()
        };
        let t = snapshot(&tl, &tail, now);
        assert_eq!(t.lines().count(), 3);
        assert!(t.starts_with("2024-01-01T00:00:30"));
        let limited = LogOptions {
            limit_bytes: Some(10),
            ..main
        };
        assert_eq!(snapshot(&tl, &limited, now).len(), 10);
    }

    #[test]
    fn a_pod_can_write_at_its_own_rate() {
        let mut p = pod(
            json!({"terminated":{"startedAt":"2024-01-01T00:00:00Z","finishedAt":"2024-01-01T00:00:11Z","exitCode":0}}),
        );
        p["metadata"]["annotations"][RATE_ANNOTATION] = json!("1000");
        p["metadata"]["annotations"][PROFILE_ANNOTATION] = json!("generic");
        let main = LogOptions {
            container: Some("main".into()),
            ..LogOptions::default()
        };
        let Ok((_, tl)) = timeline(&p, &main, 2.0) else {
            panic!("no timeline")
        };
        let text = snapshot(&tl, &main, Utc::now());
        let items: Vec<&str> = text.lines().filter(|l| l.contains("working: item")).collect();
        assert_eq!(items.len(), 10_000, "10 s of body at 1,000 lines a second");
        assert!(items[0].ends_with("item 1 ok") && items[9_999].ends_with("item 10000 ok"));
    }
}
