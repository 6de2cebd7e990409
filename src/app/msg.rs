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
    /// Lines or stream news for a log view.
    Log(crate::logs::LogEvent),
    /// A file was written (or not).
    Saved {
        path: String,
        result: Result<u64, String>,
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
