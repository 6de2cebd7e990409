//! Effects are data: `update` returns them, the runner performs the IO.

use crate::app::subs::{Kind, SubKey};
use crate::app::viewer::ViewKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Start watching.
    Subscribe(SubKey),
    /// Stop watching; late events from it are dropped by `update`.
    Unsubscribe(SubKey),
    /// Fetch one object for the YAML or describe view; the answer is `Msg::Fetched`.
    Fetch {
        request: u64,
        context: String,
        kind: Kind,
        namespace: String,
        name: String,
        view: ViewKind,
    },
    /// Connect to a context (if not yet) and ask its API server for its version.
    Probe(String),
    /// Ask a context's API server which kinds it serves; the answer is `Msg::Discovered`.
    Discover(String),
    /// Perform a verb on runs, one after another; the answer is `Msg::VerbDone`.
    RunVerb {
        request: u64,
        context: String,
        verb: crate::kube::kubeflow_ops::Verb,
        targets: Vec<crate::app::state::VerbTarget>,
    },
    /// List what a new run can start from; the answer is `Msg::RunSources`.
    LoadRunSources {
        request: u64,
        context: String,
        namespace: String,
    },
    /// Read a run to copy; the answer is `Msg::FormSeed`.
    LoadClone {
        request: u64,
        context: String,
        namespace: String,
        name: String,
    },
    /// Create a run; the answer is `Msg::RunCreated`.
    CreateRun {
        request: u64,
        context: String,
        run: crate::app::form::NewRun,
    },
    /// Read full runs to compare; the answer is `Msg::Compared`.
    CompareRuns {
        request: u64,
        context: String,
        targets: Vec<crate::app::state::VerbTarget>,
    },
    /// Read a pipeline's versions and spec; the answer is `Msg::PipelineLoaded`.
    LoadPipeline {
        request: u64,
        context: String,
        row: crate::kube::resources::pipeline::PipelineRow,
        /// Where its new runs go.
        run_namespace: String,
    },
    /// Upload a pipeline spec file (a new pipeline, or a version of `pipeline_id`); the answer is
    /// `Msg::PipelineOp`.
    UploadPipeline {
        context: String,
        namespace: String,
        pipeline_id: Option<String>,
        path: String,
        name: Option<String>,
    },
    /// Follow one pod container's log into a log view's source.
    StreamLogs {
        context: String,
        view: u64,
        source: usize,
        namespace: String,
        pod: String,
        container: Option<String>,
        previous: bool,
        /// Start with the lines of the last N seconds (first connection only).
        since_seconds: Option<i64>,
        /// Start with the last N lines (first connection only).
        tail_lines: Option<i64>,
    },
    /// Stop every stream of a log view.
    StopLogs { view: u64 },
    /// Write bytes to a file; the answer is `Msg::Saved`.
    WriteFile { path: String, bytes: Vec<u8> },
    /// Remember each context's namespace choice between runs.
    SaveChoices(std::collections::BTreeMap<String, Option<String>>),
    /// Send a test request to a model's predictor; the answer is `Msg::Predicted`.
    Predict {
        request: u64,
        context: String,
        namespace: String,
        name: String,
        protocol: crate::kube::resources::inference_service::Protocol,
        body: String,
    },
    /// Leave the terminal to the shell until `fg`.
    Suspend,
    /// Clear the screen and draw everything again.
    FullRedraw,
    /// Start a local proxy to a notebook; news comes back as `Msg::Proxy`.
    Connect {
        id: u64,
        context: String,
        namespace: String,
        name: String,
        port: crate::app::connections::PortChoice,
    },
    /// Find a port-forward's pod or Service and the ports it declares; the answer is
    /// `Msg::Proxy(ProxyEvent::Ports)`.
    ForwardPorts {
        request: u64,
        context: String,
        lookup: crate::app::connections::ForwardLookup,
        port: Option<u16>,
    },
    /// Start a local proxy to a port of a pod or Service; news comes back as `Msg::Proxy`.
    Forward {
        id: u64,
        context: String,
        forward: crate::app::connections::Forward,
        port: crate::app::connections::PortChoice,
    },
    /// Close a local proxy: its port stops accepting.
    Disconnect { id: u64 },
    /// List a namespace's PodDefaults for the new-notebook form; the answer is
    /// `Msg::NotebookForm`.
    LoadPodDefaults {
        request: u64,
        context: String,
        namespace: String,
    },
    /// Create a notebook (and its workspace PVC); the answer is `Msg::NotebookForm`.
    CreateNotebook {
        request: u64,
        context: String,
        notebook: crate::app::notebook_form::NewNotebook,
    },
    /// Put text on the clipboard of the terminal (OSC 52), when stdout is one.
    Copy(String),
    /// Find the pod and container a shell opens in; the answer is `Msg::ShellReady`.
    PickShell {
        context: String,
        request: crate::kube::shell::ShellRequest,
    },
    /// Give the terminal to a shell in the container; the run loop answers `Msg::ShellEnded`.
    OpenShell {
        context: String,
        target: crate::kube::shell::ShellTarget,
    },
    /// Read an object as YAML for the clipboard; the answer is `Msg::YamlToCopy`.
    CopyYaml {
        context: String,
        target: crate::app::state::VerbTarget,
    },
    /// Read an object to edit; the answer is `Msg::EditLoaded`.
    LoadForEdit {
        context: String,
        target: crate::app::state::VerbTarget,
    },
    /// Leave the terminal to the user's editor on the document; the run loop answers
    /// `Msg::Edited` when the editor exits.
    OpenEditor(crate::kube::edit::EditDoc),
    /// Write an edited object back; the answer is `Msg::EditSaved`.
    SaveEdit {
        context: String,
        doc: crate::kube::edit::EditDoc,
        text: String,
    },
}
