//! What the watches and polls tell whoever started them: whole snapshots of rows, and the health
//! of each watch. The receiver takes these through `From` (`T: From<DataEvent>`), so the cluster
//! side never names the app's message type.

use std::sync::Arc;

use crate::kube::key::SubKey;
use crate::kube::resources::namespace::NamespaceRow;
use crate::kube::resources::workflow::RunRow;

/// News from a watch.
#[derive(Debug, Clone)]
pub enum DataEvent {
    /// The complete, current rows of a subscription.
    Runs { key: SubKey, rows: Arc<[RunRow]> },
    /// The complete, current notebooks of a subscription.
    Notebooks {
        key: SubKey,
        rows: Arc<[crate::kube::resources::notebook::NotebookRow]>,
    },
    /// The complete, current InferenceServices of a subscription.
    Models {
        key: SubKey,
        rows: Arc<[crate::kube::resources::inference_service::IsvcRow]>,
    },
    /// The complete, current training jobs of one API (the key's kind says which).
    Training {
        key: SubKey,
        rows: Arc<[crate::kube::resources::train_job::TrainRow]>,
    },
    /// The complete, current TrainingRuntimes or ClusterTrainingRuntimes.
    TrainingRuntimes {
        key: SubKey,
        rows: Arc<[crate::kube::resources::train_job::RuntimeRow]>,
    },
    /// The complete, current Katib Experiments of a subscription.
    Experiments {
        key: SubKey,
        rows: Arc<[crate::kube::resources::experiment::ExperimentRow]>,
    },
    /// The complete, current Trials of the open experiment.
    Trials {
        key: SubKey,
        rows: Arc<[crate::kube::resources::experiment::TrialRow]>,
    },
    /// Every run KFP's API lists in the namespace (experiments, and runs whose Workflow is gone).
    KfpRuns { key: SubKey, rows: Arc<[RunRow]> },
    /// The pipelines of every source, and notes on sources that could not be read.
    Pipelines {
        key: SubKey,
        rows: Arc<[crate::kube::resources::pipeline::PipelineRow]>,
        recurring: Arc<[crate::kube::resources::recurring::RecurringRow]>,
        notes: Vec<String>,
    },
    /// The namespaces of a context, for the picker.
    Namespaces { key: SubKey, rows: Arc<[NamespaceRow]> },
    /// The pods of a run whose logs are open.
    Pods {
        key: SubKey,
        rows: Arc<[crate::kube::resources::pod::PodRow]>,
    },
    /// The open run's step graph, rebuilt from the full Workflow (or why it could not be).
    RunGraph {
        key: SubKey,
        graph: Result<Arc<crate::runs::model::RunGraph>, String>,
    },
    /// Numbers from Prometheus (or why there are none) for a metrics key.
    Metrics {
        key: SubKey,
        result: Result<Arc<crate::kube::prometheus::Metrics>, String>,
    },
    /// The complete, current rows of a resource view's watch, with the server's columns.
    Table {
        key: SubKey,
        columns: Arc<[crate::kube::resources::table::Column]>,
        rows: Arc<[crate::kube::resources::table::TableRow]>,
    },
    /// What the pods of a resource view's watch use now (`metrics.k8s.io`).
    PodUsage {
        key: SubKey,
        usage: crate::kube::pod_usage::UsageMap,
    },
    /// The subscription's health changed.
    Status { key: SubKey, status: SubStatus },
}

/// Health of one watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubStatus {
    /// Listing and watching normally.
    Live,
    /// The first list is still arriving: the rows sent so far are part of it.
    Listing,
    /// The watch failed and is retrying; rows on screen are stale.
    Retrying { attempt: u32, error: String },
    /// The API group/resource is not served.
    NotInstalled,
    /// RBAC forbids it.
    Forbidden { message: String },
    /// Another API error that retrying will not fix.
    Failed { message: String },
}
