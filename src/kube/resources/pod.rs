//! Pods, as the log view needs them: which step they run, and whether they have user logs.

use k8s_openapi::api::core::v1::Pod;

use crate::text::sanitized;

/// Annotation Argo sets with the node's full name (`wf.root.train.executor`, `wf[0].step`).
pub const NODE_NAME: &str = "workflows.argoproj.io/node-name";
/// Annotation KFP sets on its driver and launcher (executor) pods.
pub const RUNTIME_ROLE: &str = "pipelines.kubeflow.org/runtime-role";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRow {
    pub namespace: String,
    pub name: String,
    pub phase: String,
    /// The step this pod runs, for the log prefix.
    pub step: String,
    /// A KFP driver pod: bookkeeping, not the user's code.
    pub driver: bool,
    pub created: String,
}

impl PodRow {
    pub fn from_pod(pod: &Pod) -> PodRow {
        let meta = &pod.metadata;
        let annotations = meta.annotations.clone().unwrap_or_default();
        let name = meta.name.clone().unwrap_or_default();
        let step = annotations
            .get(NODE_NAME)
            .map(|n| step_label(n))
            .unwrap_or_else(|| name.clone());
        PodRow {
            namespace: meta.namespace.clone().unwrap_or_default(),
            driver: annotations.get(RUNTIME_ROLE).is_some_and(|r| r == "driver")
                || name.contains("-system-container-driver-")
                || name.contains("-system-dag-driver-"),
            phase: pod
                .status
                .as_ref()
                .and_then(|s| s.phase.clone())
                .unwrap_or_default(),
            step: sanitized(&step),
            created: meta
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.to_string())
                .unwrap_or_default(),
            name,
        }
    }
}

/// The step's short name from Argo's node name: the last segment, without KFP's `.executor`.
pub fn step_label(node_name: &str) -> String {
    let trimmed = node_name.strip_suffix(".executor").unwrap_or(node_name);
    trimmed.rsplit('.').next().unwrap_or(trimmed).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_labels_read_like_the_graph() {
        assert_eq!(step_label("xgb-j9zl2.root.preprocess.executor"), "preprocess");
        assert_eq!(step_label("wf[0].load-data"), "load-data");
        assert_eq!(step_label("wf.flaky(1)"), "flaky(1)");
        assert_eq!(step_label("wf"), "wf");
    }
}
