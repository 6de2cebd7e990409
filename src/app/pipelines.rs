//! The Pipelines pane beyond its list: the open pipeline (versions, parameters, task graph),
//! new runs of it, its runs, uploads and deletes.

use std::sync::Arc;

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::form::RunForm;
use crate::app::msg::Msg;
use crate::app::pane::PaneId;
use crate::app::state::{Confirm, Level, Mode, Notice, State};
use crate::kube::pipelines::PipelineDetail;
use crate::kube::resources::pipeline::{PipelineRow, PipelineSource};
use crate::runs::model::RunGraph;
use crate::runs::view::GraphView;

/// The pipeline whose detail is open.
#[derive(Debug, Clone)]
pub struct OpenPipeline {
    pub row: PipelineRow,
    pub request: u64,
    /// `None` while loading.
    pub detail: Option<Result<PipelineDetail, String>>,
    /// The task graph, drawn with the run graph's widget.
    pub graph: Option<Arc<RunGraph>>,
    pub view: GraphView,
    /// Open the new-run form as soon as the detail arrives.
    pub form_when_loaded: bool,
}

fn notice(state: &mut State, level: Level, text: String) {
    state.notice = Some(Notice { level, text });
    state.dirty = true;
}

/// The namespace new runs and uploads go to.
fn work_namespace(state: &State, row: Option<&PipelineRow>) -> Option<String> {
    state
        .target
        .namespace
        .clone()
        .or_else(|| row.map(|r| r.namespace.clone()).filter(|n| !n.is_empty()))
}

fn load(state: &mut State, row: PipelineRow, form_when_loaded: bool, effects: &mut Vec<Effect>) {
    let Some(run_ns) = work_namespace(state, Some(&row)) else {
        notice(
            state,
            Level::Warn,
            "pick a namespace first (:ns NAME): runs start in one".into(),
        );
        return;
    };
    state.request_seq += 1;
    let request = state.request_seq;
    effects.push(Effect::LoadPipeline {
        request,
        context: state.target.context.clone(),
        row: row.clone(),
        run_namespace: run_ns,
    });
    state.pipeline = Some(OpenPipeline {
        row,
        request,
        detail: None,
        graph: None,
        view: GraphView::default(),
        form_when_loaded,
    });
}

/// The open pipeline, else the selected one.
fn current_row(state: &State) -> Option<PipelineRow> {
    state
        .pipeline
        .as_ref()
        .map(|p| p.row.clone())
        .or_else(|| state.pipelines.selected_row().cloned())
}

/// The recurring runs are listed: pipeline verbs do not apply.
fn listing_recurring(state: &mut State) -> bool {
    if state.show_recurring {
        notice(
            state,
            Level::Info,
            "these are recurring runs: p disables, u enables, y shows one; R lists the pipelines".into(),
        );
    }
    state.show_recurring
}

/// `enter`: open the selected pipeline.
pub fn open(state: &mut State, effects: &mut Vec<Effect>) {
    if listing_recurring(state) {
        return;
    }
    match state.pipelines.selected_row().cloned() {
        Some(row) => load(state, row, false, effects),
        None => notice(state, Level::Info, "no pipeline selected".into()),
    }
}

/// `new-run` in the Pipelines pane: the form for the open or selected pipeline.
pub fn new_run(state: &mut State, effects: &mut Vec<Effect>) {
    if listing_recurring(state) {
        return;
    }
    if let Some(Some(Ok(detail))) = state.pipeline.as_ref().map(|p| &p.detail) {
        return match detail.seed.clone() {
            Some(seed) => state.form = Some(RunForm::new(seed)),
            None => notice(
                state,
                Level::Warn,
                "runs of a KFP pipeline start through the KFP API, which does not answer here".into(),
            ),
        };
    }
    match state.pipelines.selected_row().cloned() {
        Some(row) => load(state, row, true, effects),
        None => notice(state, Level::Info, "no pipeline selected".into()),
    }
}

/// `pipeline-runs`: the Runs pane, filtered to this pipeline's runs.
pub fn show_runs(state: &mut State) {
    let row = current_row(state);
    let Some(row) = row else {
        return notice(state, Level::Info, "no pipeline selected".into());
    };
    state.pane = PaneId::Runs;
    state.detail = None;
    let now = state.now;
    let input = &mut state.runs.filter;
    input.clear();
    input.insert_str(&row.name);
    crate::app::list::AnyList::refilter(&mut state.runs, now);
    state.mode = Mode::Normal;
    notice(
        state,
        Level::Info,
        format!("runs of {} (esc clears the filter)", row.display_name),
    );
}

/// `delete` in the Pipelines pane.
pub fn delete(state: &mut State) {
    if listing_recurring(state) {
        return;
    }
    let row = current_row(state);
    let Some(row) = row else {
        return notice(state, Level::Info, "no pipeline selected".into());
    };
    let target = crate::app::list::target_of(&row);
    state.confirm = Some(Confirm::new(
        crate::kube::kubeflow_ops::Verb::Pipeline(row.source),
        vec![target],
    ));
}

/// `:upload PATH [NAME]` (a new pipeline) and `:upload-version PATH [NAME]` (a new version of
/// the selected KFP pipeline).
pub fn upload(state: &mut State, path: &str, name: Option<&str>, version: bool, effects: &mut Vec<Effect>) {
    if state.readonly {
        return notice(state, Level::Warn, "read-only: upload is disabled".into());
    }
    let row = current_row(state);
    let pipeline_id = if version {
        match row.as_ref().filter(|r| r.source == PipelineSource::KfpApi) {
            Some(r) => Some(r.pipeline_id.clone()),
            None => {
                return notice(
                    state,
                    Level::Warn,
                    "select a KFP pipeline for :upload-version (or :upload PATH for a new one)".into(),
                );
            }
        }
    } else {
        None
    };
    let Some(namespace) = work_namespace(state, row.as_ref()) else {
        return notice(state, Level::Warn, "pick a namespace first (:ns NAME)".into());
    };
    notice(state, Level::Info, format!("uploading {path}…"));
    effects.push(Effect::UploadPipeline {
        context: state.target.context.clone(),
        namespace,
        pipeline_id,
        path: path.to_string(),
        name: name.map(String::from),
    });
}

/// An action while a pipeline is open: moving in its task graph, paging the side panel,
/// closing; anything else is the pane's.
pub fn detail_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    let (width, height) = (state.width, state.height);
    let Some(open) = state.pipeline.as_mut() else {
        return;
    };
    state.dirty = true;
    if action == Action::Cancel {
        state.pipeline = None;
    } else if !crate::app::detail::graph_action(&mut open.view, open.graph.as_deref(), action, width, height)
    {
        crate::app::update::apply(state, action, effects);
    }
}

/// Answers to the Pipelines pane's effects; `false` when the message is not one of them.
pub fn on_msg(state: &mut State, msg: &Msg) -> bool {
    match msg {
        Msg::PipelineLoaded { request, result } => {
            let Some(open) = state.pipeline.as_mut().filter(|p| p.request == *request) else {
                return true;
            };
            if let Ok(d) = result {
                let wf = crate::runs::synthetic::pipeline_graph(&open.row.name, &d.tasks);
                open.graph = RunGraph::from_workflow(&wf).ok().map(Arc::new);
            }
            open.detail = Some(result.clone());
            let form = open.form_when_loaded;
            open.form_when_loaded = false;
            if form {
                match result {
                    Ok(d) => match d.seed.clone() {
                        Some(seed) => state.form = Some(RunForm::new(seed)),
                        None => notice(
                            state,
                            Level::Warn,
                            "runs of a KFP pipeline start through the KFP API, which does not answer here"
                                .into(),
                        ),
                    },
                    Err(e) => notice(state, Level::Error, format!("cannot read the pipeline: {e}")),
                }
            }
            state.dirty = true;
        }
        Msg::PipelineOp { result } => {
            match result {
                Ok(text) => notice(state, Level::Info, text.clone()),
                Err(e) => notice(state, Level::Error, e.clone()),
            }
            // The list shows the change at its next read; ask for it now.
            if let Some(key) = state
                .subs
                .iter()
                .find(|k| k.kind == crate::app::subs::Kind::Pipelines)
                .cloned()
            {
                state.subs.remove(&key);
            }
        }
        _ => return false,
    }
    true
}

/// `recurring`: the Pipelines pane lists the recurring runs, or the pipelines again.
pub fn toggle_recurring(state: &mut State) {
    if state.pane != PaneId::Pipelines {
        state.pane = PaneId::Pipelines;
    }
    state.pipeline = None;
    state.show_recurring = !state.show_recurring;
    state.mode = Mode::Normal;
}

/// `suspend`/`resume` on the recurring runs: disable or enable the marked or selected ones.
pub fn schedule(state: &mut State, enable: bool) {
    if !state.show_recurring {
        return notice(
            state,
            Level::Info,
            "enable and disable work on recurring runs: R lists them".into(),
        );
    }
    let Some((source, kind)) = state
        .recurring
        .selected_row()
        .map(|r| (r.source, crate::app::list::ListRow::kind(r)))
    else {
        return notice(state, Level::Info, "no recurring run selected".into());
    };
    // One confirmation per kind of schedule: the marked (or selected) ones of the selected kind.
    let targets: Vec<_> = crate::app::list::AnyList::verb_targets(&state.recurring)
        .into_iter()
        .filter(|t| t.kind == kind)
        .collect();
    state.confirm = Some(Confirm::new(
        crate::kube::kubeflow_ops::Verb::Schedule(enable, source),
        targets,
    ));
}
