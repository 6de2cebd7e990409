//! Argo `Workflow` (`argoproj.io/v1alpha1`), read as the few fields a run row needs.
//!
//! The watcher deserialises into [`WorkflowLite`], which names only the fields the Runs pane shows;
//! serde skips the rest (the node map can be megabytes), so a list of thousands of runs stays small.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use std::cmp::Ordering;

use crate::kube::key::Kind;
use crate::kube::resources::{meta_time, parse_time};
use crate::kube::row::ListRow;
use crate::text::sanitized;

/// Annotation holding the KFP run's display name.
pub const KFP_RUN_NAME: &str = "pipelines.kubeflow.org/run_name";
/// Label holding the KFP run id.
pub const KFP_RUN_ID: &str = "pipeline/runid";
/// Annotation KFP sets with the pipeline's name on runs it creates.
pub const KFP_PIPELINE_NAME: &str = "pipelines.kubeflow.org/pipeline_name";
/// Label Argo sets on runs created from a WorkflowTemplate.
pub const ARGO_TEMPLATE: &str = "workflows.argoproj.io/workflow-template";
/// Label Argo sets on runs created from a ClusterWorkflowTemplate.
pub const ARGO_CLUSTER_TEMPLATE: &str = "workflows.argoproj.io/cluster-workflow-template";
/// Label Argo sets on runs created by a CronWorkflow.
pub const ARGO_CRON: &str = "workflows.argoproj.io/cron-workflow";
/// Label KFP sets on runs created by a recurring run.
pub const KFP_SCHEDULED: &str = "scheduledworkflows.kubeflow.org/scheduledWorkflowName";
/// Label Argo's resubmit sets on the new run.
pub const ARGO_RESUBMITTED: &str = "workflows.argoproj.io/resubmitted-from-workflow";
/// Annotation KFP sets on retried runs.
pub const KFP_RETRY_GENERATION: &str = "pipelines.kubeflow.org/retry-generation";

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct WorkflowLite {
    #[serde(default, deserialize_with = "crate::kube::resources::slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: WorkflowSpecLite,
    #[serde(default)]
    pub status: Option<WorkflowStatusLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowSpecLite {
    #[serde(default)]
    pub suspend: Option<bool>,
    #[serde(default)]
    pub shutdown: Option<String>,
    #[serde(default)]
    pub workflow_template_ref: Option<TemplateRefLite>,
    #[serde(default)]
    pub entrypoint: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateRefLite {
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowStatusLite {
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default)]
    pub progress: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

crate::lite_resource!(WorkflowLite, "argoproj.io", "v1alpha1", "Workflow", "workflows");

/// The phase of a run as the Runs pane shows it: Argo's phase, refined by the spec
/// (a suspended or stopping run says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RunPhase {
    Pending,
    Running,
    Suspended,
    Stopping,
    Succeeded,
    Failed,
    Error,
    Unknown,
}

impl RunPhase {
    /// A glyph that reads without colour.
    pub fn glyph(self) -> &'static str {
        match self {
            RunPhase::Pending => "○",
            RunPhase::Running => "●",
            RunPhase::Suspended => "‖",
            RunPhase::Stopping => "◍",
            RunPhase::Succeeded => "✓",
            RunPhase::Failed => "✗",
            RunPhase::Error => "!",
            RunPhase::Unknown => "?",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            RunPhase::Pending => "Pending",
            RunPhase::Running => "Running",
            RunPhase::Suspended => "Suspended",
            RunPhase::Stopping => "Stopping",
            RunPhase::Succeeded => "Succeeded",
            RunPhase::Failed => "Failed",
            RunPhase::Error => "Error",
            RunPhase::Unknown => "Unknown",
        }
    }

    /// Still moving: its duration grows while it is on screen.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            RunPhase::Pending | RunPhase::Running | RunPhase::Suspended | RunPhase::Stopping
        )
    }

    fn from_argo(phase: &str) -> RunPhase {
        match phase {
            "" | "Pending" => RunPhase::Pending,
            "Running" => RunPhase::Running,
            "Succeeded" => RunPhase::Succeeded,
            "Failed" => RunPhase::Failed,
            "Error" => RunPhase::Error,
            _ => RunPhase::Unknown,
        }
    }
}

/// Where a run came from, shown as a marker in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunOrigin {
    Submitted,
    Retried,
    Resubmitted,
    Scheduled,
    /// Known only from KFP's database: the Workflow was deleted after its TTL.
    History,
}

impl RunOrigin {
    pub fn marker(self) -> &'static str {
        match self {
            RunOrigin::Submitted => "",
            RunOrigin::Retried => "↻",
            RunOrigin::Resubmitted => "⎘",
            RunOrigin::Scheduled => "⏱",
            RunOrigin::History => "◌",
        }
    }
}

/// One row of the Runs pane: a Workflow projected to what the list shows.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub uid: String,
    pub namespace: String,
    /// The Workflow's `metadata.name`.
    pub name: String,
    /// What the list shows: the KFP run name if there is one, else the Workflow's name.
    pub display_name: String,
    pub pipeline: String,
    /// The KFP experiment, when KFP's API told it.
    pub experiment: String,
    pub phase: RunPhase,
    pub progress: Option<(u32, u32)>,
    pub created: Option<DateTime<Utc>>,
    pub started: Option<DateTime<Utc>>,
    pub finished: Option<DateTime<Utc>>,
    pub message: String,
    pub origin: RunOrigin,
    /// Shared: a snapshot of thousands of rows is copied for every change, and a label map is
    /// the costliest part of a row to copy.
    pub labels: std::sync::Arc<BTreeMap<String, String>>,
    pub resource_version: String,
}

impl RunRow {
    /// Projects a Workflow to its row. Never fails: odd or missing fields give empty cells.
    pub fn from_workflow(wf: &WorkflowLite) -> RunRow {
        let meta = &wf.metadata;
        let annotations = meta.annotations.clone().unwrap_or_default();
        let labels = meta.labels.clone().unwrap_or_default();
        let name = meta.name.clone().unwrap_or_default();
        let status = wf.status.clone().unwrap_or_default();
        let mut phase = RunPhase::from_argo(status.phase.as_deref().unwrap_or(""));
        if !matches!(phase, RunPhase::Succeeded | RunPhase::Failed | RunPhase::Error) {
            if wf.spec.shutdown.as_deref().is_some_and(|s| !s.is_empty()) {
                phase = RunPhase::Stopping;
            } else if wf.spec.suspend == Some(true) {
                phase = RunPhase::Suspended;
            }
        }
        let display_name = annotations
            .get(KFP_RUN_NAME)
            .filter(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| name.clone());
        let pipeline = annotations
            .get(KFP_PIPELINE_NAME)
            .or_else(|| labels.get(ARGO_TEMPLATE))
            .or_else(|| labels.get(ARGO_CLUSTER_TEMPLATE))
            .cloned()
            .or_else(|| {
                wf.spec
                    .workflow_template_ref
                    .as_ref()
                    .and_then(|r| r.name.clone())
            })
            .or_else(|| {
                // KFP and `argo submit` name runs `<pipeline>-<random>` through generateName.
                meta.generate_name
                    .as_deref()
                    .map(|g| g.trim_end_matches('-').to_string())
                    .filter(|g| !g.is_empty())
            })
            .unwrap_or_default();
        let origin = if labels.contains_key(ARGO_RESUBMITTED) {
            RunOrigin::Resubmitted
        } else if annotations.contains_key(KFP_RETRY_GENERATION) {
            RunOrigin::Retried
        } else if labels.contains_key(KFP_SCHEDULED) || labels.contains_key(ARGO_CRON) {
            RunOrigin::Scheduled
        } else {
            RunOrigin::Submitted
        };
        RunRow {
            uid: meta.uid.clone().unwrap_or_default(),
            namespace: sanitized(meta.namespace.as_deref().unwrap_or_default()),
            display_name: sanitized(&display_name),
            name: sanitized(&name),
            pipeline: sanitized(&pipeline),
            experiment: String::new(),
            phase,
            progress: status.progress.as_deref().and_then(parse_progress),
            created: meta_time(meta.creation_timestamp.as_ref()),
            started: status.started_at.as_deref().and_then(parse_time),
            finished: status.finished_at.as_deref().and_then(parse_time),
            message: sanitized(status.message.as_deref().unwrap_or_default()),
            origin,
            labels: std::sync::Arc::new(labels),
            resource_version: meta.resource_version.clone().unwrap_or_default(),
        }
    }

    /// A run known only from KFP's database (`v2beta1Run`), its Workflow gone.
    pub fn from_kfp_history(
        namespace: &str,
        run: &serde_json::Value,
        pipeline: &str,
        experiment: &str,
    ) -> RunRow {
        let s = |k: &str| run.get(k).and_then(serde_json::Value::as_str).unwrap_or("");
        // KFP writes the zero time for "not yet".
        let t = |k: &str| parse_time(s(k)).filter(|t| t.timestamp() > 0);
        let run_id = s("run_id");
        let phase = match s("state") {
            "SUCCEEDED" => RunPhase::Succeeded,
            "FAILED" => RunPhase::Failed,
            "CANCELED" | "CANCELING" => RunPhase::Failed,
            "RUNNING" => RunPhase::Running,
            "PENDING" => RunPhase::Pending,
            "PAUSED" => RunPhase::Suspended,
            _ => RunPhase::Unknown,
        };
        let mut message = run
            .pointer("/error/message")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_string();
        if s("state") == "CANCELED" {
            message = "canceled".into();
        }
        let mut labels = BTreeMap::new();
        labels.insert(KFP_RUN_ID.to_string(), run_id.to_string());
        RunRow {
            uid: format!("kfp:{run_id}"),
            namespace: sanitized(namespace),
            name: sanitized(run_id),
            display_name: sanitized(match s("display_name") {
                "" => run_id,
                d => d,
            }),
            pipeline: sanitized(pipeline),
            experiment: sanitized(experiment),
            phase,
            progress: None,
            created: t("created_at"),
            started: t("scheduled_at").or_else(|| t("created_at")),
            finished: t("finished_at"),
            message: sanitized(&message),
            origin: RunOrigin::History,
            labels: std::sync::Arc::new(labels),
            resource_version: String::new(),
        }
    }

    /// The KFP run id, when it is a KFP run.
    pub fn kfp_run_id(&self) -> Option<&str> {
        self.labels
            .get(KFP_RUN_ID)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// How long the run has taken, or has been taking at `now`.
    pub fn duration(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        let start = self.started?;
        let end = self.finished.unwrap_or(now);
        Some(end - start)
    }
}

fn fraction(p: Option<(u32, u32)>) -> f64 {
    p.map_or(
        -1.0,
        |(d, t)| if t == 0 { 0.0 } else { f64::from(d) / f64::from(t) },
    )
}

impl ListRow for RunRow {
    const KIND: Kind = Kind::Workflows;
    const SORT_COLUMNS: &'static [&'static str] = &[
        "age",
        "name",
        "namespace",
        "pipeline",
        "status",
        "progress",
        "started",
        "duration",
    ];
    crate::list_row_fields!();

    /// A run known only from KFP's history has no Workflow to act on.
    fn kind(&self) -> Kind {
        if self.origin == RunOrigin::History {
            Kind::KfpRuns
        } else {
            Kind::Workflows
        }
    }
    fn display(&self) -> &str {
        &self.display_name
    }
    fn search_fields(&self) -> Vec<&str> {
        vec![
            &self.display_name,
            &self.name,
            &self.pipeline,
            self.phase.word(),
            &self.namespace,
        ]
    }
    fn is_live(&self) -> bool {
        self.phase.is_active() && self.started.is_some()
    }
    fn compare(&self, other: &Self, column: &str, now: DateTime<Utc>) -> Ordering {
        match column {
            "name" => self.display_name.cmp(&other.display_name),
            "namespace" => self.namespace.cmp(&other.namespace),
            "pipeline" => self.pipeline.cmp(&other.pipeline),
            "status" => self.phase.cmp(&other.phase),
            "progress" => fraction(self.progress).total_cmp(&fraction(other.progress)),
            "started" => self.started.cmp(&other.started),
            "duration" => self.duration(now).cmp(&other.duration(now)),
            _ => other.created.cmp(&self.created),
        }
    }
}

/// Parses Argo's `"n/m"` progress string.
pub fn parse_progress(s: &str) -> Option<(u32, u32)> {
    let (done, total) = s.split_once('/')?;
    Some((done.trim().parse().ok()?, total.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wf(json: serde_json::Value) -> WorkflowLite {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn kfp_run_uses_the_run_name_annotation_and_pipeline() {
        let row = RunRow::from_workflow(&wf(serde_json::json!({
            "metadata": {"name": "hello-world-x7k2p", "namespace": "team-a", "uid": "u1",
                "annotations": {"pipelines.kubeflow.org/run_name": "nightly hello",
                                "pipelines.kubeflow.org/pipeline_name": "hello-world"},
                "labels": {"pipeline/runid": "abc"}},
            "status": {"phase": "Running", "progress": "2/5", "startedAt": "2026-01-01T10:00:00Z"}
        })));
        assert_eq!(row.display_name, "nightly hello");
        assert_eq!(row.pipeline, "hello-world");
        assert_eq!(row.phase, RunPhase::Running);
        assert_eq!(row.progress, Some((2, 5)));
        let now = parse_time("2026-01-01T10:01:30Z").unwrap();
        assert_eq!(row.duration(now).map(|d| d.num_seconds()), Some(90));
    }

    #[test]
    fn spec_refines_the_phase_and_missing_fields_are_empty() {
        let row = RunRow::from_workflow(&wf(serde_json::json!({
            "metadata": {"name": "a"}, "spec": {"suspend": true}, "status": {"phase": "Running"}
        })));
        assert_eq!(row.phase, RunPhase::Suspended);
        let row = RunRow::from_workflow(&wf(serde_json::json!({
            "metadata": {"name": "b"}, "spec": {"shutdown": "Stop"}
        })));
        assert_eq!(row.phase, RunPhase::Stopping);
        assert_eq!(row.display_name, "b");
        assert_eq!(row.pipeline, "");
        let row = RunRow::from_workflow(&wf(serde_json::json!({
            "metadata": {"name": "echo-x1", "generateName": "echo-"}
        })));
        assert_eq!(row.pipeline, "echo", "generateName names the pipeline");
        assert_eq!(row.progress, None);
        let row = RunRow::from_workflow(&wf(serde_json::json!({
            "metadata": {"name": "c"}, "spec": {"shutdown": "Stop"}, "status": {"phase": "Failed"}
        })));
        assert_eq!(row.phase, RunPhase::Failed);
    }

    #[test]
    fn progress_parsing_rejects_garbage() {
        assert_eq!(parse_progress("3/20"), Some((3, 20)));
        assert_eq!(parse_progress(""), None);
        assert_eq!(parse_progress("x/y"), None);
    }
}
