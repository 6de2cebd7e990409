//! Everything that can happen to the app arrives as a `Msg`.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::app::subs::SubKey;
use crate::config::keymap::Key;
use crate::kube::resources::namespace::NamespaceRow;
use crate::kube::resources::workflow::RunRow;

#[derive(Debug, Clone)]
pub enum Msg {
    Key(Key),
    Paste(String),
    Resize {
        width: u16,
        height: u16,
    },
    /// The clock ticked; carries the time so `update` never reads a clock.
    Tick(DateTime<Utc>),
    Data(DataEvent),
    Conn(ConnEvent),
    /// The answer to `Effect::Fetch`: the view's lines, or what went wrong.
    Fetched {
        request: u64,
        result: Result<Vec<String>, String>,
    },
    /// Results of `Effect::RunVerb`, one per run: the run's name and what happened.
    VerbDone {
        request: u64,
        verb: crate::kube::kubeflow_ops::Verb,
        results: Vec<(String, Result<String, String>)>,
    },
    /// What a new run can start from, and notes on sources that could not be listed.
    RunSources {
        request: u64,
        seeds: Vec<crate::app::form::RunFormSeed>,
        notes: Vec<String>,
    },
    /// A form to open (a copy of a run), or why not.
    FormSeed {
        request: u64,
        result: Result<crate::app::form::RunFormSeed, String>,
    },
    /// The run was created: its Workflow's namespace and name, or the error.
    RunCreated {
        request: u64,
        result: Result<(String, String), String>,
    },
    /// The runs to compare, read in full.
    Compared {
        request: u64,
        result: Result<Vec<crate::runs::compare::CompareColumn>, String>,
    },
    /// A pipeline's versions, parameters and tasks, or why not.
    PipelineLoaded {
        request: u64,
        result: Result<crate::kube::pipelines::PipelineDetail, String>,
    },
    /// What an upload did.
    PipelineOp {
        result: Result<String, String>,
    },
    /// Lines or stream news for a log view.
    Log(crate::logs::LogEvent),
    /// A file was written (or not).
    Saved {
        path: String,
        result: Result<u64, String>,
    },
    /// News for the new-notebook form.
    NotebookForm(crate::app::notebook_form::NotebookFormEvent),
    /// News from a notebook connection (local proxy).
    Proxy(crate::app::connections::ProxyEvent),
    /// A model's answer to a test request (status, latency, body), or why none came.
    Predicted {
        request: u64,
        namespace: String,
        name: String,
        body: String,
        result: Result<crate::kube::predict::Answer, String>,
    },
    /// SIGTERM, SIGHUP or the like: leave now, restoring the terminal.
    Terminate,
}

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
    /// The subscription's health changed.
    Status { key: SubKey, status: SubStatus },
}

/// Health of one watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubStatus {
    /// Listing and watching normally.
    Live,
    /// The watch failed and is retrying; rows on screen are stale.
    Retrying { attempt: u32, error: String },
    /// The API group/resource is not served.
    NotInstalled,
    /// RBAC forbids it.
    Forbidden { message: String },
    /// Another API error that retrying will not fix.
    Failed { message: String },
}

/// News about the API server itself.
#[derive(Debug, Clone)]
pub enum ConnEvent {
    Connected { context: String, version: String },
    Failed { context: String, error: String },
}

impl From<crate::logs::LogEvent> for Msg {
    fn from(event: crate::logs::LogEvent) -> Msg {
        Msg::Log(event)
    }
}
