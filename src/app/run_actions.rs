//! New runs (from a source picker into the form), clones and comparisons: the part of `update`
//! that drives them.

use crate::app::action::Action;
use crate::app::detail::RunDetail;
use crate::app::effect::Effect;
use crate::app::form::{FormOutcome, RunForm};
use crate::app::msg::Msg;
use crate::app::pane::PaneId;
use crate::app::picker::{Picker, PickerItem, PickerKind};
use crate::app::state::{Level, Notice, State};
use std::collections::{HashMap, HashSet};

use crate::kube::resources::workflow::RunRow;
use crate::runs::compare::Comparison;

fn notice(state: &mut State, level: Level, text: String) {
    state.notice = Some(Notice { level, text });
    state.dirty = true;
}

fn next_request(state: &mut State) -> u64 {
    state.request_seq += 1;
    state.request_seq
}

/// The namespace a new run goes to: the one shown, or the selected run's.
fn run_namespace(state: &State) -> Option<String> {
    state
        .target
        .namespace
        .clone()
        .or_else(|| state.runs.selected_row().map(|r| r.namespace.clone()))
}

/// `new-run`: list what a run can start from, in a picker.
pub fn new_run(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(namespace) = run_namespace(state) else {
        notice(
            state,
            Level::Warn,
            "pick a namespace for the new run first (:ns NAME)".into(),
        );
        return;
    };
    let request = next_request(state);
    let mut picker = Picker::new(PickerKind::RunSource, Vec::new(), None);
    picker.loading = true;
    picker.note = Some(format!("runs start in {namespace}"));
    state.picker = Some(picker);
    state.run_sources.clear();
    effects.push(Effect::LoadRunSources {
        request,
        context: state.target.context.clone(),
        namespace,
    });
}

/// `clone`: read the selected run and open the form on a copy of it.
pub fn clone_run(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(row) = state.runs.selected_row() else {
        notice(state, Level::Info, "no run selected".into());
        return;
    };
    let (namespace, name) = (row.namespace.clone(), row.name.clone());
    let request = next_request(state);
    notice(state, Level::Info, format!("reading run {name} to copy it…"));
    effects.push(Effect::LoadClone {
        request,
        context: state.target.context.clone(),
        namespace,
        name,
    });
}

/// `compare`: the marked runs (two or more) side by side.
pub fn compare(state: &mut State, effects: &mut Vec<Effect>) {
    // In the order the list shows them.
    let order: Vec<&str> = state.runs.visible_rows().map(|r| r.name.as_str()).collect();
    let mut targets: Vec<_> = state
        .runs
        .targets()
        .into_iter()
        .filter(|_| !state.runs.marked.is_empty())
        .collect();
    targets.sort_by_key(|t| order.iter().position(|n| *n == t.name).unwrap_or(usize::MAX));
    // A run only in KFP's history has no Workflow to read its steps from: it is left out, and
    // the status line says so.
    let (targets, history): (Vec<_>, Vec<_>) = targets
        .into_iter()
        .partition(|t| t.kind != crate::app::subs::Kind::KfpRuns);
    let left_out = (!history.is_empty()).then(|| {
        let names: Vec<&str> = history.iter().map(|t| t.display.as_str()).collect();
        format!(
            "left out of the comparison, only in KFP's history (their Workflows were deleted): {}",
            names.join(", ")
        )
    });
    if targets.len() < 2 {
        let why = "mark two or more runs with space (or :mark re:PATTERN), then compare";
        let text = match left_out {
            Some(l) => format!("{why}; {l}"),
            None => why.to_string(),
        };
        notice(state, Level::Info, text);
        return;
    }
    if let Some(text) = left_out {
        notice(state, Level::Info, text);
    }
    let request = next_request(state);
    state.compare = Some(Comparison {
        request,
        columns: None,
        scroll: 0,
        first_column: 0,
    });
    effects.push(Effect::CompareRuns {
        request,
        context: state.target.context.clone(),
        targets,
    });
}

/// The user picked a source in the run-source picker.
pub fn choose_source(state: &mut State, value: Option<String>) {
    let seed = value
        .and_then(|v| v.parse::<usize>().ok())
        .and_then(|i| state.run_sources.get(i).cloned());
    if let Some(seed) = seed {
        state.form = Some(RunForm::new(seed));
    }
}

/// A key while the form is open.
pub fn form_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    let Some(form) = state.form.as_mut() else {
        return;
    };
    match form.on_action(action) {
        FormOutcome::Stay => {}
        FormOutcome::Close => state.form = None,
        FormOutcome::Submit(run) => {
            state.request_seq += 1;
            let request = state.request_seq;
            form.submitting = Some(request);
            form.error = None;
            effects.push(Effect::CreateRun {
                request,
                context: state.target.context.clone(),
                run,
            });
        }
    }
}

/// An action while the comparison is open.
pub fn compare_action(state: &mut State, action: Action) {
    let page = state.list_height.max(1);
    let Some(c) = state.compare.as_mut() else {
        return;
    };
    match action {
        _ if crate::app::training::scroll_detail(&mut c.scroll, action, page, None) => {}
        Action::Cancel => state.compare = None,
        Action::ScrollRight => {
            let n = match &c.columns {
                Some(Ok(cols)) => cols.len(),
                _ => 0,
            };
            c.first_column = (c.first_column + 1).min(n.saturating_sub(1));
        }
        Action::ScrollLeft => c.first_column = c.first_column.saturating_sub(1),
        _ => {}
    }
}

/// Answers to this module's effects; `false` when the message is not one of them.
pub fn on_msg(state: &mut State, msg: &Msg) -> bool {
    match msg {
        Msg::RunSources {
            request,
            seeds,
            notes,
        } => {
            if *request != state.request_seq {
                return true;
            }
            let Some(picker) = state.picker.as_mut().filter(|p| p.kind == PickerKind::RunSource) else {
                return true;
            };
            let items = seeds
                .iter()
                .enumerate()
                .map(|(i, s)| PickerItem {
                    value: Some(i.to_string()),
                    label: s.title.clone(),
                    detail: match s.params.len() {
                        0 => "no parameters".into(),
                        1 => "1 parameter".into(),
                        n => format!("{n} parameters"),
                    },
                })
                .collect();
            picker.set_items(items);
            picker.selected = 0;
            if seeds.is_empty() || !notes.is_empty() {
                let mut note = if seeds.is_empty() {
                    "nothing to start a run from".to_string()
                } else {
                    String::new()
                };
                for n in notes {
                    if !note.is_empty() {
                        note.push_str(" · ");
                    }
                    note.push_str(n);
                }
                picker.note = Some(note);
            }
            state.run_sources = seeds.clone();
            state.dirty = true;
        }
        Msg::FormSeed { request, result } => {
            if *request != state.request_seq {
                return true;
            }
            match result {
                Ok(seed) => {
                    state.notice = None;
                    state.form = Some(RunForm::new(seed.clone()));
                }
                Err(e) => notice(state, Level::Error, format!("cannot copy the run: {e}")),
            }
            state.dirty = true;
        }
        Msg::RunCreated { request, result } => {
            let Some(form) = state.form.as_mut().filter(|f| f.submitting == Some(*request)) else {
                return true;
            };
            match result {
                Ok((namespace, name)) => {
                    state.form = None;
                    state.pane = PaneId::Runs;
                    state.viewer = None;
                    state.detail = Some(RunDetail::new(namespace.clone(), name.clone(), name.clone()));
                    state.select_run = Some((namespace.clone(), name.clone()));
                    notice(state, Level::Info, format!("created run {name} in {namespace}"));
                }
                Err(e) => {
                    form.submitting = None;
                    form.error = Some(e.clone());
                }
            }
            state.dirty = true;
        }
        Msg::Compared { request, result } => {
            if let Some(c) = state.compare.as_mut().filter(|c| c.request == *request) {
                c.columns = Some(result.clone());
                state.dirty = true;
            }
        }
        _ => return false,
    }
    true
}

/// Selects the run just created once the list has it.
pub fn select_created(state: &mut State) {
    let Some((ns, name)) = state.select_run.clone() else {
        return;
    };
    let runs = &mut state.runs;
    if let Some(pos) = runs.visible.iter().position(|i| {
        runs.rows
            .get(*i)
            .is_some_and(|r| r.namespace == ns && r.name == name)
    }) {
        runs.selected = pos;
        runs.clamp(state.list_height);
        state.select_run = None;
    }
}

/// The Runs pane's rows: the Workflows, each with its KFP experiment when KFP named it, and the
/// finished KFP runs whose Workflows are gone.
pub fn merged_runs(workflows: &std::sync::Arc<[RunRow]>, kfp: &[RunRow]) -> std::sync::Arc<[RunRow]> {
    if kfp.is_empty() {
        return workflows.clone();
    }
    let experiments: HashMap<&str, &str> = kfp
        .iter()
        .filter(|r| !r.experiment.is_empty())
        .filter_map(|r| Some((r.kfp_run_id()?, r.experiment.as_str())))
        .collect();
    let live: HashSet<&str> = workflows.iter().filter_map(RunRow::kfp_run_id).collect();
    let mut out: Vec<RunRow> = workflows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some(e) = r.kfp_run_id().and_then(|id| experiments.get(id)) {
                r.experiment = (*e).to_string();
            }
            r
        })
        .collect();
    // A run KFP has just started may be listed before its Workflow: only finished ones are history.
    out.extend(
        kfp.iter()
            .filter(|r| !r.phase.is_active())
            .filter(|r| r.kfp_run_id().is_some_and(|id| !live.contains(id)))
            .cloned(),
    );
    out.into()
}
