//! The view stack: which view has the keyboard, and what each view answers to.
//!
//! The panes sit at the bottom of the stack and the views opened over them (a run's step graph, a
//! YAML view, a form, a picker, a confirmation, help…) stack on top. A key goes to the top view
//! first; a view that does not answer to it lets it fall to the view below, down to the pane and
//! to the global bindings. Forms, pickers and text inputs are modal: what they do not bind is
//! typing.
//!
//! Each view declares its actions once, in [`decls`]. Key dispatch ([`on_key`]), the footer
//! ([`footer`]), help ([`help`]), `:` completion ([`completions`]) and read-only filtering are all
//! derived from that one table, through [`route`], so what the screen promises is what the keys do.
//!
//! Where a view's state lives: each view's data stays in its own room (`State::detail`,
//! `State::viewer`, `State::form`, …); [`stack`] reads which are open, in one place and one order.

mod dispatch;

use crate::app::action::Action;
use crate::app::pane::PaneId;
use crate::app::state::{Mode, State};
use crate::app::viewer::ViewKind;
use crate::config::keymap::{Key, Keymap, KeymapResult, Scope, parse_keys};

pub use dispatch::{apply_in, on_key, run_command};

/// One layer of the view stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewId {
    /// The bindings every view falls through to: panes, help, command line, quit.
    Global,
    /// A pane's list.
    List(PaneId),
    /// The Pipelines pane showing the recurring runs.
    Recurring,
    /// The Logs pane.
    Logs,
    RunDetail,
    PipelineDetail,
    ModelDetail,
    TrainingDetail,
    ExperimentDetail,
    /// A model's test request, the body's editor focused.
    ModelTest,
    /// A model's test request, its history focused.
    TestHistory,
    /// Typing a search in the Logs pane.
    LogSearch,
    /// YAML or describe of an object.
    Viewer,
    /// Typing a search in the YAML or describe view.
    ViewerSearch,
    Compare,
    Connections,
    RunForm,
    YamlEditor,
    NotebookForm,
    Picker,
    Confirm,
    Help,
    Command,
    Filter,
}

/// An action a view declares: what it is, and its label in the footer (none: listed in help only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decl {
    pub action: Action,
    pub hint: Option<&'static str>,
}

const fn hint(action: Action, label: &'static str) -> Decl {
    Decl {
        action,
        hint: Some(label),
    }
}

const fn quiet(action: Action) -> Decl {
    Decl { action, hint: None }
}

/// One row of a view's binding table, derived from its declaration, the keymap and the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub view: ViewId,
    pub action: Action,
    /// The keys that reach this action here, simplest first (keys taken by a view above are not).
    pub keys: Vec<String>,
    pub hint: Option<&'static str>,
    /// Changes the cluster: hidden and refused in read-only mode.
    pub mutates: bool,
    /// Whether the action can do something now (a verb needs a selection, a match needs a search…).
    pub available: bool,
}

const MOVE: &[Decl] = &[
    quiet(Action::Up),
    quiet(Action::Down),
    quiet(Action::PageUp),
    quiet(Action::PageDown),
    quiet(Action::Top),
    quiet(Action::Bottom),
];

const LIST_COMMON: &[Decl] = &[
    quiet(Action::Filter),
    quiet(Action::Cancel),
    quiet(Action::SortNext),
    quiet(Action::SortPrev),
    quiet(Action::Sort),
    quiet(Action::Mark),
    quiet(Action::MarkAll),
    quiet(Action::UnmarkAll),
    quiet(Action::Yaml),
    quiet(Action::Describe),
    quiet(Action::CopyName),
    quiet(Action::Edit),
    quiet(Action::Shell),
    quiet(Action::CopyYaml),
];

const GLOBAL: &[Decl] = &[
    quiet(Action::Quit),
    quiet(Action::Help),
    quiet(Action::Command),
    quiet(Action::NextPane),
    quiet(Action::PrevPane),
    quiet(Action::Pipelines),
    quiet(Action::Runs),
    quiet(Action::Logs),
    quiet(Action::Notebooks),
    quiet(Action::Models),
    quiet(Action::Training),
    quiet(Action::Experiments),
    quiet(Action::Cluster),
    quiet(Action::Namespace),
    quiet(Action::Context),
    quiet(Action::Redraw),
    quiet(Action::SuspendApp),
    quiet(Action::Cancel),
    quiet(Action::Connections),
];

const RUNS: &[Decl] = &[
    hint(Action::Help, "help"),
    hint(Action::Filter, "filter"),
    hint(Action::Open, "open"),
    hint(Action::Tail, "logs"),
    hint(Action::NewRun, "new run"),
    hint(Action::Mark, "mark"),
    hint(Action::Command, "command"),
    hint(Action::Quit, "quit"),
    quiet(Action::Stop),
    quiet(Action::Delete),
    quiet(Action::Terminate),
    quiet(Action::SuspendRun),
    quiet(Action::Resume),
    quiet(Action::Retry),
    quiet(Action::Resubmit),
    quiet(Action::CloneRun),
    quiet(Action::Compare),
    quiet(Action::Owned),
];

const CLUSTER: &[Decl] = &[
    hint(Action::Help, "help"),
    hint(Action::Filter, "filter"),
    hint(Action::Open, "open"),
    hint(Action::Owned, "owner"),
    hint(Action::Tail, "logs"),
    hint(Action::Shell, "shell"),
    hint(Action::Delete, "delete"),
    hint(Action::Quit, "quit"),
    quiet(Action::PortForward),
];

const PIPELINES: &[Decl] = &[
    hint(Action::Help, "help"),
    hint(Action::Filter, "filter"),
    hint(Action::Open, "open"),
    hint(Action::NewRun, "new run"),
    hint(Action::PipelineRuns, "runs"),
    hint(Action::Recurring, "recurring"),
    hint(Action::Delete, "delete"),
    hint(Action::Quit, "quit"),
    quiet(Action::Upload),
    quiet(Action::UploadVersion),
];

const RECURRING: &[Decl] = &[
    hint(Action::Help, "help"),
    hint(Action::Filter, "filter"),
    hint(Action::Resume, "enable"),
    hint(Action::SuspendRun, "disable"),
    hint(Action::Recurring, "pipelines"),
    hint(Action::Quit, "quit"),
];

const NOTEBOOKS: &[Decl] = &[
    hint(Action::Help, "help"),
    hint(Action::Filter, "filter"),
    hint(Action::Connect, "connect"),
    hint(Action::NewNotebook, "new"),
    hint(Action::Stop, "stop"),
    hint(Action::Start, "start"),
    hint(Action::Tail, "logs"),
    hint(Action::Connections, "connections"),
    hint(Action::Quit, "quit"),
    quiet(Action::Delete),
    quiet(Action::Owned),
    quiet(Action::PortForward),
];

const MODELS: &[Decl] = &[
    hint(Action::Help, "help"),
    hint(Action::Open, "detail"),
    hint(Action::Test, "test"),
    hint(Action::Promote, "promote"),
    hint(Action::Rollback, "rollback"),
    hint(Action::Tail, "logs"),
    hint(Action::Quit, "quit"),
    quiet(Action::Stop),
    quiet(Action::Start),
    quiet(Action::Delete),
    quiet(Action::Canary),
    quiet(Action::Owned),
    quiet(Action::PortForward),
];

const TRAINING: &[Decl] = &[
    hint(Action::Help, "help"),
    hint(Action::Filter, "filter"),
    hint(Action::Open, "detail"),
    hint(Action::Tail, "logs"),
    hint(Action::SuspendRun, "suspend"),
    hint(Action::Resume, "resume"),
    hint(Action::Delete, "delete"),
    hint(Action::Quit, "quit"),
    quiet(Action::Owned),
];

const EXPERIMENTS: &[Decl] = &[
    hint(Action::Help, "help"),
    hint(Action::Filter, "filter"),
    hint(Action::Open, "trials"),
    hint(Action::Tail, "logs"),
    hint(Action::Delete, "delete"),
    hint(Action::Quit, "quit"),
    quiet(Action::Owned),
];

const LOGS: &[Decl] = &[
    hint(Action::Filter, "search"),
    hint(Action::Grep, "grep"),
    hint(Action::Follow, "follow"),
    hint(Action::Wrap, "wrap"),
    hint(Action::Timestamps, "time"),
    hint(Action::Save, "save"),
    hint(Action::Previous, "previous"),
    hint(Action::Container, "container"),
    hint(Action::Since, "since"),
    hint(Action::TailLines, "tail"),
    quiet(Action::Utc),
    quiet(Action::NextMatch),
    quiet(Action::PrevMatch),
    quiet(Action::ScrollLeft),
    quiet(Action::ScrollRight),
    quiet(Action::Cancel),
];

const NO_LOGS: &[Decl] = &[
    hint(Action::Help, "help"),
    hint(Action::NextPane, "next pane"),
    hint(Action::Quit, "quit"),
];

const RUN_DETAIL: &[Decl] = &[
    hint(Action::Cancel, "back"),
    hint(Action::Tail, "step logs"),
    hint(Action::Yaml, "pod yaml"),
    hint(Action::Describe, "pod events"),
    hint(Action::Layout, "graph/tree"),
    hint(Action::Stop, "stop"),
    hint(Action::Retry, "retry"),
    hint(Action::CloneRun, "clone"),
    quiet(Action::MoveLeft),
    quiet(Action::MoveRight),
    quiet(Action::Parent),
    quiet(Action::Child),
    quiet(Action::Terminate),
    quiet(Action::SuspendRun),
    quiet(Action::Resume),
    quiet(Action::Resubmit),
    quiet(Action::Delete),
    quiet(Action::CopyName),
];

const PIPELINE_DETAIL: &[Decl] = &[
    hint(Action::Cancel, "back"),
    hint(Action::NewRun, "new run"),
    hint(Action::PipelineRuns, "runs"),
    hint(Action::Layout, "graph/tree"),
    hint(Action::PageDown, "details"),
    hint(Action::Delete, "delete"),
    quiet(Action::MoveLeft),
    quiet(Action::MoveRight),
    quiet(Action::Parent),
    quiet(Action::Child),
    quiet(Action::UploadVersion),
];

const MODEL_DETAIL: &[Decl] = &[
    hint(Action::Cancel, "back"),
    hint(Action::Test, "test"),
    hint(Action::Promote, "promote"),
    hint(Action::Rollback, "rollback"),
    hint(Action::Tail, "logs"),
    hint(Action::Stop, "stop"),
    hint(Action::Start, "start"),
    hint(Action::Delete, "delete"),
    quiet(Action::Canary),
    quiet(Action::Yaml),
    quiet(Action::Describe),
    quiet(Action::CopyName),
];

const TRAINING_DETAIL: &[Decl] = &[
    hint(Action::Cancel, "back"),
    hint(Action::Tail, "logs"),
    hint(Action::SuspendRun, "suspend"),
    hint(Action::Resume, "resume"),
    hint(Action::Delete, "delete"),
    hint(Action::Yaml, "yaml"),
    hint(Action::Describe, "describe"),
    quiet(Action::CopyName),
];

const EXPERIMENT_DETAIL: &[Decl] = &[
    hint(Action::Cancel, "back"),
    hint(Action::Tail, "trial logs"),
    hint(Action::SortNext, "sort"),
    hint(Action::Yaml, "trial yaml"),
    hint(Action::Describe, "describe"),
    hint(Action::Delete, "delete"),
    quiet(Action::SortPrev),
    quiet(Action::Sort),
];

const MODEL_TEST: &[Decl] = &[
    hint(Action::Submit, "send"),
    hint(Action::Example, "example"),
    hint(Action::NextField, "history"),
    hint(Action::Cancel, "close"),
    quiet(Action::Quit),
];

const TEST_HISTORY: &[Decl] = &[
    hint(Action::Up, "previous"),
    hint(Action::Down, "next"),
    hint(Action::Accept, "edit this one"),
    hint(Action::NextField, "editor"),
    hint(Action::Submit, "send"),
    hint(Action::Cancel, "close"),
    quiet(Action::Quit),
];

const SEARCH: &[Decl] = &[
    hint(Action::Accept, "find"),
    hint(Action::Cancel, "clear"),
    quiet(Action::Quit),
];

const VIEWER: &[Decl] = &[
    hint(Action::Cancel, "close"),
    hint(Action::Filter, "search"),
    hint(Action::NextMatch, "next"),
    hint(Action::Wrap, "wrap"),
    hint(Action::ScrollRight, "scroll →"),
    hint(Action::Yaml, "yaml"),
    hint(Action::Describe, "describe"),
    hint(Action::Reveal, "reveal"),
    quiet(Action::PrevMatch),
    quiet(Action::ScrollLeft),
];

const COMPARE: &[Decl] = &[
    hint(Action::Cancel, "close"),
    hint(Action::Down, "scroll"),
    hint(Action::ScrollRight, "more runs"),
    quiet(Action::ScrollLeft),
    quiet(Action::Up),
    quiet(Action::Top),
    quiet(Action::Bottom),
    quiet(Action::PageUp),
    quiet(Action::PageDown),
];

const CONNECTIONS: &[Decl] = &[
    hint(Action::Copy, "copy URL"),
    hint(Action::Disconnect, "close connection"),
    hint(Action::Cancel, "back"),
    quiet(Action::Up),
    quiet(Action::Down),
];

const RUN_FORM: &[Decl] = &[
    hint(Action::NextField, "next"),
    hint(Action::PrevField, "previous"),
    hint(Action::Submit, "submit"),
    hint(Action::EditYaml, "edit full YAML"),
    hint(Action::Cancel, "cancel"),
    quiet(Action::Accept),
    quiet(Action::Quit),
];

const YAML_EDITOR: &[Decl] = &[
    hint(Action::Submit, "submit"),
    hint(Action::Cancel, "back to the form"),
    quiet(Action::Quit),
];

const NOTEBOOK_FORM: &[Decl] = &[
    hint(Action::NextField, "next"),
    hint(Action::PrevField, "previous"),
    hint(Action::NextChoice, "image"),
    hint(Action::Submit, "create"),
    hint(Action::Cancel, "cancel"),
    quiet(Action::PrevChoice),
    quiet(Action::Accept),
    quiet(Action::Quit),
];

const PICKER: &[Decl] = &[
    hint(Action::Accept, "choose"),
    hint(Action::Down, "move"),
    hint(Action::Cancel, "close"),
    quiet(Action::Up),
    quiet(Action::PageUp),
    quiet(Action::PageDown),
    quiet(Action::Quit),
];

const CONFIRM: &[Decl] = &[
    hint(Action::Accept, "yes"),
    hint(Action::Cancel, "no"),
    quiet(Action::Quit),
];

const HELP: &[Decl] = &[
    hint(Action::Cancel, "close"),
    hint(Action::Down, "scroll"),
    quiet(Action::Up),
    quiet(Action::PageUp),
    quiet(Action::PageDown),
    quiet(Action::Top),
    quiet(Action::Bottom),
    quiet(Action::Help),
    quiet(Action::Quit),
];

const COMMAND: &[Decl] = &[
    hint(Action::Accept, "run"),
    hint(Action::Complete, "complete"),
    hint(Action::Cancel, "cancel"),
    quiet(Action::Quit),
];

const FILTER: &[Decl] = &[
    hint(Action::Accept, "keep filter"),
    hint(Action::Cancel, "clear"),
    hint(Action::Down, "move"),
    quiet(Action::Up),
    quiet(Action::PageUp),
    quiet(Action::PageDown),
    quiet(Action::Quit),
];

impl ViewId {
    /// What the footer and help call this view.
    pub fn title(self) -> String {
        match self {
            ViewId::Global => "every view".into(),
            ViewId::List(p) => format!("the {} pane", p.title()),
            ViewId::Recurring => "the recurring runs".into(),
            ViewId::Logs => "the Logs pane".into(),
            ViewId::RunDetail => "a run's step graph".into(),
            ViewId::PipelineDetail => "a pipeline".into(),
            ViewId::ModelDetail => "a model's detail".into(),
            ViewId::TrainingDetail => "a training job".into(),
            ViewId::ExperimentDetail => "an experiment's trials".into(),
            ViewId::ModelTest => "a test request".into(),
            ViewId::TestHistory => "a test request's history".into(),
            ViewId::LogSearch | ViewId::ViewerSearch => "the search".into(),
            ViewId::Viewer => "the YAML or describe view".into(),
            ViewId::Compare => "the comparison".into(),
            ViewId::Connections => "the notebook connections".into(),
            ViewId::RunForm => "the new-run form".into(),
            ViewId::YamlEditor => "the request's YAML".into(),
            ViewId::NotebookForm => "the new-notebook form".into(),
            ViewId::Picker => "the picker".into(),
            ViewId::Confirm => "the confirmation".into(),
            ViewId::Help => "help".into(),
            ViewId::Command => "the command line".into(),
            ViewId::Filter => "the filter".into(),
        }
    }

    /// The keymap sections this view reads, first match winning.
    pub fn scopes(self, pane: PaneId) -> Vec<Scope> {
        let down = [Scope::Pane(pane), Scope::Global];
        let own = |name: &'static str| {
            let mut v = vec![Scope::View(name)];
            v.extend(down);
            v
        };
        match self {
            ViewId::Global | ViewId::List(_) | ViewId::Recurring | ViewId::Logs => down.to_vec(),
            ViewId::RunDetail => own("run-detail"),
            ViewId::PipelineDetail => own("pipeline-detail"),
            ViewId::ModelDetail => own("model-detail"),
            ViewId::TrainingDetail => own("training-detail"),
            ViewId::ExperimentDetail => own("experiment-detail"),
            ViewId::Viewer => vec![Scope::View("viewer"), Scope::Global],
            ViewId::Compare => vec![Scope::View("compare"), Scope::Global],
            ViewId::Connections => vec![Scope::View("connections"), Scope::Global],
            ViewId::Help => vec![Scope::View("help"), Scope::Global],
            ViewId::ModelTest => vec![Scope::View("model-test")],
            ViewId::TestHistory => vec![Scope::View("test-history")],
            ViewId::LogSearch | ViewId::ViewerSearch => vec![Scope::View("search")],
            ViewId::RunForm => vec![Scope::View("form")],
            ViewId::YamlEditor => vec![Scope::View("yaml-editor")],
            ViewId::NotebookForm => vec![Scope::View("notebook-form")],
            ViewId::Picker => vec![Scope::View("picker")],
            ViewId::Confirm => vec![Scope::View("confirm")],
            ViewId::Command => vec![Scope::View("command")],
            ViewId::Filter => vec![Scope::View("filter")],
        }
    }

    /// A modal view takes every key: what it does not bind is typing (or, for a confirmation,
    /// "no"), and nothing falls below it.
    pub fn modal(self) -> bool {
        matches!(
            self,
            ViewId::ModelTest
                | ViewId::TestHistory
                | ViewId::LogSearch
                | ViewId::ViewerSearch
                | ViewId::RunForm
                | ViewId::YamlEditor
                | ViewId::NotebookForm
                | ViewId::Picker
                | ViewId::Confirm
                | ViewId::Help
                | ViewId::Command
                | ViewId::Filter
        )
    }

    /// A view drawn over the whole pane, closed when a key falls through it to the views below
    /// (so that what the key does there is seen), except for help and the command line.
    pub fn covers(self) -> bool {
        matches!(self, ViewId::Viewer | ViewId::Compare | ViewId::Connections)
    }

    /// A view drawn over the pane's list: keys it does not take skip the list (which is not
    /// seen) and go to the global bindings.
    pub fn hides_list(self) -> bool {
        matches!(
            self,
            ViewId::RunDetail
                | ViewId::PipelineDetail
                | ViewId::ModelDetail
                | ViewId::TrainingDetail
                | ViewId::ExperimentDetail
                | ViewId::Viewer
                | ViewId::Compare
                | ViewId::Connections
        )
    }

    /// The view's declaration tables: its own, then the shared ones (movement, list actions).
    fn parts(self) -> &'static [&'static [Decl]] {
        match self {
            ViewId::Global => &[GLOBAL],
            ViewId::List(PaneId::Runs) => &[RUNS, MOVE, LIST_COMMON],
            ViewId::List(PaneId::Pipelines) => &[PIPELINES, MOVE, LIST_COMMON],
            ViewId::List(PaneId::Notebooks) => &[NOTEBOOKS, MOVE, LIST_COMMON],
            ViewId::List(PaneId::Models) => &[MODELS, MOVE, LIST_COMMON],
            ViewId::List(PaneId::Training) => &[TRAINING, MOVE, LIST_COMMON],
            ViewId::List(PaneId::Experiments) => &[EXPERIMENTS, MOVE, LIST_COMMON],
            ViewId::List(PaneId::Cluster) => &[CLUSTER, MOVE, LIST_COMMON],
            ViewId::List(PaneId::Logs) => &[NO_LOGS],
            ViewId::Recurring => &[RECURRING, MOVE, LIST_COMMON],
            ViewId::Logs => &[LOGS, MOVE],
            ViewId::RunDetail => &[RUN_DETAIL, MOVE],
            ViewId::PipelineDetail => &[PIPELINE_DETAIL, MOVE],
            ViewId::ModelDetail => &[MODEL_DETAIL, MOVE],
            ViewId::TrainingDetail => &[TRAINING_DETAIL, MOVE],
            ViewId::ExperimentDetail => &[EXPERIMENT_DETAIL, MOVE],
            ViewId::ModelTest => &[MODEL_TEST],
            ViewId::TestHistory => &[TEST_HISTORY],
            ViewId::LogSearch | ViewId::ViewerSearch => &[SEARCH],
            ViewId::Viewer => &[VIEWER, MOVE],
            ViewId::Compare => &[COMPARE],
            ViewId::Connections => &[CONNECTIONS],
            ViewId::RunForm => &[RUN_FORM],
            ViewId::YamlEditor => &[YAML_EDITOR],
            ViewId::NotebookForm => &[NOTEBOOK_FORM],
            ViewId::Picker => &[PICKER],
            ViewId::Confirm => &[CONFIRM],
            ViewId::Help => &[HELP],
            ViewId::Command => &[COMMAND],
            ViewId::Filter => &[FILTER],
        }
    }

    /// The view's declared actions, footer hints first.
    pub fn decls(self) -> Vec<Decl> {
        self.parts().iter().flat_map(|p| p.iter().copied()).collect()
    }

    /// Whether the view takes `action` (declared and able to do something now).
    pub fn takes(self, state: &State, action: Action) -> bool {
        self.parts().iter().any(|p| p.iter().any(|d| d.action == action)) && available(self, state, action)
    }
}

/// Whether a declared action can do something now.
fn available(view: ViewId, state: &State, action: Action) -> bool {
    let has_rows = |s: &State| s.list(s.pane).is_some_and(|l| l.selected().is_some());
    let logs = || state.logs.as_ref();
    match (view, action) {
        (ViewId::Logs, Action::NextMatch | Action::PrevMatch) => {
            logs().is_some_and(|l| l.view.search().query().is_some())
        }
        (ViewId::Logs, Action::ScrollLeft | Action::ScrollRight) => logs().is_some_and(|l| !l.view.wrap()),
        // The open run's verbs that its phase allows (the footer offers only those).
        (ViewId::RunDetail, Action::Retry | Action::Stop | Action::Terminate) => {
            use crate::runs::model::Phase;
            let phase = state.detail.as_ref().and_then(|d| d.graph()).map(|g| g.phase);
            match action {
                Action::Retry => phase.is_none_or(|p| matches!(p, Phase::Failed | Phase::Error)),
                _ => phase.is_none_or(|p| matches!(p, Phase::Running | Phase::Pending)),
            }
        }
        (ViewId::Logs, Action::Cancel) => {
            logs().is_some_and(|l| l.view.search().query().is_some() || l.view.filter().is_some())
        }
        (ViewId::Logs, Action::Utc) => logs().is_some_and(|l| l.view.timestamps()),
        (ViewId::Viewer, Action::Yaml) => state.viewer.as_ref().is_some_and(|v| v.kind != ViewKind::Yaml),
        (ViewId::Viewer, Action::Reveal) => state
            .viewer
            .as_ref()
            .is_some_and(|v| v.kind != ViewKind::Revealed && v.title.starts_with("secret/")),
        (ViewId::Viewer, Action::Describe) => state
            .viewer
            .as_ref()
            .is_some_and(|v| v.kind != ViewKind::Describe),
        (ViewId::ModelTest, Action::Example) => !crate::app::models::body_is_example(state),
        (ViewId::List(_) | ViewId::Recurring | ViewId::Global, Action::Cancel) => {
            state.notice.is_some()
                || state
                    .list(state.pane)
                    .is_some_and(|l| !l.filter_text().is_empty())
        }
        (_, Action::UnmarkAll) => state.list(state.pane).is_some_and(|l| l.marked_count() > 0),
        (_, Action::Shell) => crate::app::update::shell_request(state).is_some(),
        (_, Action::CopyYaml) => state.list(state.pane).and_then(|l| l.selected()).is_some(),
        (_, Action::Edit) => state
            .list(state.pane)
            .and_then(|l| l.selected())
            .is_some_and(|t| crate::app::update::editable(t.kind)),
        (ViewId::Global, a) if PaneId::for_action(a).is_some() => PaneId::for_action(a) != Some(state.pane),
        (ViewId::Viewer, Action::NextMatch | Action::PrevMatch) => {
            state.viewer.as_ref().is_some_and(|v| !v.search.text.is_empty())
        }
        (ViewId::Viewer, Action::ScrollLeft | Action::ScrollRight) => {
            state.viewer.as_ref().is_some_and(|v| !v.wrap)
        }
        (ViewId::NotebookForm, Action::NextChoice | Action::PrevChoice) => {
            state.notebook_form.as_ref().is_some_and(|f| f.on_image())
        }
        (ViewId::ModelTest, Action::NextField) => crate::app::models::has_history(state),
        (ViewId::List(PaneId::Cluster), Action::Tail) => {
            state.cluster.kind.is_pods() && state.cluster.list.selected_row().is_some()
        }
        (ViewId::List(PaneId::Cluster), Action::Owned) => state
            .cluster
            .list
            .selected_row()
            .is_some_and(|r| r.owner.is_some()),
        (ViewId::List(PaneId::Cluster), Action::Open) => state.cluster.list.selected_row().is_some(),
        (ViewId::List(PaneId::Cluster), Action::PortForward) => {
            (state.cluster.kind.is_pods() || state.cluster.kind.is("", "services"))
                && state.cluster.list.selected_row().is_some()
        }
        (ViewId::List(_), Action::Owned) => state
            .list(state.pane)
            .and_then(|l| l.selected())
            .is_some_and(|t| crate::kube::fetch::pod_selector(t.kind, &t.name).is_some()),
        (
            ViewId::List(_) | ViewId::Recurring,
            Action::Open
            | Action::Tail
            | Action::Stop
            | Action::Start
            | Action::Delete
            | Action::Terminate
            | Action::SuspendRun
            | Action::Resume
            | Action::Retry
            | Action::Resubmit
            | Action::CloneRun
            | Action::Promote
            | Action::Rollback
            | Action::Canary
            | Action::Connect
            | Action::PortForward
            | Action::Test
            | Action::PipelineRuns
            | Action::UploadVersion
            | Action::Mark
            | Action::Yaml
            | Action::Describe
            | Action::CopyName,
        ) => has_rows(state),
        (ViewId::List(PaneId::Notebooks), Action::Connections) => !state.connections.list.is_empty(),
        _ => true,
    }
}

/// The views open now, from the bottom (global bindings, then the pane) to the top.
pub fn stack(state: &State) -> Vec<ViewId> {
    let mut v = vec![ViewId::Global];
    v.push(match state.pane {
        PaneId::Logs => ViewId::Logs,
        PaneId::Pipelines if state.show_recurring => ViewId::Recurring,
        p => ViewId::List(p),
    });
    if state.pane == PaneId::Logs && state.logs.is_none() {
        v.pop();
        v.push(ViewId::List(PaneId::Logs));
    }
    match state.pane {
        PaneId::Runs if state.detail.is_some() => v.push(ViewId::RunDetail),
        PaneId::Pipelines if state.pipeline.is_some() => v.push(ViewId::PipelineDetail),
        PaneId::Models => {
            if state.model.open.is_some() {
                v.push(ViewId::ModelDetail);
            }
            if let Some(t) = &state.model.test {
                v.push(match t.focus {
                    crate::app::models::TestFocus::Editor => ViewId::ModelTest,
                    crate::app::models::TestFocus::History => ViewId::TestHistory,
                });
            }
        }
        PaneId::Training if state.train.open.is_some() => v.push(ViewId::TrainingDetail),
        PaneId::Experiments if state.experiment.is_some() => v.push(ViewId::ExperimentDetail),
        PaneId::Logs if state.logs.as_ref().is_some_and(|l| l.view.search().editing()) => {
            v.push(ViewId::LogSearch)
        }
        _ => {}
    }
    if let Some(viewer) = &state.viewer {
        v.push(ViewId::Viewer);
        if viewer.searching {
            v.push(ViewId::ViewerSearch);
        }
    }
    if state.compare.is_some() {
        v.push(ViewId::Compare);
    }
    if state.connections.open {
        v.push(ViewId::Connections);
    }
    if state.notebook_form.is_some() {
        v.push(ViewId::NotebookForm);
    }
    if let Some(form) = &state.form {
        v.push(if form.yaml.is_some() {
            ViewId::YamlEditor
        } else {
            ViewId::RunForm
        });
    }
    if state.picker.is_some() {
        v.push(ViewId::Picker);
    }
    if state.confirm.is_some() {
        v.push(ViewId::Confirm);
    }
    match state.mode {
        Mode::Normal => {}
        Mode::Help => v.push(ViewId::Help),
        Mode::Command => v.push(ViewId::Command),
        Mode::Filter => v.push(ViewId::Filter),
    }
    v
}

/// The top view: the one that has the keyboard.
pub fn top(state: &State) -> ViewId {
    stack(state).last().copied().unwrap_or(ViewId::Global)
}

/// Where a key sequence goes in a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The view at this depth of the stack takes the action.
    Action { depth: usize, action: Action },
    /// The start of a longer binding: wait for the next key.
    Pending,
    /// A modal view at this depth takes the key as typing.
    Typing { depth: usize },
    /// Nothing here answers to it.
    Nothing,
}

/// Routes a key sequence through the stack, top first. The one routine behind dispatch, the
/// footer, help and completion.
pub fn route(state: &State, keymap: &Keymap, stack: &[ViewId], keys: &[Key]) -> Route {
    for depth in reachable(stack) {
        let view = stack[depth];
        match keymap.resolve_in(&view.scopes(state.pane), keys) {
            KeymapResult::Matched(action) if view.takes(state, action) => {
                return Route::Action { depth, action };
            }
            KeymapResult::Pending => return Route::Pending,
            _ => {}
        }
        if view.modal() {
            return Route::Typing { depth };
        }
    }
    Route::Nothing
}

/// The depths of the stack a key can reach, top first: down to the first modal view, and past
/// a view that hides the pane's list straight to the global bindings.
pub fn reachable(stack: &[ViewId]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut hidden = false;
    for (depth, view) in stack.iter().enumerate().rev() {
        if hidden && depth > 0 && matches!(view, ViewId::List(_) | ViewId::Recurring | ViewId::Logs) {
            continue;
        }
        out.push(depth);
        if view.modal() {
            break;
        }
        hidden |= view.hides_list();
    }
    out
}

/// The binding table of the view at `depth` of the stack, keys resolved through the stack.
pub fn bindings(state: &State, keymap: &Keymap, stack: &[ViewId], depth: usize) -> Vec<Binding> {
    table(state, keymap, stack, depth, false)
}

/// The binding table of the view at `depth`, or only its rows with a footer hint.
fn table(state: &State, keymap: &Keymap, stack: &[ViewId], depth: usize, hints_only: bool) -> Vec<Binding> {
    let Some(&view) = stack.get(depth) else {
        return Vec::new();
    };
    let scopes = view.scopes(state.pane);
    let bound = keymap.bindings_in(&scopes);
    view.decls()
        .into_iter()
        .filter(|d| !hints_only || d.hint.is_some())
        .map(|d| {
            let keys = bound
                .iter()
                .filter(|(_, a)| *a == d.action)
                .map(|(k, _)| k.clone())
                .filter(|k| {
                    parse_keys(k).is_ok_and(|seq| {
                        route(state, keymap, stack, &seq)
                            == Route::Action {
                                depth,
                                action: d.action,
                            }
                    })
                })
                .collect();
            Binding {
                view,
                action: d.action,
                keys,
                hint: d.hint,
                mutates: d.action.is_mutating(),
                available: available(view, state, d.action),
            }
        })
        .collect()
}

/// Whether read-only mode hides a binding.
fn shown(state: &State, b: &Binding) -> bool {
    !(state.readonly && b.mutates)
}

/// The footer: the top view's hints that a key reaches now, with (up to two of) those keys.
pub fn footer(state: &State, keymap: &Keymap) -> Vec<(Vec<String>, &'static str)> {
    let stack = stack(state);
    let depth = stack.len().saturating_sub(1);
    table(state, keymap, &stack, depth, true)
        .into_iter()
        .filter(|b| shown(state, b) && b.available && !b.keys.is_empty())
        .filter_map(|b| {
            // The first key, and an arrow that does the same.
            let mut keys = b.keys.into_iter();
            let first = keys.next()?;
            let arrow = keys.find(|k| glyph(k) != k.as_str());
            Some((std::iter::once(first).chain(arrow).collect(), b.hint?))
        })
        .collect()
}

/// Arrow keys as the arrows a footer shows.
pub fn glyph(key: &str) -> &str {
    match key {
        "up" => "↑",
        "down" => "↓",
        "left" => "←",
        "right" => "→",
        other => other,
    }
}

/// Help: every action the stack takes now, top view first, each once, with the keys that reach
/// it here (none: `:` only).
pub fn help(state: &State, keymap: &Keymap) -> Vec<(ViewId, Vec<Binding>)> {
    let stack = stack_below_help(state);
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for depth in reachable(&stack) {
        let rows: Vec<Binding> = bindings(state, keymap, &stack, depth)
            .into_iter()
            .filter(|b| shown(state, b) && seen.insert(b.action))
            .collect();
        if !rows.is_empty() {
            out.push((stack[depth], rows));
        }
    }
    out
}

/// The stack as it is under the help or command line (they list and run what is below them).
fn stack_below_help(state: &State) -> Vec<ViewId> {
    let mut stack = stack(state);
    if matches!(stack.last(), Some(ViewId::Help | ViewId::Command)) {
        stack.pop();
    }
    stack
}

/// The commands `:` completes: every action a view under the command line takes now.
pub fn completions(state: &State) -> Vec<&'static str> {
    let stack = stack_below_help(state);
    let mut names: Vec<&'static str> = reachable(&stack)
        .into_iter()
        .flat_map(|depth| {
            let v = stack[depth];
            v.decls()
                .into_iter()
                .filter(move |d| v.takes(state, d.action) && !(state.readonly && d.action.is_mutating()))
                .map(|d| d.action.name())
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}
