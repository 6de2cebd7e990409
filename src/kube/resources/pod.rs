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
    /// A short name for the pod among its siblings, for the log prefix: the step of a run, the
    /// replica of a JobSet (`node-0-1`), the component and revision of a model server
    /// (`predictor-00002-x7k2p`), else the pod's name.
    pub replica: String,
    /// The containers, in spec order.
    pub containers: Vec<String>,
    /// The init containers, in spec order.
    pub init_containers: Vec<String>,
    /// The container kubectl shows by default: the annotation, else the first container.
    pub default_container: Option<String>,
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
            replica: sanitized(&replica_name(
                &name,
                meta.labels.as_ref(),
                annotations.get(NODE_NAME).map(|_| step.as_str()),
            )),
            containers: pod
                .spec
                .iter()
                .flat_map(|s| s.containers.iter().map(|c| sanitized(&c.name)))
                .collect(),
            init_containers: pod
                .spec
                .iter()
                .flat_map(|s| s.init_containers.iter().flatten().map(|c| sanitized(&c.name)))
                .collect(),
            default_container: crate::kube::logs::default_container(pod),
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

/// Labels a JobSet puts on its pods (Trainer v2 TrainJobs run as JobSets).
const JOBSET_REPLICATED_JOB: &str = "jobset.sigs.k8s.io/replicatedjob-name";
const JOBSET_JOB_INDEX: &str = "jobset.sigs.k8s.io/job-index";
const JOB_COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";
/// Labels KServe and Knative put on model server pods.
const KSERVE_COMPONENT: &str = "component";
const KNATIVE_REVISION: &str = "serving.knative.dev/revision";
const KSERVE_ISVC: &str = "serving.kserve.io/inferenceservice";

/// A pod's short name among its siblings (see [`PodRow::replica`]).
fn replica_name(
    name: &str,
    labels: Option<&std::collections::BTreeMap<String, String>>,
    step: Option<&str>,
) -> String {
    if let Some(step) = step {
        return step.to_string();
    }
    let label = |k: &str| labels.and_then(|l| l.get(k)).map(String::as_str);
    if let Some(job) = label(JOBSET_REPLICATED_JOB) {
        let index = label(JOBSET_JOB_INDEX).unwrap_or("0");
        return match label(JOB_COMPLETION_INDEX) {
            Some(i) => format!("{job}-{index}-{i}"),
            None => format!("{job}-{index}"),
        };
    }
    if let (Some(_), Some(component)) = (label(KSERVE_ISVC), label(KSERVE_COMPONENT)) {
        let hash = name.rsplit('-').next().unwrap_or(name);
        return match label(KNATIVE_REVISION).and_then(|r| r.rsplit('-').next()) {
            Some(rev) if rev.chars().all(|c| c.is_ascii_digit()) => format!("{component}-{rev}-{hash}"),
            _ => format!("{component}-{hash}"),
        };
    }
    name.to_string()
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

    fn labels(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn replicas_are_named_by_their_role_among_siblings() {
        let jobset = labels(&[
            (JOBSET_REPLICATED_JOB, "node"),
            (JOBSET_JOB_INDEX, "0"),
            (JOB_COMPLETION_INDEX, "1"),
        ]);
        assert_eq!(
            replica_name("mnist-node-0-1-x7k2p", Some(&jobset), None),
            "node-0-1"
        );
        let isvc = labels(&[
            (KSERVE_ISVC, "iris"),
            (KSERVE_COMPONENT, "predictor"),
            (KNATIVE_REVISION, "iris-predictor-00002"),
        ]);
        assert_eq!(
            replica_name("iris-predictor-00002-deployment-5d8f9-x7k2p", Some(&isvc), None),
            "predictor-00002-x7k2p"
        );
        let raw = labels(&[(KSERVE_ISVC, "iris"), (KSERVE_COMPONENT, "transformer")]);
        assert_eq!(
            replica_name("iris-transformer-6c9d8-q2w3e", Some(&raw), None),
            "transformer-q2w3e"
        );
        assert_eq!(replica_name("jupyter-0", None, None), "jupyter-0");
        assert_eq!(replica_name("wf-impl-123", Some(&jobset), Some("train")), "train");
    }
}
