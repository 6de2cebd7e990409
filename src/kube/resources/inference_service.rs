//! KServe `InferenceService` (`serving.kserve.io/v1beta1`), read as the fields a model row needs.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kube::key::Kind;
use crate::kube::resources::{ConditionLite, meta_time};
use crate::kube::row::ListRow;
use crate::text::sanitized;

/// Annotation that stops an InferenceService (`"true"`).
pub const STOP: &str = "serving.kserve.io/stop";
/// Annotation naming the deployment mode.
pub const DEPLOYMENT_MODE: &str = "serving.kserve.io/deploymentMode";
/// Label KServe puts on the service's pods.
pub const POD_LABEL: &str = "serving.kserve.io/inferenceservice";
/// The legacy per-framework predictor keys.
pub const LEGACY_FRAMEWORKS: &[&str] = &[
    "sklearn",
    "xgboost",
    "tensorflow",
    "pytorch",
    "triton",
    "onnx",
    "huggingface",
    "pmml",
    "lightgbm",
    "paddle",
];

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct IsvcLite {
    #[serde(default, deserialize_with = "crate::kube::resources::slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: IsvcSpecLite,
    #[serde(default)]
    pub status: Option<IsvcStatusLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct IsvcSpecLite {
    /// The predictor: small, and its framework key varies, so it stays a JSON value.
    #[serde(default)]
    pub predictor: Value,
    /// The v0.20 canary list (`[{predictor: {name, …}, trafficPercent}]`), when used.
    #[serde(default)]
    pub canary: Option<Vec<CanaryLite>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CanaryLite {
    #[serde(default)]
    pub predictor: Option<CanaryPredictorLite>,
    #[serde(default)]
    pub traffic_percent: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct CanaryPredictorLite {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IsvcStatusLite {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub conditions: Option<Vec<ConditionLite>>,
    #[serde(default)]
    pub components: Option<ComponentsLite>,
    #[serde(default)]
    pub deployment_mode: Option<String>,
    #[serde(default)]
    pub model_status: Option<ModelStatusLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelStatusLite {
    #[serde(default)]
    pub transition_status: Option<String>,
    #[serde(default)]
    pub states: Option<ModelStatesLite>,
    #[serde(default)]
    pub last_failure_info: Option<FailureInfoLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelStatesLite {
    #[serde(default)]
    pub active_model_state: Option<String>,
    #[serde(default)]
    pub target_model_state: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct FailureInfoLite {
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub time: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ComponentsLite {
    #[serde(default)]
    pub predictor: Option<ComponentLite>,
    #[serde(default)]
    pub transformer: Option<ComponentLite>,
    #[serde(default)]
    pub explainer: Option<ComponentLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentLite {
    #[serde(default)]
    pub traffic: Option<Vec<TrafficLite>>,
    #[serde(default)]
    pub latest_created_revision: Option<String>,
    #[serde(default)]
    pub latest_ready_revision: Option<String>,
    #[serde(default, rename = "previousRolledoutRevision")]
    pub previous_rolledout_revision: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficLite {
    #[serde(default)]
    pub percent: Option<i64>,
    #[serde(default)]
    pub latest_revision: Option<bool>,
    #[serde(default)]
    pub revision_name: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
}

crate::lite_resource!(
    IsvcLite,
    "serving.kserve.io",
    "v1beta1",
    "InferenceService",
    "inferenceservices"
);

/// Whether a model serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Readiness {
    Ready,
    /// No Ready condition yet, or it is Unknown.
    Pending,
    NotReady,
    Stopped,
}

impl Readiness {
    pub fn glyph(self) -> &'static str {
        match self {
            Readiness::Ready => "✓",
            Readiness::Pending => "○",
            Readiness::NotReady => "✗",
            Readiness::Stopped => "■",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Readiness::Ready => "Ready",
            Readiness::Pending => "Pending",
            Readiness::NotReady => "NotReady",
            Readiness::Stopped => "Stopped",
        }
    }
}

/// How traffic splits between the previous revision and the latest (canary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Traffic {
    /// Percent to the previously rolled-out revision (or all of it without a canary).
    pub default: i64,
    /// Percent to the latest revision while a canary rolls out.
    pub canary: Option<i64>,
}

impl Traffic {
    pub fn text(self) -> String {
        match self.canary {
            Some(c) => format!("{}/{c}", self.default),
            None => format!("{}", self.default),
        }
    }
}

/// One row of the Models pane.
#[derive(Debug, Clone, PartialEq)]
pub struct IsvcRow {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    pub ready: Readiness,
    /// The first failing condition's reason (or type) when not ready.
    pub reason: String,
    pub url: String,
    /// `sklearn`, `tensorflow`…
    pub format: String,
    /// The ServingRuntime named in the spec, empty when KServe picks it.
    pub runtime: String,
    pub storage_uri: String,
    /// The traffic split from the status, or what the spec asks for.
    pub traffic: Option<Traffic>,
    /// `spec.predictor.canaryTrafficPercent`.
    pub canary_spec: Option<i64>,
    pub mode: String,
    pub stopped: bool,
    pub created: Option<DateTime<Utc>>,
    pub labels: BTreeMap<String, String>,
    pub resource_version: String,
    /// The inference protocol the predictor speaks (`v1` or `v2`).
    pub protocol: Protocol,
    /// What the detail view shows: conditions, components, model status, canaries.
    pub detail: Arc<IsvcDetail>,
}

/// The inference protocol of a predictor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// `POST /v1/models/<name>:predict` with `{"instances": …}`.
    #[default]
    V1,
    /// The Open Inference Protocol: `POST /v2/models/<name>/infer` with `{"inputs": …}`.
    V2,
}

impl Protocol {
    pub fn word(self) -> &'static str {
        match self {
            Protocol::V1 => "v1",
            Protocol::V2 => "v2",
        }
    }
}

/// One status condition, for the detail view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConditionRow {
    pub type_: String,
    pub status: String,
    pub reason: String,
    pub message: String,
    pub at: Option<DateTime<Utc>>,
}

/// One traffic target of a component.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrafficRow {
    pub percent: Option<i64>,
    pub revision: String,
    pub tag: String,
    pub latest: bool,
}

/// A component (predictor, transformer, explainer) as its status reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComponentRow {
    pub name: &'static str,
    pub latest_created: String,
    pub latest_ready: String,
    pub previous_rolledout: String,
    pub url: String,
    pub traffic: Vec<TrafficRow>,
}

/// `status.modelStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelStatusRow {
    pub transition: String,
    pub active: String,
    pub target: String,
    pub failure_reason: String,
    pub failure_message: String,
    pub failure_at: Option<DateTime<Utc>>,
}

/// The fields only the detail view needs, shared between copies of the row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IsvcDetail {
    pub conditions: Vec<ConditionRow>,
    pub components: Vec<ComponentRow>,
    pub model_status: Option<ModelStatusRow>,
    /// The `spec.predictor.…protocolVersion` as written.
    pub protocol_version: String,
    /// `spec.canary[]`: each canary predictor's name and traffic percent.
    pub canaries: Vec<(String, Option<i64>)>,
}

fn text(v: Option<&String>) -> String {
    sanitized(v.map(String::as_str).unwrap_or_default())
}

fn time(v: Option<&String>) -> Option<DateTime<Utc>> {
    v.and_then(|t| crate::kube::resources::parse_time(t))
}

fn component_row(name: &'static str, c: &ComponentLite) -> ComponentRow {
    ComponentRow {
        name,
        latest_created: text(c.latest_created_revision.as_ref()),
        latest_ready: text(c.latest_ready_revision.as_ref()),
        previous_rolledout: text(c.previous_rolledout_revision.as_ref()),
        url: text(c.url.as_ref()),
        traffic: c
            .traffic
            .iter()
            .flatten()
            .map(|t| TrafficRow {
                percent: t.percent,
                revision: text(t.revision_name.as_ref()),
                tag: text(t.tag.as_ref()),
                latest: t.latest_revision.unwrap_or(false),
            })
            .collect(),
    }
}

/// The protocol version a predictor asks for, new style or legacy.
pub fn protocol_version(predictor: &Value) -> String {
    let mut keys = vec!["model"];
    keys.extend_from_slice(LEGACY_FRAMEWORKS);
    keys.iter()
        .find_map(|k| str_at(predictor, &[k, "protocolVersion"]))
        .or_else(|| str_at(predictor, &["protocolVersion"]))
        .unwrap_or_default()
        .to_string()
}

/// The protocol a test request uses: v2 when the spec says so, or when the format or runtime
/// only speaks it (Triton, MLServer).
pub fn protocol_for(version: &str, format: &str, runtime: &str) -> Protocol {
    let v2 = version.eq_ignore_ascii_case("v2")
        || version.eq_ignore_ascii_case("grpc-v2")
        || format == "triton"
        || runtime.contains("triton")
        || runtime.contains("mlserver");
    if v2 { Protocol::V2 } else { Protocol::V1 }
}

impl IsvcDetail {
    fn from_isvc(o: &IsvcLite, status: &IsvcStatusLite, protocol_version: String) -> IsvcDetail {
        let conditions = status
            .conditions
            .iter()
            .flatten()
            .map(|c| ConditionRow {
                type_: sanitized(&c.type_),
                status: sanitized(&c.status),
                reason: text(c.reason.as_ref()),
                message: text(c.message.as_ref()),
                at: time(c.last_transition_time.as_ref()),
            })
            .collect();
        let components = status
            .components
            .as_ref()
            .map(|c| {
                [
                    ("predictor", &c.predictor),
                    ("transformer", &c.transformer),
                    ("explainer", &c.explainer),
                ]
                .into_iter()
                .filter_map(|(n, c)| c.as_ref().map(|c| component_row(n, c)))
                .collect()
            })
            .unwrap_or_default();
        let model_status = status.model_status.as_ref().map(|m| {
            let states = m.states.clone().unwrap_or_default();
            let failure = m.last_failure_info.clone().unwrap_or_default();
            ModelStatusRow {
                transition: text(m.transition_status.as_ref()),
                active: text(states.active_model_state.as_ref()),
                target: text(states.target_model_state.as_ref()),
                failure_reason: text(failure.reason.as_ref()),
                failure_message: text(failure.message.as_ref()),
                failure_at: time(failure.time.as_ref()),
            }
        });
        let canaries = o
            .spec
            .canary
            .iter()
            .flatten()
            .map(|c| {
                let name = c.predictor.as_ref().and_then(|p| p.name.as_ref());
                (text(name), c.traffic_percent)
            })
            .collect();
        IsvcDetail {
            conditions,
            components,
            model_status,
            protocol_version: sanitized(&protocol_version),
            canaries,
        }
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k)).and_then(Value::as_str)
}

/// The model format, runtime and storage URI of a predictor, new style or legacy.
pub fn predictor_model(predictor: &Value) -> (String, String, String) {
    if let Some(model) = predictor.get("model") {
        return (
            str_at(model, &["modelFormat", "name"])
                .unwrap_or_default()
                .to_string(),
            str_at(model, &["runtime"]).unwrap_or_default().to_string(),
            str_at(model, &["storageUri"]).unwrap_or_default().to_string(),
        );
    }
    for key in LEGACY_FRAMEWORKS {
        if let Some(f) = predictor.get(key) {
            return (
                (*key).to_string(),
                String::new(),
                str_at(f, &["storageUri"]).unwrap_or_default().to_string(),
            );
        }
    }
    (String::new(), String::new(), String::new())
}

impl IsvcRow {
    /// Projects an InferenceService to its row. Never fails.
    pub fn from_isvc(o: &IsvcLite) -> IsvcRow {
        let meta = &o.metadata;
        let annotations = meta.annotations.clone().unwrap_or_default();
        let status = o.status.clone().unwrap_or_default();
        let conditions = status.conditions.clone().unwrap_or_default();
        let stopped = annotations
            .get(STOP)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let ready_cond = conditions.iter().find(|c| c.type_ == "Ready");
        let mut ready = match ready_cond.map(|c| c.status.as_str()) {
            Some("True") => Readiness::Ready,
            Some("False") => Readiness::NotReady,
            _ => Readiness::Pending,
        };
        let stopped_cond = conditions.iter().any(|c| c.type_ == "Stopped" && c.is_true());
        if stopped && (ready != Readiness::Ready || stopped_cond) {
            ready = Readiness::Stopped;
        }
        let reason = if ready == Readiness::Ready {
            String::new()
        } else {
            conditions
                .iter()
                .filter(|c| c.type_ != "Ready")
                .find(|c| c.status == "False")
                .or(ready_cond.filter(|c| c.status == "False"))
                .map(|c| {
                    c.reason
                        .clone()
                        .filter(|r| !r.is_empty())
                        .unwrap_or_else(|| c.type_.clone())
                })
                .unwrap_or_default()
        };
        let predictor = &o.spec.predictor;
        let (format, runtime, storage_uri) = predictor_model(predictor);
        let canary_spec = predictor.get("canaryTrafficPercent").and_then(Value::as_i64);
        let status_traffic = status
            .components
            .as_ref()
            .and_then(|c| c.predictor.as_ref())
            .and_then(|p| p.traffic.clone())
            .unwrap_or_default();
        let traffic = if status_traffic.is_empty() {
            canary_spec.map(|c| Traffic {
                default: 100 - c,
                canary: Some(c),
            })
        } else {
            let sum = |latest: bool| {
                status_traffic
                    .iter()
                    .filter(|t| t.latest_revision.unwrap_or(false) == latest)
                    .filter_map(|t| t.percent)
                    .sum::<i64>()
            };
            let (latest, previous) = (sum(true), sum(false));
            Some(if previous > 0 && latest > 0 {
                Traffic {
                    default: previous,
                    canary: Some(latest),
                }
            } else {
                Traffic {
                    default: latest + previous,
                    canary: None,
                }
            })
        };
        let mode = annotations
            .get(DEPLOYMENT_MODE)
            .cloned()
            .or(status.deployment_mode.clone())
            .unwrap_or_default();
        let version = protocol_version(predictor);
        let protocol = protocol_for(&version, &format, &runtime);
        let detail = Arc::new(IsvcDetail::from_isvc(o, &status, version));
        IsvcRow {
            uid: meta.uid.clone().unwrap_or_default(),
            namespace: sanitized(meta.namespace.as_deref().unwrap_or_default()),
            name: sanitized(meta.name.as_deref().unwrap_or_default()),
            ready,
            reason: sanitized(&reason),
            url: sanitized(status.url.as_deref().unwrap_or_default()),
            format: sanitized(&format),
            runtime: sanitized(&runtime),
            storage_uri: sanitized(&storage_uri),
            traffic,
            canary_spec,
            mode: sanitized(&mode),
            stopped,
            created: meta_time(meta.creation_timestamp.as_ref()),
            labels: meta.labels.clone().unwrap_or_default(),
            resource_version: meta.resource_version.clone().unwrap_or_default(),
            protocol,
            detail,
        }
    }

    /// Why the model cannot answer a request now, if it cannot.
    pub fn not_serving(&self) -> Option<String> {
        if self.stopped || self.ready == Readiness::Stopped {
            return Some(format!(
                "model {} is stopped (serving.kserve.io/stop): start it with S first",
                self.name
            ));
        }
        match self.ready {
            Readiness::Ready => None,
            Readiness::Pending => Some(format!("model {} is not ready yet", self.name)),
            _ if self.reason.is_empty() => Some(format!("model {} is not ready", self.name)),
            _ => Some(format!("model {} is not ready: {}", self.name, self.reason)),
        }
    }

    /// "sklearn" or "sklearn (kserve-sklearnserver)".
    pub fn format_runtime(&self) -> String {
        match (self.format.as_str(), self.runtime.as_str()) {
            (f, "") => f.to_string(),
            ("", r) => r.to_string(),
            (f, r) => format!("{f} ({r})"),
        }
    }

    /// The traffic cell: the split, with the spec's canary when the status has not caught up.
    pub fn traffic_text(&self) -> String {
        let Some(t) = self.traffic else {
            return String::new();
        };
        match (t.canary, self.canary_spec) {
            (None, Some(c)) if c != t.default && c != 100 => format!("{} (→{c})", t.text()),
            _ => t.text(),
        }
    }
}

impl ListRow for IsvcRow {
    const KIND: Kind = Kind::InferenceServices;
    const SORT_COLUMNS: &'static [&'static str] =
        &["age", "name", "namespace", "ready", "format", "mode", "url"];
    crate::list_row_fields!();

    fn search_fields(&self) -> Vec<&str> {
        vec![
            &self.name,
            self.ready.word(),
            &self.reason,
            &self.format,
            &self.runtime,
            &self.storage_uri,
            &self.url,
            &self.mode,
            &self.namespace,
        ]
    }
    fn compare(&self, other: &Self, column: &str, _now: DateTime<Utc>) -> Ordering {
        match column {
            "name" => self.name.cmp(&other.name),
            "namespace" => self.namespace.cmp(&other.namespace),
            "ready" => self.ready.cmp(&other.ready),
            "format" => self.format.cmp(&other.format),
            "mode" => self.mode.cmp(&other.mode),
            "url" => self.url.cmp(&other.url),
            _ => other.created.cmp(&self.created),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Option<IsvcLite> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/fixtures/objects")
            .join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Some(serde_saphyr::from_str(&text).unwrap()),
            Err(e) => {
                eprintln!("SKIPPED: fixture {} is absent ({e})", path.display());
                None
            }
        }
    }

    #[test]
    fn knative_canary_fixture() {
        let Some(o) = fixture("serving.kserve.io_inferenceservice_status_knative-tensorflow-canary.json")
        else {
            return;
        };
        let row = IsvcRow::from_isvc(&o);
        assert_eq!(row.name, "flower-sample");
        assert_eq!(row.ready, Readiness::Ready);
        assert_eq!(row.reason, "");
        assert_eq!(row.url, "http://flower-sample.kfserving-test.example.com");
        assert_eq!(row.format_runtime(), "tensorflow");
        assert_eq!(
            row.storage_uri,
            "gs://kfserving-examples/models/tensorflow/flowers-2"
        );
        assert_eq!(row.canary_spec, Some(20));
        assert_eq!(
            row.traffic,
            Some(Traffic {
                default: 100,
                canary: None
            })
        );
        assert_eq!(
            row.traffic_text(),
            "100 (→20)",
            "status not caught up with the spec"
        );
        let d = &row.detail;
        let types: Vec<&str> = d.conditions.iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(
            types,
            [
                "IngressReady",
                "PredictorConfigurationReady",
                "PredictorReady",
                "PredictorRouteReady",
                "Ready"
            ]
        );
        assert!(d.conditions.iter().all(|c| c.at.is_some()));
        assert_eq!(d.components.len(), 1);
        let p = &d.components[0];
        assert_eq!(p.name, "predictor");
        assert_eq!(p.latest_ready, "flower-sample-predictor-default-fg4d6");
        assert_eq!(p.traffic.len(), 1);
        assert_eq!(p.traffic[0].tag, "latest");
        assert!(p.traffic[0].latest);
        assert_eq!(row.protocol, Protocol::V1);
    }

    #[test]
    fn protocol_from_spec_format_or_runtime() {
        let v2 = serde_json::json!({"model": {"modelFormat": {"name": "sklearn"}, "protocolVersion": "v2"}});
        assert_eq!(protocol_version(&v2), "v2");
        assert_eq!(protocol_for("v2", "sklearn", ""), Protocol::V2);
        assert_eq!(protocol_for("", "triton", ""), Protocol::V2);
        assert_eq!(protocol_for("", "sklearn", "kserve-mlserver"), Protocol::V2);
        assert_eq!(protocol_for("", "sklearn", "kserve-sklearnserver"), Protocol::V1);
        let legacy = serde_json::json!({"xgboost": {"protocolVersion": "v2", "storageUri": "gs://x"}});
        assert_eq!(protocol_version(&legacy), "v2");
        let o: IsvcLite = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "m"},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}}},
                "canary": [{"predictor": {"name": "m-v2"}, "trafficPercent": 15}]},
            "status": {"modelStatus": {"transitionStatus": "InProgress",
                "states": {"activeModelState": "Loaded", "targetModelState": "Loading"}}}
        }))
        .unwrap();
        let row = IsvcRow::from_isvc(&o);
        assert_eq!(row.detail.canaries, vec![("m-v2".to_string(), Some(15))]);
        let m = row.detail.model_status.clone().unwrap();
        assert_eq!(
            (m.transition.as_str(), m.active.as_str(), m.target.as_str()),
            ("InProgress", "Loaded", "Loading")
        );
        assert_eq!(row.not_serving(), Some("model m is not ready yet".to_string()));
    }

    #[test]
    fn new_style_and_legacy_spec_fixtures() {
        let Some(o) = fixture("serving.kserve.io_inferenceservice_spec_modelformat-sklearn.yaml") else {
            return;
        };
        let row = IsvcRow::from_isvc(&o);
        assert_eq!(row.format, "sklearn");
        assert_eq!(
            row.storage_uri,
            "gs://kfserving-examples/models/sklearn/1.0/model"
        );
        assert_eq!(row.ready, Readiness::Pending);
        assert_eq!(row.traffic, None);
        let Some(o) = fixture("serving.kserve.io_inferenceservice_spec_legacy-sklearn.yaml") else {
            return;
        };
        let row = IsvcRow::from_isvc(&o);
        assert_eq!(row.format, "sklearn");
        assert_eq!(row.runtime, "");
        assert_eq!(
            row.storage_uri,
            "gs://kfserving-examples/models/sklearn/1.0/model"
        );
    }

    #[test]
    fn failing_canary_and_stopped_models() {
        let o: IsvcLite = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "m", "annotations": {DEPLOYMENT_MODE: "Serverless"}},
            "spec": {"predictor": {"canaryTrafficPercent": 10,
                "model": {"modelFormat": {"name": "sklearn"}, "runtime": "kserve-sklearnserver"}}},
            "status": {
                "conditions": [
                    {"type": "IngressReady", "status": "True"},
                    {"type": "PredictorReady", "status": "False", "reason": "RevisionMissing"},
                    {"type": "Ready", "status": "False", "reason": "RevisionMissing"}],
                "components": {"predictor": {"traffic": [
                    {"revisionName": "m-2", "latestRevision": true, "percent": 10},
                    {"revisionName": "m-1", "latestRevision": false, "percent": 90}]}}}
        }))
        .unwrap();
        let row = IsvcRow::from_isvc(&o);
        assert_eq!(row.ready, Readiness::NotReady);
        assert_eq!(row.reason, "RevisionMissing");
        assert_eq!(row.format_runtime(), "sklearn (kserve-sklearnserver)");
        assert_eq!(row.traffic_text(), "90/10");
        assert_eq!(row.mode, "Serverless");
        let o: IsvcLite = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "s", "annotations": {STOP: "true"}},
            "status": {"deploymentMode": "RawDeployment",
                "conditions": [{"type": "Ready", "status": "False", "reason": "Stopped"},
                               {"type": "Stopped", "status": "True"}]}
        }))
        .unwrap();
        let row = IsvcRow::from_isvc(&o);
        assert_eq!(row.ready, Readiness::Stopped);
        assert!(row.stopped);
        assert_eq!(row.mode, "RawDeployment");
    }
}
