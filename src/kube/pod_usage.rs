//! What pods use now, from `metrics.k8s.io` (what `kubectl top pods` shows), polled every 15 s
//! while the resource view shows pods; a cluster without metrics-server is asked once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::kube::event::DataEvent;
use crate::kube::key::SubKey;

/// How often metrics-server's numbers are asked for (it scrapes every 15 s by default).
pub const EVERY: Duration = Duration::from_secs(15);

/// One pod's use: CPU in millicores and memory in bytes, summed over its containers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub cpu_milli: u64,
    pub memory: u64,
}

/// Pods' use by `namespace/name`.
pub type UsageMap = Arc<HashMap<String, Usage>>;

/// A Kubernetes quantity in its base unit, scaled by `scale` (1000 for millicores of CPU).
pub fn quantity(q: &str, scale: f64) -> Option<u64> {
    let q = q.trim();
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
        .unwrap_or(q.len());
    // `e` is an exponent only when digits follow; `1Ei` and `1E` are suffixes.
    let (mut num, mut suffix) = q.split_at(split);
    if let Some(pos) = num.find(['e', 'E'])
        && !num[pos + 1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '+')
    {
        (num, suffix) = q.split_at(pos);
    }
    let n: f64 = num.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0_f64.powi(4),
        _ => return None,
    };
    let v = n * factor * scale;
    (v.is_finite() && v >= 0.0).then_some(v.round() as u64)
}

/// `250m`, `1.5`; `12Mi`, `1.2Gi`: as `kubectl top` prints them.
pub fn cpu_text(milli: u64) -> String {
    format!("{milli}m")
}

pub fn memory_text(bytes: u64) -> String {
    let mi = bytes as f64 / (1024.0 * 1024.0);
    if mi >= 1024.0 {
        format!("{:.1}Gi", mi / 1024.0)
    } else {
        format!("{mi:.0}Mi")
    }
}

/// The `PodMetricsList` as a map.
fn usage_of(list: &serde_json::Value) -> HashMap<String, Usage> {
    let items = list
        .get("items")
        .and_then(|i| i.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    items
        .iter()
        .filter_map(|pod| {
            let meta = pod.get("metadata")?;
            let ns = meta.get("namespace").and_then(|v| v.as_str()).unwrap_or("");
            let name = meta.get("name").and_then(|v| v.as_str())?;
            let mut u = Usage::default();
            for c in pod
                .get("containers")
                .and_then(|c| c.as_array())
                .into_iter()
                .flatten()
            {
                let usage = c.get("usage");
                let get = |k: &str| usage.and_then(|u| u.get(k)).and_then(|v| v.as_str());
                u.cpu_milli += get("cpu").and_then(|q| quantity(q, 1000.0)).unwrap_or(0);
                u.memory += get("memory").and_then(|q| quantity(q, 1.0)).unwrap_or(0);
            }
            Some((format!("{ns}/{name}"), u))
        })
        .collect()
}

/// Polls the pods' metrics of `key`'s namespace (or all) until `cancel` fires, or once when the
/// cluster does not serve them.
pub async fn poll<T: From<DataEvent> + Send>(
    client: kube::Client,
    key: SubKey,
    tx: mpsc::Sender<T>,
    cancel: CancellationToken,
) {
    let path = match &key.namespace {
        Some(ns) => format!("/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods"),
        None => "/apis/metrics.k8s.io/v1beta1/pods".to_string(),
    };
    let mut ticker = tokio::time::interval(EVERY);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let Ok(req) = http::Request::get(path.as_str()).body(Vec::new()) else {
            return;
        };
        match client.request::<serde_json::Value>(req).await {
            Ok(list) => {
                let usage: UsageMap = Arc::new(usage_of(&list));
                let event = DataEvent::PodUsage {
                    key: key.clone(),
                    usage,
                };
                if tx.send(T::from(event)).await.is_err() {
                    return;
                }
            }
            Err(kube::Error::Api(s)) if matches!(s.code, 403 | 404 | 503) => {
                tracing::info!(
                    "no pod metrics here ({}): CPU and memory columns left out",
                    s.code
                );
                return;
            }
            Err(e) => tracing::debug!("pod metrics: {}", crate::kube::describe_error(&e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_as_kubernetes_writes_them() {
        assert_eq!(quantity("250m", 1000.0), Some(250));
        assert_eq!(quantity("1", 1000.0), Some(1000));
        assert_eq!(quantity("1.5", 1000.0), Some(1500));
        assert_eq!(quantity("123456789n", 1000.0), Some(123));
        assert_eq!(quantity("64Mi", 1.0), Some(64 * 1024 * 1024));
        assert_eq!(quantity("1Gi", 1.0), Some(1 << 30));
        assert_eq!(quantity("2048Ki", 1.0), Some(2 * 1024 * 1024));
        assert_eq!(quantity("1e3", 1.0), Some(1000));
        assert_eq!(
            quantity("1E", 1.0),
            None,
            "exa without an exponent is not served here"
        );
        assert_eq!(quantity("lots", 1.0), None);
        assert_eq!(memory_text(64 * 1024 * 1024), "64Mi");
        assert_eq!(memory_text(3 << 29), "1.5Gi");
        assert_eq!(cpu_text(250), "250m");
    }

    #[test]
    fn a_pod_metrics_list_sums_containers() {
        let list = serde_json::json!({"items": [
            {"metadata": {"name": "p", "namespace": "n"}, "containers": [
                {"name": "a", "usage": {"cpu": "100m", "memory": "10Mi"}},
                {"name": "b", "usage": {"cpu": "50000000n", "memory": "5Mi"}}]}]});
        let u = usage_of(&list);
        assert_eq!(
            u["n/p"],
            Usage {
                cpu_milli: 150,
                memory: 15 * 1024 * 1024
            }
        );
    }
}
