//! Everything that can happen to the app arrives as a `Msg`.

use chrono::{DateTime, Utc};

use crate::config::keymap::Key;
pub use crate::kube::event::{DataEvent, SubStatus};

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
    /// Where a shell opens, or why it cannot.
    ShellReady(Result<crate::kube::shell::ShellTarget, String>),
    /// A shell ended.
    ShellEnded {
        target: crate::kube::shell::ShellTarget,
        end: crate::kube::shell::ShellEnd,
    },
    /// An object's YAML to copy (what, text), or why not.
    YamlToCopy(Result<(String, String), String>),
    /// An object read to edit, or why not.
    EditLoaded(Result<crate::kube::edit::EditDoc, String>),
    /// The editor exited: the file's text, or why the editor could not run.
    Edited {
        doc: crate::kube::edit::EditDoc,
        result: Result<String, String>,
    },
    /// What saving an edit came to.
    EditSaved {
        target: crate::app::state::VerbTarget,
        outcome: crate::kube::edit::EditOutcome,
    },
    /// The kinds a context's API server serves (the answer to `Effect::Discover`).
    Discovered {
        context: String,
        result: Result<Vec<crate::kube::discovery::ApiKind>, String>,
    },
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
    /// The open detail's last scroll position at the current size, from the last frame.
    DetailEnd(Option<usize>),
    /// SIGTERM, SIGHUP or the like: leave now, restoring the terminal.
    Terminate,
}

/// News about the API server itself.
#[derive(Debug, Clone)]
pub enum ConnEvent {
    Connected { context: String, version: String },
    Failed { context: String, error: String },
}

impl From<DataEvent> for Msg {
    fn from(event: DataEvent) -> Msg {
        Msg::Data(event)
    }
}

impl From<crate::kube::connect::ProxyEvent> for Msg {
    fn from(event: crate::kube::connect::ProxyEvent) -> Msg {
        Msg::Proxy(event)
    }
}

impl From<crate::logs::LogEvent> for Msg {
    fn from(event: crate::logs::LogEvent) -> Msg {
        Msg::Log(event)
    }
}
