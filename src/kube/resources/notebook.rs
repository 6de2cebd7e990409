//! Kubeflow `Notebook` (`kubeflow.org/v1`), read as the few fields a notebook row needs.
//!
//! The status is computed as the Jupyter web app computes it (`apps/common/status.py`), minus the
//! last step (the newest Warning event), which needs the events the list watch does not carry.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kube::key::Kind;
use crate::kube::resources::{ConditionLite, meta_time, parse_time};
use crate::kube::row::ListRow;
use crate::text::sanitized;

/// Annotation that stops a notebook; its value is the RFC 3339 time it was stopped.
pub const STOPPED: &str = "kubeflow-resource-stopped";
/// Annotation naming the server type: `jupyter`, `group-one` (VS Code), `group-two` (RStudio).
pub const SERVER_TYPE: &str = "notebooks.kubeflow.org/server-type";
/// Annotation the culler keeps with the last kernel activity.
pub const LAST_ACTIVITY: &str = "notebooks.kubeflow.org/last-activity";
/// Label the controller puts on the notebook's pod.
pub const POD_LABEL: &str = "notebook-name";
/// The GPU resource name.
pub const GPU: &str = "nvidia.com/gpu";

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct NotebookLite {
    #[serde(default, deserialize_with = "crate::kube::resources::slim_meta")]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: NotebookSpecLite,
    #[serde(default)]
    pub status: Option<NotebookStatusLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct NotebookSpecLite {
    #[serde(default)]
    pub template: PodTemplateLite,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PodTemplateLite {
    #[serde(default)]
    pub spec: PodSpecLite,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PodSpecLite {
    #[serde(default)]
    pub containers: Vec<ContainerLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ContainerLite {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub resources: Option<ResourcesLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ResourcesLite {
    #[serde(default)]
    pub requests: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    pub limits: Option<BTreeMap<String, Value>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotebookStatusLite {
    #[serde(default)]
    pub ready_replicas: Option<i32>,
    #[serde(default)]
    pub container_state: Option<ContainerStateLite>,
    #[serde(default)]
    pub conditions: Option<Vec<ConditionLite>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ContainerStateLite {
    #[serde(default)]
    pub waiting: Option<ReasonLite>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ReasonLite {
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

crate::lite_resource!(NotebookLite, "kubeflow.org", "v1", "Notebook", "notebooks");

/// A notebook's status as the Jupyter web app names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NotebookStatus {
    Ready,
    Waiting,
    Warning,
    Stopped,
    Terminating,
}

impl NotebookStatus {
    /// A glyph that reads without colour.
    pub fn glyph(self) -> &'static str {
        match self {
            NotebookStatus::Ready => "●",
            NotebookStatus::Waiting => "○",
            NotebookStatus::Warning => "!",
            NotebookStatus::Stopped => "■",
            NotebookStatus::Terminating => "◍",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            NotebookStatus::Ready => "Ready",
            NotebookStatus::Waiting => "Waiting",
            NotebookStatus::Warning => "Warning",
            NotebookStatus::Stopped => "Stopped",
            NotebookStatus::Terminating => "Terminating",
        }
    }
}

/// The kind of server a notebook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServerType {
    Jupyter,
    VsCode,
    RStudio,
    Other,
}

impl ServerType {
    fn from_annotation(s: Option<&str>) -> ServerType {
        match s {
            None | Some("" | "jupyter") => ServerType::Jupyter,
            Some("group-one") => ServerType::VsCode,
            Some("group-two") => ServerType::RStudio,
            Some(_) => ServerType::Other,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            ServerType::Jupyter => "Jupyter",
            ServerType::VsCode => "VS Code",
            ServerType::RStudio => "RStudio",
            ServerType::Other => "other",
        }
    }
}

/// One row of the Notebooks pane.
#[derive(Debug, Clone, PartialEq)]
pub struct NotebookRow {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    pub status: NotebookStatus,
    /// Why the status is what it is ("reason: message"), empty when ready.
    pub reason: String,
    pub server: ServerType,
    /// The full image reference.
    pub image: String,
    /// The image's last path segment (`jupyter-scipy:v1.9.2`).
    pub image_short: String,
    pub cpu: String,
    pub memory: String,
    pub gpus: String,
    pub last_activity: Option<DateTime<Utc>>,
    pub created: Option<DateTime<Utc>>,
    pub labels: BTreeMap<String, String>,
    pub resource_version: String,
}

fn quantity(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn reason_message(reason: Option<&str>, message: Option<&str>) -> String {
    match (reason.unwrap_or(""), message.unwrap_or("")) {
        ("", m) => m.to_string(),
        (r, "") => r.to_string(),
        (r, m) => format!("{r}: {m}"),
    }
}

/// The JWA status algorithm (`status.py`), steps 1–6.
pub fn notebook_status(nb: &NotebookLite) -> (NotebookStatus, String) {
    let meta = &nb.metadata;
    let stopped = meta.annotations.as_ref().is_some_and(|a| a.contains_key(STOPPED));
    let Some(status) = &nb.status else {
        if stopped {
            return (
                NotebookStatus::Stopped,
                "No Pods are currently running for this Notebook Server.".into(),
            );
        }
        if meta.deletion_timestamp.is_some() {
            return (
                NotebookStatus::Terminating,
                "Deleting this notebook server.".into(),
            );
        }
        return (
            NotebookStatus::Waiting,
            "Waiting for StatefulSet to create the underlying Pod.".into(),
        );
    };
    let ready = status.ready_replicas.unwrap_or(0);
    if stopped {
        return if ready == 0 {
            (
                NotebookStatus::Stopped,
                "No Pods are currently running for this Notebook Server.".into(),
            )
        } else {
            (NotebookStatus::Waiting, "Notebook Server is stopping.".into())
        };
    }
    if meta.deletion_timestamp.is_some() {
        return (
            NotebookStatus::Terminating,
            "Deleting this notebook server.".into(),
        );
    }
    if ready == 1 {
        return (NotebookStatus::Ready, "Running".into());
    }
    if let Some(waiting) = status.container_state.as_ref().and_then(|c| c.waiting.as_ref()) {
        return match waiting.reason.as_deref() {
            None | Some("") => (
                NotebookStatus::Waiting,
                "Waiting for the container to start.".into(),
            ),
            Some("PodInitializing") => (NotebookStatus::Waiting, "PodInitializing".into()),
            Some(r) => (
                NotebookStatus::Warning,
                reason_message(Some(r), waiting.message.as_deref()),
            ),
        };
    }
    if let Some(c) = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.reason.as_deref().is_some_and(|r| !r.is_empty()))
    {
        return (
            NotebookStatus::Warning,
            reason_message(c.reason.as_deref(), c.message.as_deref()),
        );
    }
    (NotebookStatus::Waiting, "Scheduling the Pod".into())
}

/// The last path segment of an image reference.
pub fn short_image(image: &str) -> &str {
    image.rsplit('/').next().unwrap_or(image)
}

impl NotebookRow {
    /// Projects a Notebook to its row. Never fails: odd or missing fields give empty cells.
    pub fn from_notebook(nb: &NotebookLite) -> NotebookRow {
        let meta = &nb.metadata;
        let annotations = meta.annotations.clone().unwrap_or_default();
        let (status, reason) = notebook_status(nb);
        let container = nb.spec.template.spec.containers.first();
        let image = container.and_then(|c| c.image.clone()).unwrap_or_default();
        let resources = container.and_then(|c| c.resources.clone()).unwrap_or_default();
        let requests = resources.requests.unwrap_or_default();
        let limits = resources.limits.unwrap_or_default();
        let pick = |key: &str| {
            requests
                .get(key)
                .or_else(|| limits.get(key))
                .map(quantity)
                .unwrap_or_default()
        };
        let gpus = limits
            .get(GPU)
            .or_else(|| requests.get(GPU))
            .map(quantity)
            .unwrap_or_default();
        NotebookRow {
            uid: meta.uid.clone().unwrap_or_default(),
            namespace: sanitized(meta.namespace.as_deref().unwrap_or_default()),
            name: sanitized(meta.name.as_deref().unwrap_or_default()),
            status,
            reason: sanitized(&reason),
            server: ServerType::from_annotation(annotations.get(SERVER_TYPE).map(String::as_str)),
            image_short: sanitized(short_image(&image)),
            image: sanitized(&image),
            cpu: sanitized(&pick("cpu")),
            memory: sanitized(&pick("memory")),
            gpus: sanitized(&gpus),
            last_activity: annotations.get(LAST_ACTIVITY).and_then(|s| parse_time(s)),
            created: meta_time(meta.creation_timestamp.as_ref()),
            labels: meta.labels.clone().unwrap_or_default(),
            resource_version: meta.resource_version.clone().unwrap_or_default(),
        }
    }
}

impl ListRow for NotebookRow {
    const KIND: Kind = Kind::Notebooks;
    const SORT_COLUMNS: &'static [&'static str] =
        &["age", "name", "namespace", "status", "type", "image", "activity"];
    crate::list_row_fields!();

    fn search_fields(&self) -> Vec<&str> {
        vec![
            &self.name,
            self.status.word(),
            self.server.word(),
            &self.image,
            &self.reason,
            &self.namespace,
        ]
    }
    fn compare(&self, other: &Self, column: &str, _now: DateTime<Utc>) -> Ordering {
        match column {
            "name" => self.name.cmp(&other.name),
            "namespace" => self.namespace.cmp(&other.namespace),
            "status" => self.status.cmp(&other.status),
            "type" => self.server.cmp(&other.server),
            "image" => self.image_short.cmp(&other.image_short),
            "activity" => other.last_activity.cmp(&self.last_activity),
            _ => other.created.cmp(&self.created),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nb(json: serde_json::Value) -> NotebookLite {
        serde_json::from_value(json).unwrap()
    }

    fn fixture(name: &str) -> Option<NotebookLite> {
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
    fn running_fixture_is_ready_rstudio_with_requests() {
        let Some(o) = fixture("SYNTHETIC_kubeflow.org_notebook_status_running.yaml") else {
            return;
        };
        let row = NotebookRow::from_notebook(&o);
        assert_eq!(row.name, "asa232rstudio");
        assert_eq!(row.status, NotebookStatus::Ready);
        assert_eq!(row.server, ServerType::RStudio);
        assert_eq!(row.image_short, "rstudio-tidyverse:master-e9324d39");
        assert_eq!(
            (row.cpu.as_str(), row.memory.as_str(), row.gpus.as_str()),
            ("500m", "1Gi", "")
        );
        assert_eq!(row.last_activity, parse_time("2022-08-09T15:55:44Z"));
    }

    #[test]
    fn stopped_fixture_is_stopped_jupyter() {
        let Some(o) = fixture("SYNTHETIC_kubeflow.org_notebook_status_stopped.yaml") else {
            return;
        };
        let row = NotebookRow::from_notebook(&o);
        assert_eq!(row.status, NotebookStatus::Stopped);
        assert_eq!(row.server, ServerType::Jupyter);
        assert_eq!(row.image_short, "jupyter-scipy:latest");
    }

    #[test]
    fn sample_without_status_is_waiting() {
        let Some(o) = fixture("kubeflow.org_notebook_spec_sample-v1.yaml") else {
            return;
        };
        let row = NotebookRow::from_notebook(&o);
        assert_eq!(row.status, NotebookStatus::Waiting);
        assert_eq!(row.image_short, "jupyter:latest");
        assert_eq!(row.cpu, "");
    }

    #[test]
    fn jwa_algorithm_covers_every_branch() {
        let status = |j| notebook_status(&nb(j));
        assert_eq!(
            status(serde_json::json!({"metadata": {"name": "a", "annotations": {STOPPED: "2022-10-07T09:50:48Z"}},
                "status": {"readyReplicas": 1}})).0,
            NotebookStatus::Waiting,
            "stopping"
        );
        assert_eq!(
            status(
                serde_json::json!({"metadata": {"name": "a", "deletionTimestamp": "2022-10-07T09:50:48Z"},
                "status": {"readyReplicas": 1}})
            )
            .0,
            NotebookStatus::Terminating
        );
        assert_eq!(
            status(serde_json::json!({"metadata": {"name": "a"},
                "status": {"readyReplicas": 0, "containerState": {"waiting": {"reason": "ImagePullBackOff",
                    "message": "Back-off pulling image x"}}}})),
            (
                NotebookStatus::Warning,
                "ImagePullBackOff: Back-off pulling image x".to_string()
            ),
            "warning with its reason"
        );
        assert_eq!(
            status(serde_json::json!({"metadata": {"name": "a"},
                "status": {"containerState": {"waiting": {"reason": "PodInitializing"}}}}))
            .0,
            NotebookStatus::Waiting
        );
        assert_eq!(
            status(serde_json::json!({"metadata": {"name": "a"},
                "status": {"readyReplicas": 0, "conditions": [
                    {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                     "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."}]}})),
            (
                NotebookStatus::Warning,
                "Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.".to_string()
            )
        );
        let row = NotebookRow::from_notebook(&nb(serde_json::json!({
            "metadata": {"name": "gpu\u{1b}]0;x\u{7}", "annotations": {SERVER_TYPE: "group-one"}},
            "spec": {"template": {"spec": {"containers": [{"name": "gpu", "image": "img",
                "resources": {"limits": {"cpu": 2, "memory": "4Gi", "nvidia.com/gpu": "1"}}}]}}}
        })));
        assert_eq!(row.server, ServerType::VsCode);
        assert_eq!(
            (row.cpu.as_str(), row.memory.as_str(), row.gpus.as_str()),
            ("2", "4Gi", "1")
        );
        assert!(!row.name.contains('\u{1b}'), "cluster text is sanitized");
        assert_eq!(row.image_short, "img");
    }
}
