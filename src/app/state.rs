//! The one owned State of the app. `update` changes it; `render` reads it.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::app::list::{AnyList, ListView};
use crate::app::pane::PaneId;
use crate::app::subs::Kind;
use crate::app::subs::SubKey;
use crate::config::keymap::Key;
use crate::kube::resources::workflow::RunRow;

/// What the keyboard is talking to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Normal,
    /// Typing into the filter bar of the current list.
    Filter,
    /// Typing a `:` command.
    Command,
    /// The help overlay is open.
    Help,
}

/// The state of the connection to the API server, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ConnState {
    #[default]
    Connecting,
    Connected,
    /// Watches are failing and retrying.
    Reconnecting {
        attempt: u32,
        last_error: String,
    },
    /// The API server could not be reached at all.
    Offline {
        error: String,
    },
}

/// Which cluster and namespace the app is looking at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    pub context: String,
    /// `None` means all namespaces.
    pub namespace: Option<String>,
    pub server_version: Option<String>,
    pub conn: ConnState,
    /// True when kftui runs against its own embedded demo cluster.
    pub demo: bool,
}

pub use crate::kube::ContextInfo;

/// Severity of a status-line notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// One message in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: Level,
    pub text: String,
}

/// A one-line text input (filter bar, command line).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineInput {
    pub text: String,
    /// Cursor position in chars.
    pub cursor: usize,
}

impl LineInput {
    pub fn insert(&mut self, c: char) {
        let at = self.byte_at(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
    }

    pub fn insert_str(&mut self, s: &str) {
        for c in s.chars().filter(|c| !c.is_control()) {
            self.insert(c);
        }
    }

    pub fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    pub fn delete(&mut self) {
        if self.cursor < self.text.chars().count() {
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.text.chars().count());
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.text.chars().count();
    }

    /// Deletes the word before the cursor (ctrl-w).
    pub fn delete_word(&mut self) {
        while self.cursor > 0 && self.char_before().is_some_and(char::is_whitespace) {
            self.backspace();
        }
        while self.cursor > 0 && self.char_before().is_some_and(|c| !c.is_whitespace()) {
            self.backspace();
        }
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
    }

    fn char_before(&self) -> Option<char> {
        self.text.chars().nth(self.cursor.checked_sub(1)?)
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }
}

/// Where a list's rows come from and whether that source is healthy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SourceState {
    /// Waiting for the first list from the API server.
    #[default]
    Loading,
    /// Rows are current.
    Live,
    /// The first list is still arriving: the rows so far are shown, more follow.
    Listing,
    /// Rows are from before the connection dropped; the watch is retrying.
    Stale { error: String },
    /// The resource's API is not served by this cluster.
    NotInstalled { what: String },
    /// RBAC forbids listing it.
    Forbidden { message: String },
    /// The API server answered an error.
    Failed { message: String },
}

/// How a list is sorted: a column of the pane's `COLUMNS`, and the direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub column: usize,
    pub descending: bool,
}

pub use crate::kube::key::VerbTarget;

/// A verb waiting for the user's yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub verb: crate::kube::kubeflow_ops::Verb,
    pub targets: Vec<VerbTarget>,
    /// What the verb does to these targets, where it differs from what it usually does.
    pub effect: Option<String>,
}

impl Confirm {
    pub fn new(verb: crate::kube::kubeflow_ops::Verb, targets: Vec<VerbTarget>) -> Self {
        Self {
            verb,
            targets,
            effect: None,
        }
    }

    /// What the verb does, for the popup.
    pub fn effect(&self) -> &str {
        self.effect.as_deref().unwrap_or(self.verb.effect())
    }
}

/// The State of the whole app.
#[derive(Debug, Clone)]
pub struct State {
    pub running: bool,
    pub pane: PaneId,
    pub mode: Mode,
    /// Keys typed so far of a multi-key sequence (`g g`).
    pub pending: Vec<Key>,
    pub target: Target,
    pub runs: ListView<RunRow>,
    pub notebooks: ListView<crate::kube::resources::notebook::NotebookRow>,
    pub models: ListView<crate::kube::resources::inference_service::IsvcRow>,
    /// TrainJobs and legacy training jobs, merged from one watch per API.
    pub training: ListView<crate::kube::resources::train_job::TrainRow>,
    /// The Training pane's sources, runtimes and open job.
    pub train: crate::app::training::TrainingState,
    pub experiments: ListView<crate::kube::resources::experiment::ExperimentRow>,
    /// The resource view: any kind, as `kubectl get` prints it.
    pub cluster: crate::app::cluster::ClusterState,
    /// The open experiment and its trials.
    pub experiment: Option<crate::app::experiments::ExperimentDetail>,
    /// The open model's detail, its test requests and their history.
    pub model: crate::app::models::ModelsState,
    /// What Prometheus says about the models and training jobs on screen.
    pub monitor: crate::app::monitor::MonitorState,
    pub command: LineInput,
    pub notice: Option<Notice>,
    /// A verb waiting for confirmation.
    pub confirm: Option<Confirm>,
    /// The kubeconfig's contexts.
    pub contexts: Vec<ContextInfo>,
    /// The namespace chosen last time in each context (`None` = all namespaces); persisted.
    pub remembered: std::collections::BTreeMap<String, Option<String>>,
    /// The open context or namespace picker.
    pub picker: Option<crate::app::picker::Picker>,
    /// The latest namespace list of the current context (while the picker wants it).
    pub namespaces: Arc<[crate::kube::resources::namespace::NamespaceRow]>,
    /// The Logs pane's session.
    pub logs: Option<crate::app::logs::LogSession>,
    /// Lines a log view keeps.
    pub log_capacity: usize,
    /// The first local port notebook connections try (`connect_port`); `None`: any free port.
    pub connect_port: Option<u16>,
    /// The open run's detail (step graph), when open.
    pub detail: Option<crate::app::detail::RunDetail>,
    /// The Workflows' rows as the watch last delivered them.
    pub workflow_rows: Arc<[RunRow]>,
    /// KFP's record of the namespace's runs (empty where KFP is not reachable).
    pub kfp_runs: Arc<[RunRow]>,
    /// Pipelines of every source, in one list.
    pub pipelines: ListView<crate::kube::resources::pipeline::PipelineRow>,
    /// Recurring runs: KFP schedules and Argo CronWorkflows.
    pub recurring: ListView<crate::kube::resources::recurring::RecurringRow>,
    /// The Pipelines pane shows the recurring runs instead of the pipelines.
    pub show_recurring: bool,
    /// The open pipeline's detail.
    pub pipeline: Option<crate::app::pipelines::OpenPipeline>,
    /// The new-run form, when open.
    pub form: Option<crate::app::form::RunForm>,
    /// What the new-run picker offers.
    pub run_sources: Vec<crate::app::form::RunFormSeed>,
    /// A run to select when it appears in the list (one just created).
    pub select_run: Option<(String, String)>,
    /// The new-notebook form, when open.
    pub notebook_form: Option<crate::app::notebook_form::NotebookForm>,
    /// A notebook to select when it appears in the list (one just created).
    pub select_notebook: Option<(String, String)>,
    /// Local proxies to notebooks, and whether their list is open.
    pub connections: crate::app::connections::Connections,
    /// The comparison of marked runs, when open.
    pub compare: Option<crate::runs::compare::Comparison>,
    /// The YAML or describe view, when open.
    pub viewer: Option<crate::app::viewer::TextView>,
    /// The id of the last request sent; answers to older ones are dropped.
    pub request_seq: u64,
    /// Scroll offset of the help overlay.
    pub help_scroll: usize,
    /// Rows available to the list body, from the last layout.
    pub list_height: usize,
    /// The open model or training detail's last scroll position, from the last frame (`None`:
    /// not known yet; the end is then a sentinel the render clamps).
    pub detail_end: Option<usize>,
    pub width: u16,
    pub height: u16,
    /// The time the clock last told `update`; ages and durations are computed against it.
    pub now: DateTime<Utc>,
    /// Subscriptions the effect runner is running.
    pub subs: BTreeSet<SubKey>,
    pub readonly: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
}

impl State {
    pub fn new(target: Target, now: DateTime<Utc>) -> State {
        State {
            running: true,
            pane: PaneId::Runs,
            mode: Mode::Normal,
            pending: Vec::new(),
            target,
            runs: ListView::new(),
            notebooks: ListView::new(),
            models: ListView::new(),
            training: ListView::new(),
            train: crate::app::training::TrainingState::default(),
            experiments: ListView::new(),
            cluster: crate::app::cluster::ClusterState::default(),
            experiment: None,
            model: crate::app::models::ModelsState::default(),
            monitor: crate::app::monitor::MonitorState::default(),
            command: LineInput::default(),
            notice: None,
            confirm: None,
            contexts: Vec::new(),
            remembered: std::collections::BTreeMap::new(),
            picker: None,
            namespaces: Arc::from(Vec::new()),
            logs: None,
            log_capacity: crate::logs::buffer::DEFAULT_CAPACITY,
            connect_port: None,
            detail: None,
            viewer: None,
            workflow_rows: Arc::from(Vec::new()),
            kfp_runs: Arc::from(Vec::new()),
            pipelines: ListView::new(),
            recurring: ListView::new(),
            show_recurring: false,
            pipeline: None,
            form: None,
            run_sources: Vec::new(),
            select_run: None,
            notebook_form: None,
            select_notebook: None,
            connections: crate::app::connections::Connections::default(),
            compare: None,
            request_seq: 0,
            help_scroll: 0,
            list_height: 10,
            detail_end: None,
            width: 80,
            height: 24,
            now,
            subs: BTreeSet::new(),
            readonly: false,
            dirty: true,
        }
    }

    /// The list a pane shows, if it has one.
    pub fn list(&self, pane: PaneId) -> Option<&dyn AnyList> {
        match pane {
            PaneId::Runs => Some(&self.runs),
            PaneId::Pipelines if self.show_recurring => Some(&self.recurring),
            PaneId::Pipelines => Some(&self.pipelines),
            PaneId::Notebooks => Some(&self.notebooks),
            PaneId::Models => Some(&self.models),
            PaneId::Training => Some(&self.training),
            PaneId::Experiments => Some(&self.experiments),
            PaneId::Cluster => Some(&self.cluster.list),
            _ => None,
        }
    }

    /// The list a pane shows, if it has one, to change.
    pub fn list_mut(&mut self, pane: PaneId) -> Option<&mut dyn AnyList> {
        match pane {
            PaneId::Runs => Some(&mut self.runs),
            PaneId::Pipelines if self.show_recurring => Some(&mut self.recurring),
            PaneId::Pipelines => Some(&mut self.pipelines),
            PaneId::Notebooks => Some(&mut self.notebooks),
            PaneId::Models => Some(&mut self.models),
            PaneId::Training => Some(&mut self.training),
            PaneId::Experiments => Some(&mut self.experiments),
            PaneId::Cluster => Some(&mut self.cluster.list),
            _ => None,
        }
    }

    /// The list fed by a kind's watch.
    pub fn list_for_kind_mut(&mut self, kind: Kind) -> Option<&mut dyn AnyList> {
        match kind {
            Kind::Workflows => Some(&mut self.runs),
            Kind::Pipelines => Some(&mut self.pipelines),
            Kind::Notebooks => Some(&mut self.notebooks),
            Kind::InferenceServices => Some(&mut self.models),
            Kind::Training(_) => Some(&mut self.training),
            Kind::Experiments => Some(&mut self.experiments),
            Kind::Namespaces
            | Kind::Pods
            | Kind::RunGraph
            | Kind::KfpRuns
            | Kind::PipelineObjects
            | Kind::ScheduledWorkflows
            | Kind::CronWorkflows
            | Kind::WorkflowTemplates
            | Kind::ClusterWorkflowTemplates
            | Kind::TrainingRuntimes
            | Kind::ClusterTrainingRuntimes
            | Kind::Trials
            | Kind::ModelTraffic
            | Kind::ModelHistory
            | Kind::TrainingHardware => None,
            Kind::Resource(_) => Some(&mut self.cluster.list),
        }
    }

    /// Returns whether a redraw is due and clears the flag.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_input_edits_at_the_cursor_with_multibyte_text() {
        let mut l = LineInput::default();
        l.insert_str("héllo wörld");
        l.left();
        l.left();
        l.insert('X');
        assert_eq!(l.text, "héllo wörXld");
        l.delete_word();
        assert_eq!(l.text, "héllo ld");
        l.home();
        l.delete();
        assert_eq!(l.text, "éllo ld");
        l.end();
        l.backspace();
        assert_eq!(l.text, "éllo l");
        l.insert_str("a\x1b[2Jb");
        assert_eq!(l.text, "éllo la[2Jb", "control characters never enter the input");
    }
}
