//! What the embedded cluster's pods say to Prometheus: `/metrics` in the Prometheus text format
//! (version 0.0.4), reached the way a Prometheus outside the cluster reaches a pod, through the
//! API server's pod proxy (`/api/v1/namespaces/{ns}/pods/{pod}:{port}/proxy/metrics`).
//!
//! - A KServe predictor pod answers with what KServe's metric aggregation merges on one port:
//!   the queue-proxy's Knative metrics (`revision_request_count`, `revision_app_request_count`,
//!   `revision_app_request_latencies_*`, in milliseconds), the model server's
//!   `request_predict_seconds_*`, and the Knative autoscaler's `autoscaler_desired_pods` and
//!   `autoscaler_actual_pods` for its revision.
//! - A training pod answers with what a node's dcgm-exporter says about the GPU the pod holds
//!   (`DCGM_FI_DEV_GPU_UTIL`, `DCGM_FI_DEV_FB_USED`, `DCGM_FI_DEV_FB_FREE`, labelled with the
//!   pod, namespace and container as dcgm-exporter's pod mapping does) and what the kubelet's
//!   cAdvisor says about its container (`container_cpu_usage_seconds_total`,
//!   `container_memory_working_set_bytes`).
//!
//! The numbers are the sum of a steady synthetic traffic (for InferenceServices annotated with
//! [`TRAFFIC_ANNOTATION`], so that graphs of the demo are not flat) and every request really sent
//! to the predictor through the service proxy ([`Traffic::record`]), so a test request shows.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::sim::controllers::kit;
use crate::sim::error::ApiError;
use crate::sim::rng::hash64;
use crate::sim::store::Store;
use crate::sim::types;

/// An InferenceService annotation: the requests per second of steady synthetic traffic.
pub const TRAFFIC_ANNOTATION: &str = "sim.kftui.dev/traffic";

/// The queue-proxy's latency buckets, in milliseconds (Knative's `defaultLatencyDistribution`).
pub const KNATIVE_BUCKETS_MS: [f64; 26] = [
    5.0, 10.0, 20.0, 40.0, 60.0, 80.0, 100.0, 150.0, 200.0, 250.0, 300.0, 350.0, 400.0, 450.0, 500.0, 600.0,
    700.0, 800.0, 900.0, 1000.0, 2000.0, 5000.0, 10000.0, 20000.0, 50000.0, 100000.0,
];

/// The model server's latency buckets, in seconds (prometheus_client's defaults).
pub const PREDICT_BUCKETS_S: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The GPU every simulated node has.
const GPU_MODEL: &str = "NVIDIA A100-SXM4-80GB";
/// Its memory, in MiB.
const GPU_MEMORY_MIB: f64 = 81920.0;
/// The period of the synthetic traffic's swell, in seconds.
const SWELL_SECONDS: f64 = 300.0;

/// What one revision's pod served for real, since the cluster started.
#[derive(Debug, Clone, Default, PartialEq)]
struct Served {
    /// Requests by response code.
    by_code: BTreeMap<u16, u64>,
    /// Cumulative counts per Knative bucket (milliseconds).
    buckets_ms: Vec<u64>,
    /// Cumulative counts per model-server bucket (seconds).
    buckets_s: Vec<u64>,
    sum_ms: f64,
    count: u64,
}

impl Served {
    fn add(&mut self, code: u16, latency_ms: f64) {
        if self.buckets_ms.is_empty() {
            self.buckets_ms = vec![0; KNATIVE_BUCKETS_MS.len()];
            self.buckets_s = vec![0; PREDICT_BUCKETS_S.len()];
        }
        *self.by_code.entry(code).or_default() += 1;
        for (n, le) in self.buckets_ms.iter_mut().zip(KNATIVE_BUCKETS_MS) {
            if latency_ms <= le {
                *n += 1;
            }
        }
        for (n, le) in self.buckets_s.iter_mut().zip(PREDICT_BUCKETS_S) {
            if latency_ms / 1000.0 <= le {
                *n += 1;
            }
        }
        self.sum_ms += latency_ms;
        self.count += 1;
    }
}

/// The requests the predictors really served, by (namespace, revision).
#[derive(Debug, Default)]
pub struct Traffic {
    served: Mutex<HashMap<(String, String), Served>>,
    requests: std::sync::atomic::AtomicU64,
}

/// The typical latency of a model format, in milliseconds (the median of the synthetic traffic).
pub fn median_ms(format: &str) -> f64 {
    match format {
        "sklearn" => 12.0,
        "xgboost" => 18.0,
        "lightgbm" => 15.0,
        "pytorch" => 45.0,
        "tensorflow" => 40.0,
        "huggingface" => 90.0,
        _ => 30.0,
    }
}

/// The latency of request number `n` of a revision: log-normal around the format's median,
/// a canary (a newer revision) a little slower.
fn latency_of(format: &str, canary: bool, n: u64, revision: &str) -> f64 {
    let u = (hash64(&format!("{revision}/{n}")) % 10_000) as f64 / 10_000.0;
    let z = inverse_normal(u.clamp(0.0005, 0.9995));
    let median = median_ms(format) * if canary { 1.4 } else { 1.0 };
    median * (0.45 * z).exp()
}

impl Traffic {
    /// Numbers the requests (to route each to a revision by the traffic split).
    pub fn requests(&self) -> u64 {
        self.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// Records one request a predictor answered with `code`; the answer is how long the model
    /// takes, which the proxy waits before answering.
    pub fn record(&self, ns: &str, revision: &str, format: &str, canary: bool, code: u16) -> Duration {
        let mut served = self
            .served
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = served.entry((ns.to_string(), revision.to_string())).or_default();
        let latency = latency_of(format, canary, entry.count, revision);
        entry.add(code, latency);
        Duration::from_micros((latency * 1000.0) as u64)
    }

    fn served(&self, ns: &str, revision: &str) -> Served {
        self.served
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(ns.to_string(), revision.to_string()))
            .cloned()
            .unwrap_or_default()
    }
}

/// The revision a request to an InferenceService goes to: the canary (`latestRevision`) for its
/// percent of requests, else the previous one. `n` numbers the requests.
pub fn route(isvc: &Value, n: u64) -> Option<(String, bool)> {
    let traffic = isvc
        .pointer("/status/components/predictor/traffic")
        .and_then(Value::as_array)?;
    let pick = hash64(&format!("route/{n}")) % 100;
    let mut acc = 0;
    for t in traffic {
        let pct = t.get("percent").and_then(Value::as_u64).unwrap_or(0);
        acc += pct;
        if pick < acc {
            let canary = traffic.len() > 1 && t.get("latestRevision").and_then(Value::as_bool) == Some(true);
            return Some((kit::s(t, "/revisionName").to_string(), canary));
        }
    }
    traffic
        .first()
        .map(|t| (kit::s(t, "/revisionName").to_string(), false))
}

/// The share of an InferenceService's traffic a revision takes, and whether it is the canary.
fn share(isvc: &Value, revision: &str) -> (f64, bool) {
    let traffic = isvc
        .pointer("/status/components/predictor/traffic")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    traffic
        .iter()
        .find(|t| kit::s(t, "/revisionName") == revision)
        .map_or((0.0, false), |t| {
            (
                t.get("percent").and_then(Value::as_f64).unwrap_or(0.0) / 100.0,
                traffic.len() > 1 && t.get("latestRevision").and_then(Value::as_bool) == Some(true),
            )
        })
}

/// The standard normal CDF (Abramowitz and Stegun 7.1.26, error below 1.5e-7).
pub fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// The inverse of [`normal_cdf`], by bisection (precise enough for simulated latencies).
fn inverse_normal(p: f64) -> f64 {
    let (mut lo, mut hi) = (-8.0_f64, 8.0_f64);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// Requests of the synthetic traffic at `rate` per second, `secs` seconds after a pod started:
/// the integral of a rate that swells by ±30 % over five minutes (never decreasing).
pub fn synthetic_count(rate: f64, secs: f64) -> f64 {
    if rate <= 0.0 || secs <= 0.0 {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI / SWELL_SECONDS;
    rate * secs + rate * 0.3 / w * (1.0 - (w * secs).cos())
}

/// The Prometheus text format, written family by family.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
}

/// A label value as the text format wants it: `\`, `"` and newlines escaped.
pub fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value: integers without a fraction, infinities and NaN by their text names.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

impl Exposition {
    /// `# HELP` and `# TYPE` of a family.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    /// One sample.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{k}=\"{}\"", escape_label(v));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", format_value(value));
    }

    /// A histogram's `_bucket` (cumulative, with `+Inf`), `_sum` and `_count`.
    pub fn histogram(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        bounds: &[f64],
        cumulative: &[f64],
        sum: f64,
        count: f64,
    ) {
        let bucket = format!("{name}_bucket");
        for (le, n) in bounds.iter().zip(cumulative) {
            let le = format_le(*le);
            let mut l = labels.to_vec();
            l.push(("le", &le));
            self.sample(&bucket, &l, *n);
        }
        let mut l = labels.to_vec();
        l.push(("le", "+Inf"));
        self.sample(&bucket, &l, count);
        self.sample(&format!("{name}_sum"), labels, sum);
        self.sample(&format!("{name}_count"), labels, count);
    }

    pub fn finish(self) -> String {
        self.text
    }
}

/// A bucket bound as client libraries print it (`5`, `0.005`).
fn format_le(le: f64) -> String {
    format!("{le}")
}

/// Seconds from `start` to `now`, never negative.
fn since(start: Option<DateTime<Utc>>, now: DateTime<Utc>) -> f64 {
    start.map_or(0.0, |s| ((now - s).num_milliseconds() as f64 / 1000.0).max(0.0))
}

/// A pod whose `Ready` condition is true (a crash-looping one is running but not ready).
fn pod_ready(pod: &Value) -> bool {
    let condition = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
    let waiting = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .is_some_and(|cs| cs.iter().any(|c| c.pointer("/state/waiting").is_some()));
    condition && !waiting
}

fn running(pod: &Value) -> bool {
    kit::s(pod, "/status/phase") == "Running"
}

/// `/metrics` of a pod, or why it has none (the API server's words for a pod that cannot be
/// reached).
pub fn pod_metrics(
    store: &Store,
    traffic: &Traffic,
    ns: &str,
    pod_name: &str,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let pod = store.get(types::pod_type(), ns, pod_name)?.value()?;
    if !running(&pod) {
        return Err(ApiError::new(
            503,
            "ServiceUnavailable",
            format!("error trying to reach service: pod {pod_name} is not running"),
        ));
    }
    let labels = |k: &str| kit::s(&pod, &format!("/metadata/labels/{}", k.replace('/', "~1"))).to_string();
    let isvc = labels("serving.kserve.io/inferenceservice");
    if !isvc.is_empty() && labels("component") == "predictor" {
        return predictor_metrics(store, traffic, &pod, ns, &isvc, now);
    }
    if gpus(&pod) > 0 {
        return Ok(training_metrics(&pod, ns, now));
    }
    Err(ApiError::new(
        404,
        "NotFound",
        format!("pod {pod_name} serves no /metrics"),
    ))
}

/// The GPUs a pod's containers ask for.
pub(crate) fn gpus(pod: &Value) -> u64 {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| {
                    let r = c.get("resources")?;
                    ["limits", "requests"].iter().find_map(|k| {
                        let v = r.get(*k)?.get("nvidia.com/gpu")?;
                        v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_u64())
                    })
                })
                .sum()
        })
        .unwrap_or(0)
}

fn predictor_metrics(
    store: &Store,
    traffic: &Traffic,
    pod: &Value,
    ns: &str,
    isvc_name: &str,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let isvc_t = types::find("serving.kserve.io", "inferenceservices").ok_or_else(ApiError::no_route)?;
    let isvc = store.get(isvc_t, ns, isvc_name)?.value()?;
    let format = crate::sim::controllers::kserve::model_format(&isvc);
    let pod_name = kit::s(pod, "/metadata/name");
    let revision = kit::s(pod, "/metadata/labels/serving.knative.dev~1revision").to_string();
    let configuration = format!("{isvc_name}-predictor");
    let (share, canary) = share(&isvc, &revision);
    let rate = kit::annotation(&isvc, TRAFFIC_ANNOTATION)
        .and_then(|r| r.parse::<f64>().ok())
        .filter(|r| r.is_finite() && *r > 0.0)
        .unwrap_or(0.0);
    let started = kit::time_at(pod, "/status/startTime");
    let n = synthetic_count(rate * share, since(started, now)).floor();
    let error_share = if canary { 0.02 } else { 0.004 };
    let errors = (n * error_share).floor();
    let median = median_ms(&format) * if canary { 1.4 } else { 1.0 };
    let cdf = |le_ms: f64| normal_cdf((le_ms / median).ln() / 0.45);
    let served = traffic.served(ns, &revision);
    let real_bucket = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0) as f64;
    let ms_buckets: Vec<f64> = KNATIVE_BUCKETS_MS
        .iter()
        .enumerate()
        .map(|(i, le)| (n * cdf(*le)).floor() + real_bucket(&served.buckets_ms, i))
        .collect();
    let s_buckets: Vec<f64> = PREDICT_BUCKETS_S
        .iter()
        .enumerate()
        .map(|(i, le)| (n * cdf(le * 1000.0 / 0.92)).floor() + real_bucket(&served.buckets_s, i))
        .collect();
    let mean_ms = median * (0.45_f64 * 0.45 / 2.0).exp();
    let count = n + served.count as f64;
    let sum_ms = n * mean_ms + served.sum_ms;
    let mut by_code: BTreeMap<u16, f64> = BTreeMap::new();
    by_code.insert(200, n - errors);
    if errors > 0.0 {
        by_code.insert(500, errors);
    }
    for (code, k) in &served.by_code {
        *by_code.entry(*code).or_default() += *k as f64;
    }
    let base = [
        ("configuration_name", configuration.as_str()),
        ("container_name", "queue-proxy"),
        ("namespace_name", ns),
        ("pod_name", pod_name),
        ("revision_name", revision.as_str()),
        ("service_name", configuration.as_str()),
    ];
    let mut out = Exposition::default();
    for (family, help) in [
        (
            "revision_request_count",
            "The number of requests that are routed to queue-proxy",
        ),
        (
            "revision_app_request_count",
            "The number of requests that are routed to user-container",
        ),
    ] {
        out.family(family, "counter", help);
        for (code, k) in &by_code {
            let code_s = code.to_string();
            let class = format!("{}xx", code / 100);
            let mut l = base.to_vec();
            l.push(("response_code", &code_s));
            l.push(("response_code_class", &class));
            out.sample(family, &l, *k);
        }
    }
    for (family, help, overhead) in [
        (
            "revision_request_latencies",
            "The response time in millisecond",
            1.0,
        ),
        (
            "revision_app_request_latencies",
            "The response time in millisecond",
            0.0,
        ),
    ] {
        out.family(family, "histogram", help);
        // The queue-proxy's own latency adds about a millisecond to the container's.
        let shifted: Vec<f64> = if overhead > 0.0 {
            KNATIVE_BUCKETS_MS
                .iter()
                .enumerate()
                .map(|(i, le)| (n * cdf(le - overhead)).floor() + real_bucket(&served.buckets_ms, i))
                .collect()
        } else {
            ms_buckets.clone()
        };
        out.histogram(
            family,
            &base,
            &KNATIVE_BUCKETS_MS,
            &shifted,
            sum_ms + overhead * count,
            count,
        );
    }
    out.family(
        "revision_queue_depth",
        "gauge",
        "The current number of items in the serving and waiting queue",
    );
    out.sample("revision_queue_depth", &base, 0.0);
    out.family("request_predict_seconds", "histogram", "predict request latency");
    out.histogram(
        "request_predict_seconds",
        &[("model_name", isvc_name)],
        &PREDICT_BUCKETS_S,
        &s_buckets,
        sum_ms * 0.92 / 1000.0,
        count,
    );
    let pods = kit::pods_of(store, ns, &format!("serving.knative.dev/revision={revision}"));
    let ready = pods.iter().filter(|p| pod_ready(p)).count() as f64;
    let desired = if kit::annotation(&isvc, crate::sim::controllers::kserve::STOP_ANNOTATION) == Some("true")
    {
        0.0
    } else {
        isvc.pointer("/spec/predictor/minReplicas")
            .and_then(Value::as_f64)
            .unwrap_or(1.0)
            .max(1.0)
    };
    let scaler = [
        ("configuration_name", configuration.as_str()),
        ("namespace_name", ns),
        ("revision_name", revision.as_str()),
        ("service_name", configuration.as_str()),
    ];
    out.family(
        "autoscaler_desired_pods",
        "gauge",
        "Number of pods autoscaler wants to allocate",
    );
    out.sample("autoscaler_desired_pods", &scaler, desired);
    out.family(
        "autoscaler_actual_pods",
        "gauge",
        "Number of pods that are allocated currently in ready state",
    );
    out.sample("autoscaler_actual_pods", &scaler, ready);
    Ok(out.finish())
}

/// The pods with `/metrics`, in the format of Prometheus's HTTP service discovery
/// (`http_sd_configs`): each scraped through the API server at `api` (`host:port`), by its pod
/// proxy path, with `instance` set to `namespace/pod`. This is what `kubernetes_sd_configs`
/// with the usual relabelling finds in a real cluster.
pub fn targets(store: &Store, api: &str) -> Value {
    let filter = crate::sim::store::Filter::default();
    let pods = store
        .list(types::pod_type(), &filter, None, None)
        .map(|p| p.items.iter().filter_map(|i| i.value().ok()).collect::<Vec<_>>())
        .unwrap_or_default();
    let groups: Vec<Value> = pods
        .iter()
        .filter(|p| running(p))
        .filter(|p| {
            kit::s(p, "/metadata/labels/component") == "predictor"
                && !kit::s(p, "/metadata/labels/serving.kserve.io~1inferenceservice").is_empty()
                || gpus(p) > 0
        })
        .map(|p| {
            let (ns, name) = (kit::s(p, "/metadata/namespace"), kit::s(p, "/metadata/name"));
            serde_json::json!({
                "targets": [api],
                "labels": {
                    "__metrics_path__": format!("/api/v1/namespaces/{ns}/pods/{name}/proxy/metrics"),
                    "instance": format!("{ns}/{name}"),
                },
            })
        })
        .collect();
    Value::Array(groups)
}

/// A value between `lo` and `hi` that drifts with time, different per pod and per series.
pub(crate) fn drift(pod: &str, series: &str, secs: f64, lo: f64, hi: f64) -> f64 {
    let phase = (hash64(&format!("{pod}/{series}")) % 1000) as f64 / 1000.0 * std::f64::consts::TAU;
    let slow = (secs / 180.0 * std::f64::consts::TAU + phase).sin();
    let fast = (secs / 23.0 * std::f64::consts::TAU + phase * 2.0).sin();
    let x = 0.5 + 0.35 * slow + 0.15 * fast;
    lo + (hi - lo) * x.clamp(0.0, 1.0)
}

fn training_metrics(pod: &Value, ns: &str, now: DateTime<Utc>) -> String {
    let pod_name = kit::s(pod, "/metadata/name");
    let node = kit::s(pod, "/spec/nodeName");
    let container = kit::s(pod, "/spec/containers/0/name");
    let image = kit::s(pod, "/spec/containers/0/image");
    let secs = since(kit::time_at(pod, "/status/startTime"), now);
    // The first half minute loads data and the model: the GPU idles, memory fills.
    let warm = (secs / 30.0).min(1.0);
    let mut out = Exposition::default();
    let gpus = gpus(pod);
    let uuids: Vec<String> = (0..gpus)
        .map(|g| format!("GPU-{}", kit::uuid_for(&format!("{node}/{pod_name}/gpu{g}"))))
        .collect();
    let dcgm = |out: &mut Exposition, name: &str, value: &dyn Fn(u64) -> f64| {
        for (g, uuid) in uuids.iter().enumerate() {
            let (gpu, device) = (g.to_string(), format!("nvidia{g}"));
            let labels = [
                ("gpu", gpu.as_str()),
                ("UUID", uuid.as_str()),
                ("device", device.as_str()),
                ("modelName", GPU_MODEL),
                ("Hostname", node),
                ("DCGM_FI_DRIVER_VERSION", "550.54.15"),
                ("container", container),
                ("namespace", ns),
                ("pod", pod_name),
            ];
            out.sample(name, &labels, value(g as u64));
        }
    };
    out.family("DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilization (in %).");
    dcgm(&mut out, "DCGM_FI_DEV_GPU_UTIL", &|g| {
        (warm * drift(pod_name, &format!("util{g}"), secs, 72.0, 99.0)).round()
    });
    let used = |g: u64| (warm * drift(pod_name, &format!("fb{g}"), secs, 52_000.0, 61_000.0)).round();
    out.family(
        "DCGM_FI_DEV_FB_USED",
        "gauge",
        "Framebuffer memory used (in MiB).",
    );
    dcgm(&mut out, "DCGM_FI_DEV_FB_USED", &used);
    out.family(
        "DCGM_FI_DEV_FB_FREE",
        "gauge",
        "Framebuffer memory free (in MiB).",
    );
    dcgm(&mut out, "DCGM_FI_DEV_FB_FREE", &|g| GPU_MEMORY_MIB - used(g));
    let id = format!("/kubepods/pod{}/{container}", kit::s(pod, "/metadata/uid"));
    let labels = [
        ("container", container),
        ("id", id.as_str()),
        ("image", image),
        ("name", container),
        ("namespace", ns),
        ("pod", pod_name),
    ];
    out.family(
        "container_cpu_usage_seconds_total",
        "counter",
        "Cumulative cpu time consumed in seconds.",
    );
    // About three cores, a little less while warming up: the integral stays increasing.
    out.sample(
        "container_cpu_usage_seconds_total",
        &labels,
        (secs * 3.1 - 30.0 * (1.0 - warm) * 1.5).max(0.0),
    );
    out.family(
        "container_memory_working_set_bytes",
        "gauge",
        "Current working set in bytes.",
    );
    out.sample(
        "container_memory_working_set_bytes",
        &labels,
        (warm * drift(pod_name, "mem", secs, 9.0e9, 11.5e9)).round(),
    );
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_format_escapes_and_writes_histograms() {
        let mut e = Exposition::default();
        e.family("x_total", "counter", "help text");
        e.sample("x_total", &[("a", "q\"uo\\te\nnl")], 3.0);
        e.histogram("h", &[("m", "iris")], &[0.5, 1.0], &[1.0, 2.0], 1.25, 3.0);
        let text = e.finish();
        assert_eq!(
            text,
            "# HELP x_total help text\n# TYPE x_total counter\nx_total{a=\"q\\\"uo\\\\te\\nnl\"} 3\n\
             h_bucket{m=\"iris\",le=\"0.5\"} 1\nh_bucket{m=\"iris\",le=\"1\"} 2\nh_bucket{m=\"iris\",le=\"+Inf\"} 3\n\
             h_sum{m=\"iris\"} 1.25\nh_count{m=\"iris\"} 3\n"
        );
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(0.25), "0.25");
    }

    #[test]
    fn synthetic_traffic_only_grows() {
        let mut last = 0.0;
        for s in 0..2000 {
            let n = synthetic_count(3.0, f64::from(s) * 0.7);
            assert!(n >= last, "count fell at {s}");
            last = n;
        }
        assert!((synthetic_count(2.0, 300.0) - 600.0).abs() < 1e-6);
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((inverse_normal(0.975) - 1.959_964).abs() < 1e-3);
    }

    #[test]
    fn served_requests_fill_buckets_cumulatively() {
        let t = Traffic::default();
        for _ in 0..50 {
            t.record("ns", "m-predictor-00001", "sklearn", false, 200);
        }
        t.record("ns", "m-predictor-00001", "sklearn", false, 503);
        let s = t.served("ns", "m-predictor-00001");
        assert_eq!(s.count, 51);
        assert_eq!(s.by_code.get(&503), Some(&1));
        assert!(s.buckets_ms.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(s.buckets_ms.last().copied(), Some(51));
        let mean = s.sum_ms / 51.0;
        assert!((5.0..40.0).contains(&mean), "sklearn mean {mean} ms");
    }
}
