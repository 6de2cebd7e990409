//! Runs side by side: what each run was given (parameters), how it went (status, duration) and
//! the scalar metrics it recorded (numeric output parameters of its steps).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::runs::params::value_text;

/// One run's column.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareColumn {
    pub namespace: String,
    pub name: String,
    /// The KFP run name, else the Workflow's name.
    pub display: String,
    pub phase: String,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    pub params: BTreeMap<String, String>,
    /// `step.output` → number.
    pub metrics: BTreeMap<String, f64>,
}

impl CompareColumn {
    /// Wall time, up to `now` while the run goes on.
    pub fn duration(&self, now: DateTime<Utc>) -> Option<chrono::TimeDelta> {
        let start = self.started?;
        Some(self.finished.unwrap_or(now) - start)
    }
}

fn time(v: &Value, ptr: &str) -> Option<DateTime<Utc>> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// KFP v2 puts a run's parameters in the `runtime-config` argument of its root driver.
fn kfp_runtime_params(spec: &Value, out: &mut BTreeMap<String, String>) {
    let Some(templates) = spec.get("templates").and_then(Value::as_array) else {
        return;
    };
    let args = templates.iter().flat_map(|t| {
        t.pointer("/dag/tasks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|task| task.pointer("/arguments/parameters").and_then(Value::as_array))
            .flatten()
    });
    for p in args {
        if p.get("name").and_then(Value::as_str) != Some("runtime-config") {
            continue;
        }
        let Some(cfg) = p
            .get("value")
            .and_then(Value::as_str)
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
        else {
            continue;
        };
        let values = cfg
            .get("parameterValues")
            .or_else(|| cfg.get("parameters"))
            .and_then(Value::as_object);
        for (k, v) in values.into_iter().flatten() {
            let v = v.get("stringValue").or_else(|| v.get("numberValue")).unwrap_or(v);
            out.insert(k.clone(), value_text(v));
        }
    }
}

/// The column of one full Workflow object.
pub fn column(wf: &Value) -> CompareColumn {
    let name = wf
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let display = wf
        .pointer("/metadata/annotations/pipelines.kubeflow.org~1run_name")
        .and_then(Value::as_str)
        .unwrap_or(&name)
        .to_string();
    let mut params = BTreeMap::new();
    let stored = wf.pointer("/status/storedWorkflowTemplateSpec");
    for spec in stored.into_iter().chain(wf.get("spec")) {
        for p in spec
            .pointer("/arguments/parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(k), Some(v)) = (p.get("name").and_then(Value::as_str), p.get("value")) {
                // KFP's compiled component specs are arguments too; they are not parameters.
                if !(k.starts_with("components-") || k.starts_with("implementations-")) {
                    params.insert(k.to_string(), value_text(v));
                }
            }
        }
        kfp_runtime_params(spec, &mut params);
    }
    let mut metrics = BTreeMap::new();
    for node in wf
        .pointer("/status/nodes")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values())
    {
        let step = node.get("displayName").and_then(Value::as_str).unwrap_or("");
        for p in node
            .pointer("/outputs/parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let number = p
                .get("value")
                .and_then(|v| {
                    v.as_f64()
                        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                })
                .filter(|f: &f64| f.is_finite());
            if let (Some(k), Some(n)) = (p.get("name").and_then(Value::as_str), number) {
                metrics.insert(format!("{step}.{k}"), n);
            }
        }
    }
    CompareColumn {
        namespace: wf
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        name,
        display,
        phase: wf
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or("Pending")
            .to_string(),
        started: time(wf, "/status/startedAt"),
        finished: time(wf, "/status/finishedAt"),
        params,
        metrics,
    }
}

/// The open comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub request: u64,
    /// `None` while loading; the error when a run could not be read.
    pub columns: Option<Result<Vec<CompareColumn>, String>>,
    /// Rows scrolled off the top.
    pub scroll: usize,
    /// Runs scrolled off the left.
    pub first_column: usize,
}

/// A row's name, and whether the runs' values differ.
pub type Differs = (String, bool);

/// The rows of the comparison: parameter and metric names, each with whether the runs differ.
pub fn rows(columns: &[CompareColumn]) -> (Vec<Differs>, Vec<Differs>) {
    let mut params: Vec<String> = columns.iter().flat_map(|c| c.params.keys().cloned()).collect();
    params.sort();
    params.dedup();
    let mut metrics: Vec<String> = columns.iter().flat_map(|c| c.metrics.keys().cloned()).collect();
    metrics.sort();
    metrics.dedup();
    let differs_p = |k: &String| {
        let first = columns.first().and_then(|c| c.params.get(k));
        columns.iter().any(|c| c.params.get(k) != first)
    };
    let differs_m = |k: &String| {
        let first = columns.first().and_then(|c| c.metrics.get(k));
        columns.iter().any(|c| c.metrics.get(k) != first)
    };
    (
        params
            .into_iter()
            .map(|k| {
                let d = differs_p(&k);
                (k, d)
            })
            .collect(),
        metrics
            .into_iter()
            .map(|k| {
                let d = differs_m(&k);
                (k, d)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_metrics_and_differences() {
        let a = json!({"metadata": {"name": "a", "namespace": "ns"},
            "spec": {"arguments": {"parameters": [{"name": "lr", "value": "0.1"}, {"name": "epochs", "value": "3"},
                {"name": "components-abc", "value": "{}"}]}},
            "status": {"phase": "Succeeded", "startedAt": "2026-11-28T10:00:00Z", "finishedAt": "2026-11-28T10:05:00Z",
                "nodes": {"a-1": {"displayName": "evaluate", "outputs": {"parameters": [
                    {"name": "accuracy", "value": "0.91"}, {"name": "note", "value": "ok"}]}}}}});
        let b = json!({"metadata": {"name": "b", "namespace": "ns",
                "annotations": {"pipelines.kubeflow.org/run_name": "run b"}},
            "spec": {"templates": [{"name": "entry", "dag": {"tasks": [{"name": "root-driver", "arguments": {"parameters": [
                {"name": "runtime-config", "value": "{\"parameterValues\":{\"lr\":0.2,\"epochs\":\"3\"}}"}]}}]}}]},
            "status": {"phase": "Running", "startedAt": "2026-11-28T10:00:00Z"}});
        let (ca, cb) = (column(&a), column(&b));
        assert_eq!(ca.params.get("lr").map(String::as_str), Some("0.1"));
        assert!(!ca.params.contains_key("components-abc"));
        assert_eq!(ca.metrics.get("evaluate.accuracy"), Some(&0.91));
        assert!(!ca.metrics.contains_key("evaluate.note"));
        assert_eq!(cb.display, "run b");
        assert_eq!(cb.params.get("lr").map(String::as_str), Some("0.2"));
        let now = "2026-11-28T10:10:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(ca.duration(now), Some(chrono::TimeDelta::minutes(5)));
        assert_eq!(cb.duration(now), Some(chrono::TimeDelta::minutes(10)));
        let (params, metrics) = rows(&[ca, cb]);
        assert_eq!(params, vec![("epochs".into(), false), ("lr".into(), true)]);
        assert_eq!(metrics, vec![("evaluate.accuracy".into(), true)]);
    }
}
