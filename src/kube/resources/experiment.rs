//! Katib `Experiment` and `Trial` (`kubeflow.org/v1beta1`, research §7), read as the fields the
//! Experiments pane and its trials table need. Both CRDs are schemaless, so every field is
//! optional and numbers may come as strings.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kube::key::Kind;
use crate::kube::resources::train_job::{Condition, ConditionLite};
use crate::kube::resources::{meta_time, parse_time};
use crate::kube::row::ListRow;
use crate::text::sanitized;

/// The label Katib puts on an experiment's Trials.
pub const EXPERIMENT_LABEL: &str = "katib.kubeflow.org/experiment";
/// The label Katib puts on a trial's pods.
pub const TRIAL_LABEL: &str = "katib.kubeflow.org/trial";

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ExperimentLite {
    #[serde(default, deserialize_with = "crate::kube::resources::slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ExperimentSpecLite,
    #[serde(default)]
    pub status: Option<ExperimentStatusLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentSpecLite {
    #[serde(default)]
    pub objective: Option<ObjectiveLite>,
    #[serde(default)]
    pub algorithm: Option<AlgorithmLite>,
    #[serde(default)]
    pub parameters: Vec<ParameterLite>,
    #[serde(default)]
    pub max_trial_count: Option<i64>,
    #[serde(default)]
    pub parallel_trial_count: Option<i64>,
    #[serde(default)]
    pub max_failed_trial_count: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectiveLite {
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub goal: Option<Value>,
    #[serde(default)]
    pub objective_metric_name: Option<String>,
    #[serde(default)]
    pub additional_metric_names: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlgorithmLite {
    #[serde(default)]
    pub algorithm_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParameterLite {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub parameter_type: Option<String>,
    #[serde(default)]
    pub feasible_space: Option<FeasibleSpaceLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct FeasibleSpaceLite {
    #[serde(default)]
    pub min: Option<Value>,
    #[serde(default)]
    pub max: Option<Value>,
    #[serde(default)]
    pub list: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentStatusLite {
    #[serde(default)]
    pub conditions: Vec<ConditionLite>,
    #[serde(default)]
    pub current_optimal_trial: Option<OptimalTrialLite>,
    #[serde(default)]
    pub trials: Option<i64>,
    #[serde(default)]
    pub trials_succeeded: Option<i64>,
    #[serde(default)]
    pub trials_running: Option<i64>,
    #[serde(default)]
    pub trials_failed: Option<i64>,
    #[serde(default)]
    pub trials_killed: Option<i64>,
    #[serde(default)]
    pub trials_pending: Option<i64>,
    #[serde(default)]
    pub trials_early_stopped: Option<i64>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub completion_time: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OptimalTrialLite {
    #[serde(default)]
    pub best_trial_name: Option<String>,
    #[serde(default)]
    pub parameter_assignments: Vec<AssignmentLite>,
    #[serde(default)]
    pub observation: Option<ObservationLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AssignmentLite {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: Value,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ObservationLite {
    #[serde(default)]
    pub metrics: Vec<MetricObsLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct MetricObsLite {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub latest: Option<Value>,
    #[serde(default)]
    pub min: Option<Value>,
    #[serde(default)]
    pub max: Option<Value>,
}

crate::lite_resource!(
    ExperimentLite,
    "kubeflow.org",
    "v1beta1",
    "Experiment",
    "experiments"
);

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct TrialLite {
    #[serde(default, deserialize_with = "crate::kube::resources::slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: TrialSpecLite,
    #[serde(default)]
    pub status: Option<TrialStatusLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrialSpecLite {
    #[serde(default)]
    pub parameter_assignments: Vec<AssignmentLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrialStatusLite {
    #[serde(default)]
    pub conditions: Vec<ConditionLite>,
    #[serde(default)]
    pub observation: Option<ObservationLite>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub completion_time: Option<String>,
}

crate::lite_resource!(TrialLite, "kubeflow.org", "v1beta1", "Trial", "trials");

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => sanitized(s),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A number from a schemaless field (`"0.05"` or `0.05`).
pub fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|f| f.is_finite())
}

/// One metric of an observation.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: String,
    pub latest: String,
    pub min: String,
    pub max: String,
}

fn metrics(o: Option<&ObservationLite>) -> Vec<Metric> {
    o.map(|o| {
        o.metrics
            .iter()
            .map(|m| Metric {
                name: sanitized(&m.name),
                latest: m.latest.as_ref().map(text).unwrap_or_default(),
                min: m.min.as_ref().map(text).unwrap_or_default(),
                max: m.max.as_ref().map(text).unwrap_or_default(),
            })
            .collect()
    })
    .unwrap_or_default()
}

fn assignments(a: &[AssignmentLite]) -> Vec<(String, String)> {
    a.iter().map(|p| (sanitized(&p.name), text(&p.value))).collect()
}

/// An experiment's status, from its last condition whose status is True.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExperimentStatus {
    Running,
    Restarting,
    Created,
    Failed,
    Succeeded,
}

impl ExperimentStatus {
    pub fn glyph(self) -> &'static str {
        match self {
            ExperimentStatus::Running => "●",
            ExperimentStatus::Restarting => "↻",
            ExperimentStatus::Created => "○",
            ExperimentStatus::Failed => "✗",
            ExperimentStatus::Succeeded => "✓",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            ExperimentStatus::Running => "Running",
            ExperimentStatus::Restarting => "Restarting",
            ExperimentStatus::Created => "Created",
            ExperimentStatus::Failed => "Failed",
            ExperimentStatus::Succeeded => "Succeeded",
        }
    }
}

/// A trial's status, from its last condition whose status is True.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrialStatus {
    Running,
    Created,
    Succeeded,
    EarlyStopped,
    MetricsUnavailable,
    Killed,
    Failed,
}

impl TrialStatus {
    pub fn glyph(self) -> &'static str {
        match self {
            TrialStatus::Running => "●",
            TrialStatus::Created => "○",
            TrialStatus::Succeeded => "✓",
            TrialStatus::EarlyStopped => "◌",
            TrialStatus::MetricsUnavailable => "?",
            TrialStatus::Killed => "■",
            TrialStatus::Failed => "✗",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            TrialStatus::Running => "Running",
            TrialStatus::Created => "Created",
            TrialStatus::Succeeded => "Succeeded",
            TrialStatus::EarlyStopped => "EarlyStopped",
            TrialStatus::MetricsUnavailable => "NoMetrics",
            TrialStatus::Killed => "Killed",
            TrialStatus::Failed => "Failed",
        }
    }
}

fn last_true(conditions: &[ConditionLite]) -> Option<&ConditionLite> {
    conditions.iter().rev().find(|c| c.status == "True")
}

fn why(c: Option<&ConditionLite>) -> String {
    let Some(c) = c else {
        return String::new();
    };
    sanitized(c.message.as_deref().or(c.reason.as_deref()).unwrap_or(""))
}

fn conditions(cs: &[ConditionLite]) -> Vec<Condition> {
    cs.iter()
        .map(|c| Condition {
            type_: sanitized(&c.type_),
            status: sanitized(&c.status),
            reason: sanitized(c.reason.as_deref().unwrap_or("")),
            message: sanitized(c.message.as_deref().unwrap_or("")),
            at: c
                .last_transition_time
                .as_deref()
                .or(c.last_update_time.as_deref())
                .and_then(parse_time),
        })
        .collect()
}

/// A search-space parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: String,
    pub type_: String,
    /// `0.01..0.05` or `sgd|adam|ftrl`.
    pub space: String,
}

/// One row of the Experiments pane.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentRow {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    pub metric: String,
    pub additional_metrics: Vec<String>,
    /// `maximize` (true) or `minimize`.
    pub maximize: bool,
    pub goal: String,
    pub algorithm: String,
    pub parameters: Vec<Parameter>,
    pub status: ExperimentStatus,
    pub reason: String,
    pub best_trial: String,
    /// The objective metric's latest value in the current optimal trial.
    pub best: String,
    pub best_params: Vec<(String, String)>,
    pub best_metrics: Vec<Metric>,
    pub trials: i64,
    pub succeeded: i64,
    pub running: i64,
    pub failed: i64,
    pub pending: i64,
    pub killed: i64,
    pub early_stopped: i64,
    pub max_trials: Option<i64>,
    pub parallel: Option<i64>,
    pub conditions: Vec<Condition>,
    pub created: Option<DateTime<Utc>>,
    pub labels: BTreeMap<String, String>,
}

impl ExperimentRow {
    /// Projects an Experiment. Never fails: odd or missing fields give empty cells.
    pub fn from_experiment(e: &ExperimentLite) -> ExperimentRow {
        let meta = &e.metadata;
        let status = e.status.clone().unwrap_or_default();
        let objective = e.spec.objective.clone().unwrap_or_default();
        let metric = sanitized(objective.objective_metric_name.as_deref().unwrap_or(""));
        let last = last_true(&status.conditions);
        let state = match last.map(|c| c.type_.as_str()) {
            Some("Running") => ExperimentStatus::Running,
            Some("Restarting") => ExperimentStatus::Restarting,
            Some("Succeeded") => ExperimentStatus::Succeeded,
            Some("Failed") => ExperimentStatus::Failed,
            _ => ExperimentStatus::Created,
        };
        let best = status.current_optimal_trial.clone().unwrap_or_default();
        let best_metrics = metrics(best.observation.as_ref());
        let best_value = best_metrics
            .iter()
            .find(|m| m.name == metric)
            .map(|m| m.latest.clone())
            .unwrap_or_default();
        let parameters = e
            .spec
            .parameters
            .iter()
            .map(|p| {
                let space = p.feasible_space.clone().unwrap_or_default();
                let space = match (&space.list, &space.min, &space.max) {
                    (Some(list), _, _) => list.iter().map(text).collect::<Vec<_>>().join("|"),
                    (None, lo, hi) => format!(
                        "{}..{}",
                        lo.as_ref().map(text).unwrap_or_default(),
                        hi.as_ref().map(text).unwrap_or_default()
                    ),
                };
                Parameter {
                    name: sanitized(&p.name),
                    type_: sanitized(p.parameter_type.as_deref().unwrap_or("")),
                    space: sanitized(&space),
                }
            })
            .collect();
        ExperimentRow {
            uid: meta.uid.clone().unwrap_or_default(),
            namespace: sanitized(meta.namespace.as_deref().unwrap_or("")),
            name: sanitized(meta.name.as_deref().unwrap_or("")),
            additional_metrics: objective
                .additional_metric_names
                .iter()
                .map(|m| sanitized(m))
                .collect(),
            maximize: objective.type_.as_deref() != Some("minimize"),
            goal: objective.goal.as_ref().map(text).unwrap_or_default(),
            metric,
            algorithm: sanitized(
                e.spec
                    .algorithm
                    .as_ref()
                    .and_then(|a| a.algorithm_name.as_deref())
                    .unwrap_or(""),
            ),
            parameters,
            status: state,
            reason: why(last),
            best_trial: sanitized(best.best_trial_name.as_deref().unwrap_or("")),
            best: best_value,
            best_params: assignments(&best.parameter_assignments),
            best_metrics,
            trials: status.trials.unwrap_or(0),
            succeeded: status.trials_succeeded.unwrap_or(0),
            running: status.trials_running.unwrap_or(0),
            failed: status.trials_failed.unwrap_or(0),
            pending: status.trials_pending.unwrap_or(0),
            killed: status.trials_killed.unwrap_or(0),
            early_stopped: status.trials_early_stopped.unwrap_or(0),
            max_trials: e.spec.max_trial_count,
            parallel: e.spec.parallel_trial_count,
            conditions: conditions(&status.conditions),
            created: meta_time(meta.creation_timestamp.as_ref()),
            labels: meta.labels.clone().unwrap_or_default(),
        }
    }

    /// `loss ↓ 0.001`: the objective metric, its direction and goal.
    pub fn objective_text(&self) -> String {
        let arrow = if self.maximize { "↑" } else { "↓" };
        match self.goal.as_str() {
            "" => format!("{} {arrow}", self.metric),
            goal => format!("{} {arrow} {goal}", self.metric),
        }
    }

    /// `maximize` or `minimize`.
    pub fn direction(&self) -> &'static str {
        if self.maximize { "maximize" } else { "minimize" }
    }

    /// `7✓ 3● 1✗ /12`: succeeded, running, failed of the maximum.
    pub fn trials_text(&self) -> String {
        let max = self.max_trials.map(|m| format!("/{m}")).unwrap_or_default();
        format!("{}✓ {}● {}✗ {max}", self.succeeded, self.running, self.failed)
            .trim_end()
            .to_string()
    }

    /// The best value as a number, for sorting.
    pub fn best_number(&self) -> Option<f64> {
        number(&self.best)
    }
}

impl ListRow for ExperimentRow {
    const KIND: Kind = Kind::Experiments;
    const SORT_COLUMNS: &'static [&'static str] = &[
        "age",
        "name",
        "namespace",
        "status",
        "objective",
        "algorithm",
        "best",
        "trials",
    ];
    crate::list_row_fields!();

    fn search_fields(&self) -> Vec<&str> {
        vec![
            &self.name,
            self.status.word(),
            &self.metric,
            &self.algorithm,
            &self.best_trial,
            &self.namespace,
        ]
    }
    fn compare(&self, other: &Self, column: &str, _now: DateTime<Utc>) -> Ordering {
        match column {
            "name" => self.name.cmp(&other.name),
            "namespace" => self.namespace.cmp(&other.namespace),
            "status" => self.status.cmp(&other.status),
            "objective" => self.metric.cmp(&other.metric),
            "algorithm" => self.algorithm.cmp(&other.algorithm),
            "best" => match (self.best_number(), other.best_number()) {
                (Some(a), Some(b)) => a.total_cmp(&b),
                (a, b) => b
                    .is_some()
                    .cmp(&a.is_some())
                    .then_with(|| self.best.cmp(&other.best)),
            },
            "trials" => other.succeeded.cmp(&self.succeeded),
            _ => other.created.cmp(&self.created),
        }
    }
}

/// One trial, for the experiment's trials table.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialRow {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    /// The experiment it belongs to (its label).
    pub experiment: String,
    pub status: TrialStatus,
    pub reason: String,
    pub params: Vec<(String, String)>,
    pub metrics: Vec<Metric>,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    pub created: Option<DateTime<Utc>>,
}

impl TrialRow {
    pub fn from_trial(t: &TrialLite) -> TrialRow {
        let meta = &t.metadata;
        let status = t.status.clone().unwrap_or_default();
        let last = last_true(&status.conditions);
        let state = match last.map(|c| c.type_.as_str()) {
            Some("Running") => TrialStatus::Running,
            Some("Succeeded") => TrialStatus::Succeeded,
            Some("EarlyStopped") => TrialStatus::EarlyStopped,
            Some("MetricsUnavailable") => TrialStatus::MetricsUnavailable,
            Some("Killed") => TrialStatus::Killed,
            Some("Failed") => TrialStatus::Failed,
            _ => TrialStatus::Created,
        };
        TrialRow {
            uid: meta.uid.clone().unwrap_or_default(),
            namespace: sanitized(meta.namespace.as_deref().unwrap_or("")),
            name: sanitized(meta.name.as_deref().unwrap_or("")),
            experiment: sanitized(
                meta.labels
                    .as_ref()
                    .and_then(|l| l.get(EXPERIMENT_LABEL))
                    .map_or("", String::as_str),
            ),
            status: state,
            reason: if matches!(
                state,
                TrialStatus::Failed | TrialStatus::Killed | TrialStatus::MetricsUnavailable
            ) {
                why(last)
            } else {
                String::new()
            },
            params: assignments(&t.spec.parameter_assignments),
            metrics: metrics(status.observation.as_ref()),
            started: status.start_time.as_deref().and_then(parse_time),
            finished: status.completion_time.as_deref().and_then(parse_time),
            created: meta_time(meta.creation_timestamp.as_ref()),
        }
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A metric's latest value.
    pub fn metric(&self, name: &str) -> Option<&str> {
        self.metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.latest.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_json(name: &str) -> Option<Value> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/fixtures/objects")
            .join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) if name.ends_with(".json") => Some(serde_json::from_str(&text).unwrap()),
            Ok(text) => Some(serde_saphyr::from_str(&text).unwrap()),
            Err(e) => {
                eprintln!("SKIPPED: fixture {} is absent ({e})", path.display());
                None
            }
        }
    }

    #[test]
    fn darts_fixture_is_succeeded_with_its_best_genotype() {
        let Some(v) = fixture_json("kubeflow.org_experiment_status_darts-succeeded.json") else {
            return;
        };
        let row = ExperimentRow::from_experiment(&serde_json::from_value(v).unwrap());
        assert_eq!(row.name, "darts-example");
        assert_eq!(row.status, ExperimentStatus::Succeeded);
        assert_eq!(row.algorithm, "darts");
        assert!(row.maximize);
        assert_eq!(row.best_trial, "darts-example-n4fpnxlm");
        assert!(row.best.starts_with("Genotype(normal="), "{}", row.best);
        assert_eq!(row.trials_text(), "1✓ 0● 0✗ /1");
        assert_eq!(row.best_params.len(), 3);
    }

    #[test]
    fn random_fixture_without_status_is_created() {
        let Some(v) = fixture_json("kubeflow.org_experiment_spec_random.yaml") else {
            return;
        };
        let row = ExperimentRow::from_experiment(&serde_json::from_value(v).unwrap());
        assert_eq!(row.status, ExperimentStatus::Created);
        assert_eq!(row.objective_text(), "loss ↓ 0.001");
        assert_eq!(row.parameters[0].space, "0.01..0.05");
        assert_eq!(row.best, "");
    }

    #[test]
    fn trial_reads_its_assignments_and_observation() {
        let t: TrialLite = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "t1", "labels": {EXPERIMENT_LABEL: "e"}},
            "spec": {"parameterAssignments": [{"name": "lr", "value": "0.02"}]},
            "status": {"conditions": [{"type": "Created", "status": "True"}, {"type": "Running", "status": "False"},
                {"type": "Succeeded", "status": "True"}],
                "observation": {"metrics": [{"name": "loss", "latest": "0.12", "min": "0.1", "max": "0.9"}]}}
        }))
        .unwrap();
        let row = TrialRow::from_trial(&t);
        assert_eq!(row.status, TrialStatus::Succeeded);
        assert_eq!(row.param("lr"), Some("0.02"));
        assert_eq!(row.metric("loss"), Some("0.12"));
        assert_eq!(row.experiment, "e");
    }
}
