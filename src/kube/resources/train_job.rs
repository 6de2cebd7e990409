//! Training jobs: Kubeflow Trainer's `TrainJob` (`trainer.kubeflow.org/v1alpha1`) and the legacy
//! training-operator kinds (`kubeflow.org/v1` PyTorchJob, TFJob, JAXJob, XGBoostJob), read as the
//! few fields a row and its detail need, and projected to one row type so they share a list.
//!
//! A TrainJob's state is derived as research §6 says: terminal `Complete`/`Failed` conditions,
//! then `Suspended`, then Running when a replicated job is active, else Pending (or Created with
//! no status yet). A legacy job's state is its last condition whose status is True.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kube::key::Kind;
pub use crate::kube::resources::ConditionLite;
use crate::kube::resources::{meta_time, parse_time};
use crate::kube::row::ListRow;
use crate::text::sanitized;

/// The API a training job comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobKind {
    TrainJob,
    PyTorch,
    Tf,
    Jax,
    XgBoost,
}

impl JobKind {
    /// The kinds the Training pane watches.
    pub const WATCHED: [JobKind; 3] = [JobKind::TrainJob, JobKind::PyTorch, JobKind::Tf];

    /// (group, version, kind, plural).
    pub fn api(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            JobKind::TrainJob => ("trainer.kubeflow.org", "v1alpha1", "TrainJob", "trainjobs"),
            JobKind::PyTorch => ("kubeflow.org", "v1", "PyTorchJob", "pytorchjobs"),
            JobKind::Tf => ("kubeflow.org", "v1", "TFJob", "tfjobs"),
            JobKind::Jax => ("kubeflow.org", "v1", "JAXJob", "jaxjobs"),
            JobKind::XgBoost => ("kubeflow.org", "v1", "XGBoostJob", "xgboostjobs"),
        }
    }

    /// The plural resource with its group, as an error message names it.
    pub fn resource(self) -> &'static str {
        match self {
            JobKind::TrainJob => "trainjobs.trainer.kubeflow.org",
            JobKind::PyTorch => "pytorchjobs.kubeflow.org",
            JobKind::Tf => "tfjobs.kubeflow.org",
            JobKind::Jax => "jaxjobs.kubeflow.org",
            JobKind::XgBoost => "xgboostjobs.kubeflow.org",
        }
    }

    /// The lower-case singular, as in `trainjob/NAME`.
    pub fn singular(self) -> &'static str {
        match self {
            JobKind::TrainJob => "trainjob",
            JobKind::PyTorch => "pytorchjob",
            JobKind::Tf => "tfjob",
            JobKind::Jax => "jaxjob",
            JobKind::XgBoost => "xgboostjob",
        }
    }

    /// The short marker the list shows in its KIND column.
    pub fn marker(self) -> &'static str {
        match self {
            JobKind::TrainJob => "TrainJob",
            JobKind::PyTorch => "PyTorch",
            JobKind::Tf => "TF",
            JobKind::Jax => "JAX",
            JobKind::XgBoost => "XGBoost",
        }
    }

    pub fn is_legacy(self) -> bool {
        self != JobKind::TrainJob
    }

    /// The product that serves this API, for "not installed" messages.
    pub fn product(self) -> &'static str {
        match self {
            JobKind::TrainJob => "Kubeflow Trainer",
            _ => "The Kubeflow training operator",
        }
    }

    /// The label selector of the job's pods.
    pub fn pod_selector(self, name: &str) -> String {
        match self {
            JobKind::TrainJob => format!("jobset.sigs.k8s.io/jobset-name={name}"),
            _ => format!("training.kubeflow.org/job-name={name}"),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct TrainJobLite {
    #[serde(default, deserialize_with = "crate::kube::resources::slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: TrainJobSpecLite,
    #[serde(default)]
    pub status: Option<TrainJobStatusLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainJobSpecLite {
    #[serde(default)]
    pub runtime_ref: Option<RuntimeRefLite>,
    #[serde(default)]
    pub trainer: Option<TrainerLite>,
    #[serde(default)]
    pub suspend: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RuntimeRefLite {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainerLite {
    #[serde(default)]
    pub num_nodes: Option<i64>,
    #[serde(default)]
    pub image: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainJobStatusLite {
    #[serde(default)]
    pub conditions: Vec<ConditionLite>,
    #[serde(default)]
    pub jobs_status: Vec<JobsStatusLite>,
    #[serde(default)]
    pub trainer_status: Option<TrainerStatusLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct JobsStatusLite {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub ready: i64,
    #[serde(default)]
    pub succeeded: i64,
    #[serde(default)]
    pub failed: i64,
    #[serde(default)]
    pub active: i64,
    #[serde(default)]
    pub suspended: i64,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainerStatusLite {
    #[serde(default)]
    pub progress_percentage: Option<i64>,
    #[serde(default)]
    pub estimated_remaining_seconds: Option<i64>,
    #[serde(default)]
    pub metrics: Vec<MetricLite>,
    #[serde(default)]
    pub last_updated_time: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct MetricLite {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: Value,
}

crate::lite_resource!(
    TrainJobLite,
    "trainer.kubeflow.org",
    "v1alpha1",
    "TrainJob",
    "trainjobs"
);

/// Which legacy kind a [`LegacyJobLite`] is.
pub trait LegacyKind: Clone + std::fmt::Debug + Default + Send + Sync + 'static {
    const KIND: JobKind;
}

macro_rules! legacy_kind {
    ($marker:ident, $kind:expr, $k:literal, $plural:literal) => {
        #[derive(Debug, Clone, Default)]
        pub struct $marker;
        impl LegacyKind for $marker {
            const KIND: JobKind = $kind;
        }
        crate::lite_resource!(LegacyJobLite<$marker>, "kubeflow.org", "v1", $k, $plural);
    };
}

/// A legacy training-operator job (`kubeflow.org/v1`); `K` says which kind.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct LegacyJobLite<K> {
    #[serde(default, deserialize_with = "crate::kube::resources::slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: LegacySpecLite,
    #[serde(default)]
    pub status: Option<LegacyStatusLite>,
    #[serde(skip)]
    pub kind: PhantomData<K>,
}

legacy_kind!(PyTorch, JobKind::PyTorch, "PyTorchJob", "pytorchjobs");
legacy_kind!(Tf, JobKind::Tf, "TFJob", "tfjobs");
legacy_kind!(Jax, JobKind::Jax, "JAXJob", "jaxjobs");
legacy_kind!(XgBoost, JobKind::XgBoost, "XGBoostJob", "xgboostjobs");

/// Only the replica counts of each kind's replica specs; the pod templates are not kept.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacySpecLite {
    #[serde(default)]
    pub run_policy: Option<RunPolicyLite>,
    #[serde(default)]
    pub pytorch_replica_specs: Option<BTreeMap<String, ReplicaSpecLite>>,
    #[serde(default)]
    pub tf_replica_specs: Option<BTreeMap<String, ReplicaSpecLite>>,
    #[serde(default)]
    pub jax_replica_specs: Option<BTreeMap<String, ReplicaSpecLite>>,
    #[serde(default)]
    pub xgb_replica_specs: Option<BTreeMap<String, ReplicaSpecLite>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RunPolicyLite {
    #[serde(default)]
    pub suspend: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ReplicaSpecLite {
    #[serde(default)]
    pub replicas: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacyStatusLite {
    #[serde(default)]
    pub conditions: Vec<ConditionLite>,
    #[serde(default)]
    pub replica_statuses: BTreeMap<String, ReplicaStatusLite>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub completion_time: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ReplicaStatusLite {
    #[serde(default)]
    pub active: i64,
    #[serde(default)]
    pub succeeded: i64,
    #[serde(default)]
    pub failed: i64,
}

/// A training job's state, derived from its conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrainState {
    Running,
    Restarting,
    Pending,
    Created,
    Suspended,
    Failed,
    Succeeded,
}

impl TrainState {
    pub fn glyph(self) -> &'static str {
        match self {
            TrainState::Running => "●",
            TrainState::Restarting => "↻",
            TrainState::Pending | TrainState::Created => "○",
            TrainState::Suspended => "‖",
            TrainState::Failed => "✗",
            TrainState::Succeeded => "✓",
        }
    }

    /// The word the job's own API uses: TrainJob says Complete, the legacy kinds Succeeded.
    pub fn word(self, kind: JobKind) -> &'static str {
        match self {
            TrainState::Running => "Running",
            TrainState::Restarting => "Restarting",
            TrainState::Pending => "Pending",
            TrainState::Created => "Created",
            TrainState::Suspended => "Suspended",
            TrainState::Failed => "Failed",
            TrainState::Succeeded if kind == JobKind::TrainJob => "Complete",
            TrainState::Succeeded => "Succeeded",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, TrainState::Failed | TrainState::Succeeded)
    }
}

/// A condition for the detail, with its time parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub type_: String,
    pub status: String,
    pub reason: String,
    pub message: String,
    pub at: Option<DateTime<Utc>>,
}

/// Counts of one replicated job (TrainJob `jobsStatus`) or replica type (legacy `replicaStatuses`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaCounts {
    pub name: String,
    /// Replicas the spec asks for, where known (legacy kinds).
    pub replicas: Option<i64>,
    pub ready: i64,
    pub active: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub suspended: i64,
}

/// One row of the Training pane, whatever API the job comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainRow {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    pub kind: JobKind,
    /// `spec.runtimeRef.name` of a TrainJob; empty for the legacy kinds.
    pub runtime: String,
    /// `ClusterTrainingRuntime` or `TrainingRuntime`.
    pub runtime_kind: String,
    pub state: TrainState,
    /// The reason and message of the condition that decided the state.
    pub reason: String,
    /// `spec.suspend` (TrainJob) or `spec.runPolicy.suspend` (legacy) is set.
    pub suspend_requested: bool,
    pub nodes_ready: i64,
    pub nodes_total: i64,
    pub progress: Option<i64>,
    pub remaining_seconds: Option<i64>,
    pub metrics: Vec<(String, String)>,
    pub metrics_updated: Option<DateTime<Utc>>,
    pub image: String,
    pub conditions: Vec<Condition>,
    pub replicas: Vec<ReplicaCounts>,
    pub created: Option<DateTime<Utc>>,
    pub labels: BTreeMap<String, String>,
}

fn condition(c: &ConditionLite) -> Condition {
    Condition {
        type_: sanitized(&c.type_),
        status: sanitized(&c.status),
        reason: sanitized(c.reason.as_deref().unwrap_or("")),
        message: sanitized(c.message.as_deref().unwrap_or("")),
        at: c
            .last_transition_time
            .as_deref()
            .or(c.last_update_time.as_deref())
            .and_then(parse_time),
    }
}

fn why(c: &ConditionLite) -> String {
    let (r, m) = (
        c.reason.as_deref().unwrap_or(""),
        c.message.as_deref().unwrap_or(""),
    );
    sanitized(&match (r, m) {
        ("", m) => m.to_string(),
        (r, "") => r.to_string(),
        (r, m) => format!("{r}: {m}"),
    })
}

fn metric_text(v: &Value) -> String {
    match v {
        Value::String(s) => sanitized(s),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The replicated jobs that run the trainer (not the dataset or model initializers).
fn is_trainer_step(name: &str) -> bool {
    !name.ends_with("initializer")
}

/// The TrainJob state of research §6.
pub fn trainjob_state(job: &TrainJobLite) -> (TrainState, String) {
    let status = job.status.clone().unwrap_or_default();
    let find = |t: &str| status.conditions.iter().find(|c| c.type_ == t && c.is_true());
    if let Some(c) = find("Failed") {
        return (TrainState::Failed, why(c));
    }
    if let Some(c) = find("Complete") {
        return (TrainState::Succeeded, why(c));
    }
    if let Some(c) = find("Suspended") {
        return (TrainState::Suspended, why(c));
    }
    if job.spec.suspend == Some(true) {
        return (TrainState::Suspended, "suspend requested".into());
    }
    if status.jobs_status.iter().any(|j| j.active > 0) {
        return (TrainState::Running, String::new());
    }
    if job.status.is_none() || status.jobs_status.is_empty() {
        return (TrainState::Created, String::new());
    }
    (TrainState::Pending, String::new())
}

/// A legacy job's state: its last condition whose status is True.
pub fn legacy_state(conditions: &[ConditionLite]) -> (TrainState, String) {
    let Some(c) = conditions.iter().rev().find(|c| c.is_true()) else {
        return (TrainState::Created, String::new());
    };
    let state = match c.type_.as_str() {
        "Running" => TrainState::Running,
        "Restarting" => TrainState::Restarting,
        "Succeeded" => TrainState::Succeeded,
        "Suspended" => TrainState::Suspended,
        "Failed" => TrainState::Failed,
        _ => TrainState::Created,
    };
    let reason = if state.is_finished() || state == TrainState::Suspended || state == TrainState::Restarting {
        why(c)
    } else {
        String::new()
    };
    (state, reason)
}

fn meta_fields(
    meta: &ObjectMeta,
) -> (
    String,
    String,
    String,
    Option<DateTime<Utc>>,
    BTreeMap<String, String>,
) {
    (
        meta.uid.clone().unwrap_or_default(),
        sanitized(meta.namespace.as_deref().unwrap_or_default()),
        sanitized(meta.name.as_deref().unwrap_or_default()),
        meta_time(meta.creation_timestamp.as_ref()),
        meta.labels.clone().unwrap_or_default(),
    )
}

impl TrainRow {
    /// Projects a TrainJob. Never fails: odd or missing fields give empty cells.
    pub fn from_trainjob(job: &TrainJobLite) -> TrainRow {
        let (uid, namespace, name, created, labels) = meta_fields(&job.metadata);
        let (state, reason) = trainjob_state(job);
        let status = job.status.clone().unwrap_or_default();
        let trainer_jobs: Vec<&JobsStatusLite> = status
            .jobs_status
            .iter()
            .filter(|j| is_trainer_step(&j.name))
            .collect();
        // jobsStatus counts the Jobs of each replicated job; the trainer's nodes are spread over
        // them, so the ready nodes are the nodes of the ready Jobs.
        let jobs: i64 = trainer_jobs
            .iter()
            .map(|j| j.ready.max(j.active) + j.succeeded + j.failed + j.suspended)
            .sum();
        let ready_jobs: i64 = trainer_jobs.iter().map(|j| j.ready).sum();
        let nodes_total = job
            .spec
            .trainer
            .as_ref()
            .and_then(|t| t.num_nodes)
            .unwrap_or(jobs.max(1))
            .max(0);
        let nodes_ready = if jobs > 0 {
            (nodes_total * ready_jobs / jobs).min(nodes_total)
        } else {
            0
        };
        let trainer = status.trainer_status.clone().unwrap_or_default();
        let runtime_ref = job.spec.runtime_ref.clone().unwrap_or_default();
        TrainRow {
            uid,
            namespace,
            name,
            kind: JobKind::TrainJob,
            runtime: sanitized(runtime_ref.name.as_deref().unwrap_or("")),
            runtime_kind: sanitized(runtime_ref.kind.as_deref().unwrap_or("ClusterTrainingRuntime")),
            state,
            reason,
            suspend_requested: job.spec.suspend == Some(true),
            nodes_ready,
            nodes_total,
            progress: trainer.progress_percentage.map(|p| p.clamp(0, 100)),
            remaining_seconds: trainer
                .estimated_remaining_seconds
                .filter(|_| !state.is_finished()),
            metrics: trainer
                .metrics
                .iter()
                .map(|m| (sanitized(&m.name), metric_text(&m.value)))
                .collect(),
            metrics_updated: trainer.last_updated_time.as_deref().and_then(parse_time),
            image: sanitized(
                job.spec
                    .trainer
                    .as_ref()
                    .and_then(|t| t.image.as_deref())
                    .unwrap_or(""),
            ),
            conditions: status.conditions.iter().map(condition).collect(),
            replicas: status
                .jobs_status
                .iter()
                .map(|j| ReplicaCounts {
                    name: sanitized(&j.name),
                    replicas: None,
                    ready: j.ready,
                    active: j.active,
                    succeeded: j.succeeded,
                    failed: j.failed,
                    suspended: j.suspended,
                })
                .collect(),
            created,
            labels,
        }
    }

    /// Projects a legacy training-operator job.
    pub fn from_legacy<K: LegacyKind>(job: &LegacyJobLite<K>) -> TrainRow {
        let (uid, namespace, name, created, labels) = meta_fields(&job.metadata);
        let status = job.status.clone().unwrap_or_default();
        let (mut state, mut reason) = legacy_state(&status.conditions);
        let suspend_requested = job
            .spec
            .run_policy
            .as_ref()
            .and_then(|p| p.suspend)
            .unwrap_or(false);
        if suspend_requested && !state.is_finished() {
            state = TrainState::Suspended;
            if reason.is_empty() {
                reason = "suspend requested".into();
            }
        }
        let spec = &job.spec;
        let specs = match K::KIND {
            JobKind::PyTorch => spec.pytorch_replica_specs.as_ref(),
            JobKind::Tf => spec.tf_replica_specs.as_ref(),
            JobKind::Jax => spec.jax_replica_specs.as_ref(),
            JobKind::XgBoost => spec.xgb_replica_specs.as_ref(),
            JobKind::TrainJob => None,
        }
        .cloned()
        .unwrap_or_default();
        let mut names: Vec<String> = specs.keys().cloned().collect();
        for k in status.replica_statuses.keys() {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
        let replicas: Vec<ReplicaCounts> = names
            .iter()
            .map(|n| {
                let s = status.replica_statuses.get(n).cloned().unwrap_or_default();
                ReplicaCounts {
                    name: sanitized(n),
                    replicas: specs.get(n).map(|r| r.replicas.unwrap_or(1)),
                    ready: s.active,
                    active: s.active,
                    succeeded: s.succeeded,
                    failed: s.failed,
                    suspended: 0,
                }
            })
            .collect();
        let nodes_total: i64 = replicas
            .iter()
            .map(|r| r.replicas.unwrap_or(r.active + r.succeeded + r.failed))
            .sum();
        let nodes_ready = replicas.iter().map(|r| r.active).sum::<i64>().min(nodes_total);
        TrainRow {
            uid,
            namespace,
            name,
            kind: K::KIND,
            runtime: String::new(),
            runtime_kind: String::new(),
            state,
            reason,
            suspend_requested,
            nodes_ready,
            nodes_total,
            progress: None,
            remaining_seconds: None,
            metrics: Vec::new(),
            metrics_updated: None,
            image: String::new(),
            conditions: status.conditions.iter().map(condition).collect(),
            replicas,
            created,
            labels,
        }
    }

    /// `ready/total` nodes.
    pub fn nodes_text(&self) -> String {
        format!("{}/{}", self.nodes_ready, self.nodes_total)
    }

    /// The progress cell: `42%`, or nothing when the job does not report it.
    pub fn progress_text(&self) -> String {
        self.progress.map(|p| format!("{p}%")).unwrap_or_default()
    }

    /// `loss=0.41 accuracy=0.87`.
    pub fn metrics_text(&self) -> String {
        self.metrics
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The runtime cell: the runtime's name; a legacy job has none.
    pub fn runtime_text(&self) -> &str {
        if self.kind.is_legacy() {
            "—"
        } else {
            &self.runtime
        }
    }
}

impl ListRow for TrainRow {
    const KIND: Kind = Kind::Training(JobKind::TrainJob);
    const SORT_COLUMNS: &'static [&'static str] = &[
        "age",
        "name",
        "namespace",
        "kind",
        "runtime",
        "state",
        "nodes",
        "progress",
    ];
    crate::list_row_fields!();

    fn kind(&self) -> Kind {
        Kind::Training(self.kind)
    }
    fn search_fields(&self) -> Vec<&str> {
        vec![
            &self.name,
            self.kind.marker(),
            &self.runtime,
            self.state.word(self.kind),
            &self.reason,
            &self.namespace,
        ]
    }
    fn compare(&self, other: &Self, column: &str, _now: DateTime<Utc>) -> Ordering {
        match column {
            "name" => self.name.cmp(&other.name),
            "namespace" => self.namespace.cmp(&other.namespace),
            "kind" => self.kind.cmp(&other.kind),
            "runtime" => self.runtime_text().cmp(other.runtime_text()),
            "state" => self.state.cmp(&other.state),
            "nodes" => (self.nodes_ready, self.nodes_total).cmp(&(other.nodes_ready, other.nodes_total)),
            "progress" => other.progress.cmp(&self.progress),
            _ => other.created.cmp(&self.created),
        }
    }
}

/// A TrainingRuntime (namespaced) or ClusterTrainingRuntime, for reference in the detail.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RuntimeLite<K> {
    #[serde(default, deserialize_with = "crate::kube::resources::slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: RuntimeSpecLite,
    #[serde(skip)]
    pub kind: PhantomData<K>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeSpecLite {
    /// `{numNodes, torch: {…} | mpi: {…} | …}`: small, kept as JSON.
    #[serde(default)]
    pub ml_policy: Value,
}

/// Marks a namespaced TrainingRuntime.
#[derive(Debug, Clone, Default)]
pub struct Namespaced;
/// Marks a cluster-scoped ClusterTrainingRuntime.
#[derive(Debug, Clone, Default)]
pub struct ClusterScoped;

crate::lite_resource!(
    RuntimeLite<Namespaced>,
    "trainer.kubeflow.org",
    "v1alpha1",
    "TrainingRuntime",
    "trainingruntimes"
);
crate::lite_resource!(
    RuntimeLite<ClusterScoped>,
    "trainer.kubeflow.org",
    "v1alpha1",
    "ClusterTrainingRuntime",
    "clustertrainingruntimes"
);

/// A training runtime, as the Training detail lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeRow {
    pub name: String,
    /// Empty for a ClusterTrainingRuntime.
    pub namespace: String,
    pub cluster: bool,
    /// `trainer.kubeflow.org/framework`.
    pub framework: String,
    /// The ML policy's kind (`torch`, `mpi`, …).
    pub policy: String,
    pub num_nodes: Option<i64>,
    pub deprecated: bool,
    pub created: Option<DateTime<Utc>>,
}

impl RuntimeRow {
    fn from_parts(meta: &ObjectMeta, spec: &RuntimeSpecLite, cluster: bool) -> RuntimeRow {
        let labels = meta.labels.clone().unwrap_or_default();
        let policy = spec
            .ml_policy
            .as_object()
            .and_then(|m| m.keys().find(|k| *k != "numNodes").cloned())
            .unwrap_or_default();
        RuntimeRow {
            name: sanitized(meta.name.as_deref().unwrap_or("")),
            namespace: sanitized(meta.namespace.as_deref().unwrap_or("")),
            cluster,
            framework: sanitized(
                labels
                    .get("trainer.kubeflow.org/framework")
                    .map_or("", String::as_str),
            ),
            policy: sanitized(&policy),
            num_nodes: spec.ml_policy.get("numNodes").and_then(Value::as_i64),
            deprecated: labels.get("trainer.kubeflow.org/support").map(String::as_str) == Some("deprecated"),
            created: meta_time(meta.creation_timestamp.as_ref()),
        }
    }

    pub fn from_namespaced(r: &RuntimeLite<Namespaced>) -> RuntimeRow {
        RuntimeRow::from_parts(&r.metadata, &r.spec, false)
    }

    pub fn from_cluster(r: &RuntimeLite<ClusterScoped>) -> RuntimeRow {
        RuntimeRow::from_parts(&r.metadata, &r.spec, true)
    }

    /// The kind a TrainJob's `runtimeRef.kind` names this runtime by.
    pub fn kind_name(&self) -> &'static str {
        if self.cluster {
            "ClusterTrainingRuntime"
        } else {
            "TrainingRuntime"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
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

    fn trainjob(json: Value) -> TrainRow {
        TrainRow::from_trainjob(&serde_json::from_value(json).unwrap())
    }

    #[test]
    fn complete_trainjob_fixture() {
        let Some(job) =
            fixture::<TrainJobLite>("SYNTHETIC_trainer.kubeflow.org_trainjob_status_complete.yaml")
        else {
            return;
        };
        let row = TrainRow::from_trainjob(&job);
        assert_eq!(row.name, "multi-node-example");
        assert_eq!(row.runtime, "torch-distributed");
        assert_eq!(row.state, TrainState::Succeeded);
        assert_eq!(row.state.word(row.kind), "Complete");
        assert_eq!(row.reason, "AllJobsCompleted: jobset completed successfully");
        assert_eq!(row.nodes_text(), "0/3");
        assert_eq!(row.replicas[0].succeeded, 3);
    }

    #[test]
    fn legacy_fixtures_use_the_last_true_condition() {
        if let Some(job) = fixture::<LegacyJobLite<Jax>>("kubeflow.org_jaxjob_status_succeeded.yaml") {
            let row = TrainRow::from_legacy(&job);
            assert_eq!((row.kind, row.state), (JobKind::Jax, TrainState::Succeeded));
            assert_eq!(row.nodes_text(), "0/2");
            assert!(row.reason.starts_with("JAXJobSucceeded"), "{}", row.reason);
        }
        if let Some(job) = fixture::<LegacyJobLite<XgBoost>>("kubeflow.org_xgboostjob_status_succeeded.yaml")
        {
            let row = TrainRow::from_legacy(&job);
            assert_eq!(row.state, TrainState::Succeeded);
            assert_eq!(row.nodes_total, 3, "a master and two workers");
            let names: Vec<&str> = row.replicas.iter().map(|r| r.name.as_str()).collect();
            assert_eq!(names, ["Master", "Worker"]);
        }
    }

    #[test]
    fn trainjob_state_follows_research() {
        let s = |status: Value, suspend: bool| {
            trainjob(serde_json::json!({"metadata": {"name": "j"},
                "spec": {"suspend": suspend, "trainer": {"numNodes": 2}}, "status": status}))
        };
        assert_eq!(s(Value::Null, false).state, TrainState::Created);
        let running = s(
            serde_json::json!({"jobsStatus": [{"name": "node", "ready": 1, "active": 1}],
                "trainerStatus": {"progressPercentage": 42, "estimatedRemainingSeconds": 300,
                    "metrics": [{"name": "loss", "value": "0.41"}]}}),
            false,
        );
        assert_eq!(running.state, TrainState::Running);
        assert_eq!(running.nodes_text(), "2/2");
        assert_eq!(running.progress_text(), "42%");
        assert_eq!(running.metrics_text(), "loss=0.41");
        assert_eq!(
            s(serde_json::json!({"jobsStatus": [{"name": "node"}]}), false).state,
            TrainState::Pending
        );
        assert_eq!(
            s(serde_json::json!({"conditions": [{"type": "Suspended", "status": "True", "reason": "Suspended"}]}), true).state,
            TrainState::Suspended
        );
        assert_eq!(
            s(
                serde_json::json!({"conditions": [{"type": "Suspended", "status": "False"},
                {"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}]}),
                false
            )
            .state,
            TrainState::Failed
        );
        let legacy = legacy_state(&[
            ConditionLite {
                type_: "Created".into(),
                status: "True".into(),
                ..ConditionLite::default()
            },
            ConditionLite {
                type_: "Running".into(),
                status: "True".into(),
                ..ConditionLite::default()
            },
        ]);
        assert_eq!(legacy.0, TrainState::Running);
    }
}
