//! Prometheus's HTTP API (`/api/v1/query`, `/api/v1/query_range`): a model's traffic and a
//! training job's hardware, for the Models pane and the training detail.
//!
//! Prometheus is reached like KFP, through the API server's service proxy, at the first of the
//! usual services that answers ([`CANDIDATES`]), or at a URL the config names (`prometheus_url`,
//! `[context."X"] prometheus`): a full `http(s)://` URL, or `namespace/service:port` for a
//! service of the cluster. Every call has a deadline, and every poll runs in its own task: a slow
//! or absent Prometheus never holds up a frame, it only leaves the numbers empty.
//!
//! The queries use the metric names of a real KServe install: Knative's queue-proxy
//! (`revision_app_request_count`, `revision_app_request_latencies_bucket`, in milliseconds) and
//! autoscaler (`autoscaler_actual_pods`, `autoscaler_desired_pods`), dcgm-exporter
//! (`DCGM_FI_DEV_GPU_UTIL`, `DCGM_FI_DEV_FB_USED`) and cAdvisor
//! (`container_cpu_usage_seconds_total`, `container_memory_working_set_bytes`). One query per
//! panel per refresh: the list's columns come from `sum by` queries covering every
//! InferenceService at once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::kube::event::DataEvent;
use crate::kube::key::{Kind, SubKey};

/// How often the numbers are asked for again.
pub const EVERY: Duration = Duration::from_secs(15);
/// How long after a failure Prometheus is looked for again.
pub const RETRY: Duration = Duration::from_secs(60);
/// How long one query may take.
pub const DEADLINE: Duration = Duration::from_secs(5);
/// How far back the sparklines go.
pub const WINDOW_SECONDS: i64 = 15 * 60;
/// The step between two points of a sparkline.
pub const STEP_SECONDS: i64 = 15;

/// Where Prometheus usually runs: (namespace, service:port), tried in this order.
pub const CANDIDATES: &[(&str, &str)] = &[
    ("monitoring", "prometheus-k8s:9090"),
    ("monitoring", "prometheus-operated:9090"),
    ("monitoring", "prometheus-server:80"),
    ("monitoring", "prometheus:9090"),
    ("kubeflow", "prometheus:9090"),
    ("istio-system", "prometheus:9090"),
    ("knative-serving", "prometheus:9090"),
    ("knative-monitoring", "prometheus-system-np:8080"),
    ("prometheus", "prometheus-server:80"),
    ("default", "prometheus-operated:9090"),
];

/// Why Prometheus gave no numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromError {
    /// No Prometheus answers where it was looked for.
    #[error("no Prometheus answers ({0})")]
    Unreachable(String),
    /// Prometheus answered with an error (a bad query, a timeout on its side).
    #[error("Prometheus: {0}")]
    Api(String),
}

/// One series of an instant query.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// One series of a range query.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    /// (unix seconds, value)
    pub points: Vec<(f64, f64)>,
}

/// A Prometheus client: over the API server's service proxy, or straight to a URL.
#[derive(Clone)]
pub struct Prometheus {
    client: kube::Client,
    /// The path in front of `/api/v1/…` (the service proxy's, or empty).
    base: String,
    /// Where it is, in words.
    pub place: String,
    /// Queries sent and body bytes received, for the benchmark.
    pub queries: Arc<AtomicU64>,
    pub bytes: Arc<AtomicU64>,
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A PromQL string literal's content: `\` and `"` escaped.
pub fn lit(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A value of the API's `[time, "value"]` pair.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::String(s) => match s.as_str() {
            "+Inf" => Some(f64::INFINITY),
            "-Inf" => Some(f64::NEG_INFINITY),
            "NaN" => Some(f64::NAN),
            s => s.parse().ok(),
        },
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

fn labels_of(v: &Value) -> BTreeMap<String, String> {
    v.get("metric")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        crate::text::sanitized(k),
                        crate::text::sanitized(v.as_str().unwrap_or("")),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The `data.result` of an answer of `resultType`, or Prometheus's error.
fn result_of<'a>(answer: &'a Value, result_type: &str) -> Result<&'a Vec<Value>, PromError> {
    if answer.get("status").and_then(Value::as_str) != Some("success") {
        let error = answer
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("an answer without a status");
        return Err(PromError::Api(crate::text::sanitized(error)));
    }
    let data = answer
        .get("data")
        .ok_or_else(|| PromError::Api("an answer without data".into()))?;
    let kind = data.get("resultType").and_then(Value::as_str).unwrap_or("");
    if kind != result_type {
        return Err(PromError::Api(format!(
            "expected a {result_type}, got a {}",
            crate::text::sanitized(kind)
        )));
    }
    data.get("result")
        .and_then(Value::as_array)
        .ok_or_else(|| PromError::Api("an answer without a result".into()))
}

/// An instant query's answer (`resultType: vector`).
pub fn parse_vector(answer: &Value) -> Result<Vec<Sample>, PromError> {
    Ok(result_of(answer, "vector")?
        .iter()
        .filter_map(|r| {
            let value = number(r.get("value")?.get(1)?)?;
            Some(Sample {
                labels: labels_of(r),
                value,
            })
        })
        .collect())
}

/// A range query's answer (`resultType: matrix`).
pub fn parse_matrix(answer: &Value) -> Result<Vec<Series>, PromError> {
    Ok(result_of(answer, "matrix")?
        .iter()
        .map(|r| Series {
            labels: labels_of(r),
            points: r
                .get("values")
                .and_then(Value::as_array)
                .map(|vs| {
                    vs.iter()
                        .filter_map(|p| Some((p.get(0)?.as_f64()?, number(p.get(1)?)?)))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect())
}

/// The message of an error body: Prometheus's `error`, a Kubernetes Status's `message`, or
/// the text itself; and whether the API server (not Prometheus) said it.
fn error_text(body: &[u8]) -> (bool, String) {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => {
            let from_apiserver = v.get("kind").and_then(Value::as_str) == Some("Status");
            let msg = ["error", "message"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty()))
                .map_or_else(|| String::from_utf8_lossy(body).trim().to_string(), String::from);
            (from_apiserver, crate::text::sanitized(&msg))
        }
        Err(_) => (
            false,
            crate::text::sanitized(String::from_utf8_lossy(body).trim())
                .chars()
                .take(200)
                .collect(),
        ),
    }
}

impl Prometheus {
    /// Prometheus behind a Service of the cluster (`service` is `name:port`).
    pub fn via_service(client: kube::Client, namespace: &str, service: &str) -> Prometheus {
        Prometheus {
            client,
            base: format!("/api/v1/namespaces/{namespace}/services/{service}/proxy"),
            place: format!("service {namespace}/{service}"),
            queries: Arc::default(),
            bytes: Arc::default(),
        }
    }

    /// Prometheus at a URL (`http://host:9090`, a path prefix allowed).
    pub fn direct(url: &str) -> Result<Prometheus, PromError> {
        let uri: http::Uri = url
            .trim_end_matches('/')
            .parse()
            .map_err(|e| PromError::Unreachable(format!("bad Prometheus URL {url:?}: {e}")))?;
        let config = kube::Config::new(uri);
        let client = kube::Client::try_from(config)
            .map_err(|e| PromError::Unreachable(format!("Prometheus at {url}: {e}")))?;
        Ok(Prometheus {
            client,
            base: String::new(),
            place: url.to_string(),
            queries: Arc::default(),
            bytes: Arc::default(),
        })
    }

    /// The client for a configured place: a URL, or `namespace/service:port` of the cluster.
    pub fn configured(client: &kube::Client, place: &str) -> Result<Prometheus, PromError> {
        if place.contains("://") {
            return Prometheus::direct(place);
        }
        match place.split_once('/') {
            Some((ns, svc)) if !ns.is_empty() && !svc.is_empty() && !svc.contains('/') => {
                Ok(Prometheus::via_service(client.clone(), ns, svc))
            }
            _ => Err(PromError::Unreachable(format!(
                "{place:?} is neither a URL nor namespace/service:port"
            ))),
        }
    }

    /// The first place that answers: the configured one, else the usual services.
    pub async fn discover(client: &kube::Client, configured: Option<&str>) -> Result<Prometheus, PromError> {
        if let Some(place) = configured {
            let p = Prometheus::configured(client, place)?;
            p.get("/api/v1/status/buildinfo").await?;
            return Ok(p);
        }
        let tries = CANDIDATES.iter().map(|(ns, svc)| async move {
            let p = Prometheus::via_service(client.clone(), ns, svc);
            p.get("/api/v1/status/buildinfo").await.map(|_| p)
        });
        let answers = futures::future::join_all(tries).await;
        let mut last = None;
        for a in answers {
            match a {
                Ok(p) => return Ok(p),
                Err(e) => last = Some(e),
            }
        }
        let why = match last {
            Some(PromError::Unreachable(m) | PromError::Api(m)) => m,
            None => String::new(),
        };
        tracing::info!(
            "no Prometheus at the usual services ({}); the last said: {why}",
            CANDIDATES
                .iter()
                .map(|(ns, svc)| format!("{ns}/{svc}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        // Short enough for the status line of an 80-column terminal.
        Err(PromError::Unreachable("set prometheus_url".into()))
    }

    async fn get(&self, path_and_query: &str) -> Result<Value, PromError> {
        let uri = format!("{}{path_and_query}", self.base);
        let req = http::Request::builder()
            .method(http::Method::GET)
            .uri(&uri)
            .header(http::header::ACCEPT, "application/json")
            .body(kube::client::Body::from(Vec::new()))
            .map_err(|e| PromError::Unreachable(e.to_string()))?;
        self.queries.fetch_add(1, Ordering::Relaxed);
        let place = &self.place;
        let (status, body) = tokio::time::timeout(DEADLINE, async {
            let res = self.client.send(req).await.map_err(|e| {
                PromError::Unreachable(format!("{place}: {}", crate::kube::describe_error(&e)))
            })?;
            let status = res.status();
            let body = res.into_body().collect_bytes().await.map_err(|e| {
                PromError::Unreachable(format!("{place}: {}", crate::kube::describe_error(&e)))
            })?;
            Ok::<_, PromError>((status, body))
        })
        .await
        .map_err(|_| PromError::Unreachable(format!("{place}: no answer in {} s", DEADLINE.as_secs())))??;
        self.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| {
                PromError::Unreachable(format!("{place} answered something that is not JSON: {e}"))
            });
        }
        let (from_apiserver, message) = error_text(&body);
        let code = status.as_u16();
        // Prometheus's own errors are 400 (bad query), 422 (cannot execute) and 503 (timeout,
        // overload) with a JSON body of status "error"; anything else is the way there failing.
        if from_apiserver || !matches!(code, 400 | 422 | 503) || !message_is_prometheus(&body) {
            return Err(PromError::Unreachable(format!("{place}: {message} ({code})")));
        }
        Err(PromError::Api(format!("{message} ({code})")))
    }

    /// An instant query, at Prometheus's now.
    pub async fn query(&self, promql: &str) -> Result<Vec<Sample>, PromError> {
        parse_vector(&self.get(&format!("/api/v1/query?query={}", enc(promql))).await?)
    }

    /// A range query from `start` to `end` (unix seconds) every `step` seconds.
    pub async fn query_range(
        &self,
        promql: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<Vec<Series>, PromError> {
        parse_matrix(
            &self
                .get(&format!(
                    "/api/v1/query_range?query={}&start={start}&end={end}&step={step}",
                    enc(promql)
                ))
                .await?,
        )
    }
}

fn message_is_prometheus(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .is_some_and(|v| v.get("status").and_then(Value::as_str) == Some("error"))
}

/// The traffic of one InferenceService now (a revision's, or all of them together).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Traffic {
    /// Requests per second over the last minute.
    pub rps: Option<f64>,
    /// Latency quantiles, in milliseconds.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// 5xx answers per request.
    pub error_ratio: Option<f64>,
    /// Ready and desired pods (the Knative autoscaler's).
    pub ready: Option<f64>,
    pub desired: Option<f64>,
}

/// What a value of a panel measures, for how it is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    PerSecond,
    Millis,
    Ratio,
    Percent,
    MiB,
    Cores,
    Bytes,
}

/// One panel of sparklines: one line per series (a revision, a pod).
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub title: &'static str,
    pub unit: Unit,
    /// (what the line is, its values every step, NaN where nothing was known)
    pub series: Vec<(String, Vec<f64>)>,
    /// Why this panel has no lines, when its query failed.
    pub error: Option<String>,
}

/// Numbers from Prometheus, as the key that asked wants them.
#[derive(Debug, Clone, PartialEq)]
pub enum Metrics {
    /// Every InferenceService's traffic now, by (namespace, name).
    Models(BTreeMap<(String, String), Traffic>),
    /// The last 15 minutes of one model (series per revision) or one training job (per pod).
    History {
        /// Unix seconds of the first point.
        start: i64,
        panels: Vec<Panel>,
    },
}

/// The Knative configuration of an InferenceService's predictor, and back.
fn isvc_of(configuration: &str) -> &str {
    configuration
        .strip_suffix("-predictor")
        .or_else(|| configuration.strip_suffix("-predictor-default"))
        .unwrap_or(configuration)
}

/// A namespace matcher for Knative's labels, or nothing for all namespaces.
fn ns_matcher(label: &str, namespace: Option<&str>) -> String {
    namespace.map_or_else(String::new, |ns| format!("{label}=\"{}\"", lit(ns)))
}

/// The matchers of one model's Knative series.
fn model_matchers(namespace: &str, name: &str) -> String {
    format!(
        "namespace_name=\"{}\",configuration_name=\"{}-predictor\"",
        lit(namespace),
        lit(name)
    )
}

/// The list's queries (one per column), grouped by InferenceService.
pub fn model_queries(namespace: Option<&str>) -> [(&'static str, String); 6] {
    let m = ns_matcher("namespace_name", namespace);
    let by = "namespace_name, configuration_name";
    let count = format!("revision_app_request_count{{{m}}}");
    let errors = if m.is_empty() {
        "revision_app_request_count{response_code_class=\"5xx\"}".to_string()
    } else {
        format!("revision_app_request_count{{{m},response_code_class=\"5xx\"}}")
    };
    let bucket = format!("revision_app_request_latencies_bucket{{{m}}}");
    [
        ("rps", format!("sum by ({by}) (rate({count}[1m]))")),
        ("errors", format!("sum by ({by}) (rate({errors}[1m]))")),
        (
            "p50",
            format!("histogram_quantile(0.5, sum by ({by}, le) (rate({bucket}[1m])))"),
        ),
        (
            "p99",
            format!("histogram_quantile(0.99, sum by ({by}, le) (rate({bucket}[1m])))"),
        ),
        (
            "ready",
            format!("sum by ({by}) (max by ({by}, revision_name) (autoscaler_actual_pods{{{m}}}))"),
        ),
        (
            "desired",
            format!("sum by ({by}) (max by ({by}, revision_name) (autoscaler_desired_pods{{{m}}}))"),
        ),
    ]
}

/// Folds the answers of [`model_queries`] into each model's traffic.
pub fn fold_models(answers: &[(&str, Vec<Sample>)]) -> BTreeMap<(String, String), Traffic> {
    let mut out: BTreeMap<(String, String), Traffic> = BTreeMap::new();
    let mut errors: BTreeMap<(String, String), f64> = BTreeMap::new();
    for (what, samples) in answers {
        for s in samples {
            let ns = s.labels.get("namespace_name").cloned().unwrap_or_default();
            let name = isvc_of(s.labels.get("configuration_name").map_or("", String::as_str)).to_string();
            if name.is_empty() {
                continue;
            }
            let key = (ns, name);
            let v = (!s.value.is_nan()).then_some(s.value);
            let t = out.entry(key.clone()).or_default();
            match *what {
                "rps" => t.rps = v,
                "p50" => t.p50_ms = v,
                "p99" => t.p99_ms = v,
                "ready" => t.ready = v,
                "desired" => t.desired = v,
                "errors" => {
                    errors.insert(key, s.value);
                }
                _ => {}
            }
        }
    }
    for (key, t) in &mut out {
        t.error_ratio = match (t.rps, errors.get(key)) {
            (Some(r), Some(e)) if r > 0.0 => Some(e / r),
            (Some(r), None) if r > 0.0 => Some(0.0),
            _ => None,
        };
    }
    out
}

/// The panels of one model's detail (series per revision), with their queries.
pub fn model_panels(namespace: &str, name: &str) -> Vec<(&'static str, Unit, String)> {
    let m = model_matchers(namespace, name);
    let by = "revision_name";
    vec![
        (
            "requests/s",
            Unit::PerSecond,
            format!("sum by ({by}) (rate(revision_app_request_count{{{m}}}[1m]))"),
        ),
        (
            "p50 latency",
            Unit::Millis,
            format!(
                "histogram_quantile(0.5, sum by ({by}, le) (rate(revision_app_request_latencies_bucket{{{m}}}[1m])))"
            ),
        ),
        (
            "p99 latency",
            Unit::Millis,
            format!(
                "histogram_quantile(0.99, sum by ({by}, le) (rate(revision_app_request_latencies_bucket{{{m}}}[1m])))"
            ),
        ),
        (
            "errors",
            Unit::Ratio,
            format!(
                "(sum by ({by}) (rate(revision_app_request_count{{{m},response_code_class=\"5xx\"}}[1m])) \
                 or sum by ({by}) (rate(revision_app_request_count{{{m}}}[1m])) * 0) \
                 / sum by ({by}) (rate(revision_app_request_count{{{m}}}[1m]))"
            ),
        ),
    ]
}

/// A regular expression (PromQL's, anchored) for the pods of a training job: a TrainJob's
/// JobSet pods (`NAME-node-0-1-x7k2p`) and a legacy job's replicas (`NAME-worker-0`).
pub fn job_pods(name: &str) -> String {
    let escaped: String = name
        .chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                vec![c]
            } else {
                vec!['\\', '\\', c]
            }
        })
        .collect();
    format!(
        "{escaped}-(node-[0-9]+-[0-9]+-[a-z0-9]+|(master|worker|chief|ps|evaluator|launcher|scheduler|server)-[0-9]+)"
    )
}

/// The panels of one training job's detail (series per pod), with their queries.
pub fn training_panels(namespace: &str, name: &str) -> Vec<(&'static str, Unit, String)> {
    let m = format!("namespace=\"{}\",pod=~\"{}\"", lit(namespace), job_pods(name));
    vec![
        (
            "GPU utilisation",
            Unit::Percent,
            format!("avg by (pod) (DCGM_FI_DEV_GPU_UTIL{{{m}}})"),
        ),
        (
            "GPU memory",
            Unit::MiB,
            format!("sum by (pod) (DCGM_FI_DEV_FB_USED{{{m}}})"),
        ),
        (
            "CPU",
            Unit::Cores,
            format!(
                "sum by (pod) (rate(container_cpu_usage_seconds_total{{{m},container!=\"\",container!=\"POD\"}}[1m]))"
            ),
        ),
        (
            "memory",
            Unit::Bytes,
            format!(
                "sum by (pod) (container_memory_working_set_bytes{{{m},container!=\"\",container!=\"POD\"}})"
            ),
        ),
    ]
}

/// Puts a range query's series on the grid of `points` steps from `start`, named by `label`.
pub fn on_grid(series: &[Series], label: &str, start: i64, points: usize) -> Vec<(String, Vec<f64>)> {
    let mut out: Vec<(String, Vec<f64>)> = series
        .iter()
        .map(|s| {
            let mut values = vec![f64::NAN; points];
            for (t, v) in &s.points {
                let i = ((*t as i64 - start) as f64 / STEP_SECONDS as f64).round();
                if i >= 0.0 && (i as usize) < points {
                    values[i as usize] = *v;
                }
            }
            (s.labels.get(label).cloned().unwrap_or_default(), values)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The name a history key is about (`metadata.name=X` in its field).
fn subject(key: &SubKey) -> Option<(String, String)> {
    let name = key.field.as_deref()?.strip_prefix("metadata.name=")?;
    Some((key.namespace.clone()?, name.to_string()))
}

/// Asks Prometheus what `key` wants, once.
pub async fn fetch(prom: &Prometheus, key: &SubKey, now: i64) -> Result<Metrics, PromError> {
    match key.kind {
        Kind::ModelTraffic => {
            let queries = model_queries(key.namespace.as_deref());
            let answers = futures::future::join_all(
                queries
                    .iter()
                    .map(|(what, q)| async move { prom.query(q).await.map(|s| (*what, s)) }),
            )
            .await;
            let mut folded = Vec::with_capacity(answers.len());
            for a in answers {
                folded.push(a?);
            }
            Ok(Metrics::Models(fold_models(&folded)))
        }
        Kind::ModelHistory | Kind::TrainingHardware => {
            let (namespace, name) = subject(key)
                .ok_or_else(|| PromError::Api("a history without a namespace and name".into()))?;
            let (panels, label) = if key.kind == Kind::ModelHistory {
                (model_panels(&namespace, &name), "revision_name")
            } else {
                (training_panels(&namespace, &name), "pod")
            };
            let end = now - now.rem_euclid(STEP_SECONDS);
            let start = end - WINDOW_SECONDS;
            let points = (WINDOW_SECONDS / STEP_SECONDS + 1) as usize;
            let answers = futures::future::join_all(
                panels
                    .iter()
                    .map(|(_, _, q)| prom.query_range(q, start, end, STEP_SECONDS)),
            )
            .await;
            let mut out = Vec::with_capacity(panels.len());
            let mut unreachable = None;
            for ((title, unit, _), a) in panels.into_iter().zip(answers) {
                match a {
                    Ok(series) => out.push(Panel {
                        title,
                        unit,
                        series: on_grid(&series, label, start, points),
                        error: None,
                    }),
                    Err(e @ PromError::Unreachable(_)) => {
                        unreachable = Some(e);
                    }
                    Err(PromError::Api(m)) => out.push(Panel {
                        title,
                        unit,
                        series: Vec::new(),
                        error: Some(m),
                    }),
                }
            }
            match unreachable {
                Some(e) => Err(e),
                None => Ok(Metrics::History { start, panels: out }),
            }
        }
        _ => Err(PromError::Api(format!(
            "{:?} is not asked of Prometheus",
            key.kind
        ))),
    }
}

/// Polls Prometheus for `key` every [`EVERY`] until cancelled, sending
/// [`DataEvent::Metrics`]. `configured` is where the config says Prometheus is.
pub async fn poll<T: From<DataEvent> + Send>(
    client: kube::Client,
    key: SubKey,
    configured: Option<String>,
    tx: mpsc::Sender<T>,
    cancel: CancellationToken,
) {
    let mut prom: Option<Prometheus> = None;
    loop {
        if prom.is_none() {
            let found = tokio::select! {
                () = cancel.cancelled() => return,
                found = Prometheus::discover(&client, configured.as_deref()) => found,
            };
            match found {
                Ok(p) => prom = Some(p),
                Err(e) => {
                    tracing::info!("Prometheus for {:?}: {e}", key.kind);
                    let event = DataEvent::Metrics {
                        key: key.clone(),
                        result: Err(e.to_string()),
                    };
                    if tx.send(T::from(event)).await.is_err() {
                        return;
                    }
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        () = tokio::time::sleep(RETRY) => continue,
                    }
                }
            }
        }
        let Some(p) = prom.as_ref() else { continue };
        let now = chrono::Utc::now().timestamp();
        let answer = tokio::select! {
            () = cancel.cancelled() => return,
            answer = fetch(p, &key, now) => answer,
        };
        let (result, wait) = match answer {
            Ok(m) => (Ok(Arc::new(m)), EVERY),
            Err(e) => {
                tracing::info!("Prometheus at {}: {e}", p.place);
                if matches!(e, PromError::Unreachable(_)) {
                    prom = None; // look for it again
                }
                (Err(e.to_string()), EVERY)
            }
        };
        let event = DataEvent::Metrics {
            key: key.clone(),
            result,
        };
        if tx.send(T::from(event)).await.is_err() {
            return;
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vectors_and_matrices_parse() {
        let v = json!({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"namespace_name": "ns", "configuration_name": "iris-predictor"}, "value": [1700000000.5, "2.5"]},
            {"metric": {"namespace_name": "ns", "configuration_name": "nan-predictor"}, "value": [1700000000.5, "NaN"]},
        ]}});
        let s = parse_vector(&v).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].value, 2.5);
        assert!(s[1].value.is_nan());
        let m = json!({"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"revision_name": "iris-predictor-00001\u{1b}[2J"}, "values": [[1000, "1"], [1015, "3"]]},
        ]}});
        let series = parse_matrix(&m).unwrap();
        assert_eq!(series[0].points, vec![(1000.0, 1.0), (1015.0, 3.0)]);
        assert_eq!(series[0].labels["revision_name"], "iris-predictor-00001␛[2J");
        let grid = on_grid(&series, "revision_name", 1000, 3);
        assert_eq!(grid[0].1[..2], [1.0, 3.0]);
        assert!(grid[0].1[2].is_nan());
        let err = json!({"status": "error", "errorType": "bad_data", "error": "parse error at char 3"});
        assert_eq!(
            parse_vector(&err),
            Err(PromError::Api("parse error at char 3".into()))
        );
        assert!(parse_vector(&m).is_err(), "a matrix is not a vector");
    }

    #[test]
    fn columns_fold_by_model_with_error_ratios() {
        let s = |conf: &str, v: f64| Sample {
            labels: [
                ("namespace_name".to_string(), "ns".to_string()),
                ("configuration_name".to_string(), conf.to_string()),
            ]
            .into(),
            value: v,
        };
        let answers = vec![
            ("rps", vec![s("iris-predictor", 4.0), s("idle-predictor", 0.0)]),
            ("errors", vec![s("iris-predictor", 1.0)]),
            (
                "p50",
                vec![s("iris-predictor", 12.0), s("idle-predictor", f64::NAN)],
            ),
            ("ready", vec![s("iris-predictor", 2.0)]),
        ];
        let m = fold_models(&answers);
        let iris = m[&("ns".to_string(), "iris".to_string())];
        assert_eq!(iris.rps, Some(4.0));
        assert_eq!(iris.error_ratio, Some(0.25));
        assert_eq!(iris.p50_ms, Some(12.0));
        assert_eq!(iris.ready, Some(2.0));
        let idle = m[&("ns".to_string(), "idle".to_string())];
        assert_eq!((idle.rps, idle.p50_ms, idle.error_ratio), (Some(0.0), None, None));
    }

    #[test]
    fn queries_name_knative_and_dcgm_series() {
        let q = model_queries(Some("team-a"));
        assert_eq!(
            q[0].1,
            "sum by (namespace_name, configuration_name) (rate(revision_app_request_count{namespace_name=\"team-a\"}[1m]))"
        );
        assert!(model_queries(None)[1].1.contains("{response_code_class=\"5xx\"}"));
        let t = training_panels("ns", "mnist.v2");
        assert!(
            t[0].2
                .starts_with("avg by (pod) (DCGM_FI_DEV_GPU_UTIL{namespace=\"ns\",pod=~\"mnist\\\\.v2-(")
        );
        assert_eq!(enc("a b{c=\"d\"}"), "a%20b%7Bc%3D%22d%22%7D");
        assert_eq!(
            error_text(br#"{"kind":"Status","message":"services \"prometheus-k8s\" not found"}"#),
            (true, "services \"prometheus-k8s\" not found".into())
        );
    }
}
