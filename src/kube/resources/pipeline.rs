//! Pipelines from every place a cluster keeps them: KFP's REST API (either storage mode), the
//! `pipelines.kubeflow.org/v2beta1` Pipeline and PipelineVersion objects where the API is not
//! reachable, and Argo WorkflowTemplates and ClusterWorkflowTemplates. One row type for all.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::kube::key::Kind;
use crate::kube::resources::parse_time;
use crate::kube::row::ListRow;
use crate::text::sanitized;

/// Where a pipeline row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PipelineSource {
    /// KFP's REST API.
    KfpApi,
    /// `pipelines.kubeflow.org` Pipeline objects (KFP's Kubernetes storage mode).
    KfpCrd,
    WorkflowTemplate,
    ClusterWorkflowTemplate,
}

impl PipelineSource {
    pub fn word(self) -> &'static str {
        match self {
            PipelineSource::KfpApi => "KFP",
            PipelineSource::KfpCrd => "KFP (CRD)",
            PipelineSource::WorkflowTemplate => "WorkflowTemplate",
            PipelineSource::ClusterWorkflowTemplate => "ClusterWorkflowTemplate",
        }
    }

    pub fn is_kfp(self) -> bool {
        matches!(self, PipelineSource::KfpApi | PipelineSource::KfpCrd)
    }
}

/// One row of the Pipelines pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineRow {
    pub uid: String,
    /// Empty for shared KFP pipelines and ClusterWorkflowTemplates.
    pub namespace: String,
    /// The object's name (a template's name, a KFP pipeline's name).
    pub name: String,
    pub display_name: String,
    pub source: PipelineSource,
    pub description: String,
    /// KFP: the pipeline id.
    pub pipeline_id: String,
    /// KFP: how many versions; `None` for templates.
    pub versions: Option<usize>,
    pub latest_version: String,
    pub latest_version_id: String,
    pub created: Option<DateTime<Utc>>,
    pub labels: BTreeMap<String, String>,
}

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn first_nonempty<'a>(xs: &[&'a str]) -> &'a str {
    xs.iter().copied().find(|x| !x.is_empty()).unwrap_or("")
}

impl PipelineRow {
    /// A pipeline as KFP's API lists it, with its versions (newest first) when known.
    pub fn from_kfp(p: &Value, versions: &[Value]) -> PipelineRow {
        let latest = versions.first();
        let name = first_nonempty(&[s(p, "/name"), s(p, "/display_name")]);
        PipelineRow {
            uid: format!("kfp:{}", s(p, "/pipeline_id")),
            namespace: sanitized(s(p, "/namespace")),
            name: sanitized(name),
            display_name: sanitized(first_nonempty(&[s(p, "/display_name"), name])),
            source: PipelineSource::KfpApi,
            description: sanitized(s(p, "/description")),
            pipeline_id: s(p, "/pipeline_id").to_string(),
            versions: Some(versions.len()),
            latest_version: sanitized(
                latest
                    .map(|v| first_nonempty(&[s(v, "/display_name"), s(v, "/name")]))
                    .unwrap_or(""),
            ),
            latest_version_id: latest
                .map(|v| s(v, "/pipeline_version_id").to_string())
                .unwrap_or_default(),
            created: parse_time(s(p, "/created_at")),
            labels: BTreeMap::new(),
        }
    }

    /// A `pipelines.kubeflow.org` Pipeline object with its PipelineVersion objects.
    pub fn from_crd(p: &Value, versions: &[Value]) -> PipelineRow {
        let latest = versions
            .iter()
            .max_by_key(|v| s(v, "/metadata/creationTimestamp").to_string());
        let name = s(p, "/metadata/name");
        PipelineRow {
            uid: s(p, "/metadata/uid").to_string(),
            namespace: sanitized(s(p, "/metadata/namespace")),
            name: sanitized(name),
            display_name: sanitized(first_nonempty(&[s(p, "/spec/displayName"), name])),
            source: PipelineSource::KfpCrd,
            description: sanitized(s(p, "/spec/description")),
            pipeline_id: s(p, "/metadata/uid").to_string(),
            versions: Some(versions.len()),
            latest_version: sanitized(
                latest
                    .map(|v| first_nonempty(&[s(v, "/spec/displayName"), s(v, "/metadata/name")]))
                    .unwrap_or(""),
            ),
            latest_version_id: latest
                .map(|v| s(v, "/metadata/uid").to_string())
                .unwrap_or_default(),
            created: parse_time(s(p, "/metadata/creationTimestamp")),
            labels: BTreeMap::new(),
        }
    }

    /// An Argo (Cluster)WorkflowTemplate.
    pub fn from_template(t: &Value, cluster: bool) -> PipelineRow {
        let name = s(t, "/metadata/name");
        let labels = t
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        PipelineRow {
            uid: s(t, "/metadata/uid").to_string(),
            namespace: sanitized(s(t, "/metadata/namespace")),
            name: sanitized(name),
            display_name: sanitized(name),
            source: if cluster {
                PipelineSource::ClusterWorkflowTemplate
            } else {
                PipelineSource::WorkflowTemplate
            },
            description: sanitized(first_nonempty(&[
                s(t, "/metadata/annotations/workflows.argoproj.io~1description"),
                s(t, "/metadata/annotations/workflows.argoproj.io~1title"),
            ])),
            pipeline_id: String::new(),
            versions: None,
            latest_version: String::new(),
            latest_version_id: String::new(),
            created: parse_time(s(t, "/metadata/creationTimestamp")),
            labels,
        }
    }
}

impl ListRow for PipelineRow {
    const KIND: Kind = Kind::Pipelines;
    const SORT_COLUMNS: &'static [&'static str] = &["name", "source", "versions", "latest", "age"];
    crate::list_row_fields!();

    fn kind(&self) -> Kind {
        match self.source {
            PipelineSource::KfpApi => Kind::Pipelines,
            PipelineSource::KfpCrd => Kind::PipelineObjects,
            PipelineSource::WorkflowTemplate => Kind::WorkflowTemplates,
            PipelineSource::ClusterWorkflowTemplate => Kind::ClusterWorkflowTemplates,
        }
    }
    fn display(&self) -> &str {
        &self.display_name
    }
    fn search_fields(&self) -> Vec<&str> {
        vec![
            &self.display_name,
            &self.name,
            &self.description,
            self.source.word(),
            &self.latest_version,
        ]
    }
    fn compare(&self, other: &Self, column: &str, _now: DateTime<Utc>) -> Ordering {
        match column {
            "source" => self.source.cmp(&other.source),
            "versions" => self.versions.cmp(&other.versions),
            "latest" => self.latest_version.cmp(&other.latest_version),
            "age" => other.created.cmp(&self.created),
            _ => self
                .display_name
                .to_lowercase()
                .cmp(&other.display_name.to_lowercase()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_from_each_source() {
        let p = json!({"pipeline_id": "p1", "name": "train", "display_name": "Train", "description": "d",
            "created_at": "2026-11-01T00:00:00Z", "namespace": "team-a"});
        let v = [
            json!({"pipeline_version_id": "v2", "display_name": "train v2"}),
            json!({"pipeline_version_id": "v1", "display_name": "train v1"}),
        ];
        let r = PipelineRow::from_kfp(&p, &v);
        assert_eq!(
            (r.display_name.as_str(), r.versions, r.latest_version_id.as_str()),
            ("Train", Some(2), "v2")
        );
        let crd = json!({"metadata": {"name": "hello-world", "namespace": "team-a", "uid": "u1",
            "creationTimestamp": "2026-11-01T00:00:00Z"}, "spec": {"displayName": "Hello"}});
        let versions = [
            json!({"metadata": {"name": "hello-world-v1", "uid": "vu1", "creationTimestamp": "2026-11-01T00:00:00Z"}}),
            json!({"metadata": {"name": "hello-world-v2", "uid": "vu2", "creationTimestamp": "2026-11-02T00:00:00Z"}}),
        ];
        let r = PipelineRow::from_crd(&crd, &versions);
        assert_eq!(
            (r.latest_version.as_str(), r.latest_version_id.as_str()),
            ("hello-world-v2", "vu2")
        );
        let t = json!({"metadata": {"name": "basic", "namespace": "argo", "uid": "t1",
            "annotations": {"workflows.argoproj.io/description": "A \u{1b}[31mbasic\u{1b}[0m template"}}});
        let r = PipelineRow::from_template(&t, false);
        assert_eq!(r.source.word(), "WorkflowTemplate");
        assert!(
            !r.description.contains('\u{1b}'),
            "escapes never reach the screen"
        );
    }
}
