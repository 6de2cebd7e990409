//! `update(&mut State, &Keymap, Msg) -> Vec<Effect>`: every change to the State happens here.
//! It does no IO and reads no clock, so a test can drive it with a script of messages.

use std::sync::Arc;

use chrono::Timelike;

use crate::app::action::Action;
use crate::app::detail::RunDetail;
use crate::app::effect::Effect;
use crate::app::filter::Filter;
use crate::app::logs::LogSubject;
use crate::app::msg::{ConnEvent, DataEvent, Msg, SubStatus};
use crate::app::pane::PaneId;
use crate::app::picker::{Picker, PickerItem, PickerKind};
use crate::app::sort::column_index;
use crate::app::state::{Confirm, ConnState, Level, Mode, Notice, SourceState, State, VerbTarget};
use crate::app::subs::{self, Kind};
use crate::app::viewer::{TextView, ViewBody, ViewKind};
use crate::config::keymap::Keymap;
use crate::kube::edit::EditOutcome;
use crate::kube::kubeflow_ops::{ModelVerb, NotebookVerb, Verb};
use crate::kube::ops::RunVerb;
use crate::kube::resources::namespace::{NamespaceRow, picker_order};
use crate::layout;

/// Applies one message to the state and returns the effects to perform.
pub fn update(state: &mut State, keymap: &Keymap, msg: Msg) -> Vec<Effect> {
    let mut effects = Vec::new();
    if crate::app::run_actions::on_msg(state, &msg)
        || crate::app::pipelines::on_msg(state, &msg)
        || crate::app::models::on_msg(state, &msg)
        || crate::app::connections::on_msg(state, &msg, &mut effects)
        || crate::app::notebook_form::on_msg(state, &msg)
    {
        sync_subscriptions(state, &mut effects);
        return effects;
    }
    match msg {
        Msg::Key(key) => {
            state.dirty = true;
            crate::app::views::on_key(state, keymap, key, &mut effects);
        }
        Msg::Paste(text) => {
            state.dirty = true;
            if let Some(form) = state.form.as_mut() {
                form.paste(&text);
                return effects;
            }
            if crate::app::models::paste(state, &text) {
                return effects;
            }
            if let Some(form) = state.notebook_form.as_mut() {
                form.paste(&text);
                return effects;
            }
            match state.mode {
                Mode::Filter => {
                    let now = state.now;
                    if let Some(list) = state.list_mut(state.pane) {
                        list.filter_input().insert_str(&text);
                        list.refilter(now);
                    }
                }
                Mode::Command => state.command.insert_str(&text),
                Mode::Normal | Mode::Help => {}
            }
        }
        Msg::Resize { width, height } => {
            state.width = width;
            state.height = height;
            state.list_height = layout::list_height(width, height);
            let body = layout::areas(ratatui::layout::Rect::new(0, 0, width, height)).body;
            let logs_area = layout::logs_body_area(body);
            if let Some(session) = state.logs.as_mut() {
                session.view.set_viewport(logs_area.width, logs_area.height);
            }
            let area = layout::run_graph_area(width, height);
            if let Some(d) = state.detail.as_mut()
                && let Some(g) = d.graph.as_ref().and_then(|g| g.as_ref().ok()).cloned()
            {
                d.view.keep_visible(&g, area);
            }
            let height = state.list_height;
            for pane in PaneId::ALL {
                if let Some(list) = state.list_mut(pane) {
                    list.clamp_to(height);
                }
            }
            state.dirty = true;
        }
        Msg::Tick(now) => {
            let before = state.now;
            state.now = now;
            if tick_changes_screen(state, before) {
                state.dirty = true;
            }
        }
        Msg::Data(event) => on_data(state, event, &mut effects),
        Msg::Conn(event) => on_conn(state, event, &mut effects),
        Msg::ShellReady(result) => match result {
            Ok(target) => effects.push(Effect::OpenShell {
                context: state.target.context.clone(),
                target,
            }),
            Err(e) => notice(state, Level::Error, e),
        },
        Msg::ShellEnded { target, end } => {
            let what = format!("pod/{} ({})", target.pod, target.container);
            match end {
                crate::kube::shell::ShellEnd::Exited(code) => {
                    notice(state, Level::Info, format!("shell in {what} ended (exit {code})"))
                }
                crate::kube::shell::ShellEnd::Failed(e) => {
                    notice(state, Level::Error, format!("shell in {what}: {e}"))
                }
            }
        }
        Msg::YamlToCopy(result) => match result {
            Ok((name, text)) => {
                let lines = text.lines().count();
                notice(
                    state,
                    Level::Info,
                    format!("copied the YAML of {name} ({lines} lines)"),
                );
                effects.push(Effect::Copy(text));
            }
            Err(e) => notice(state, Level::Error, e),
        },
        Msg::EditLoaded(result) => match result {
            Ok(doc) => effects.push(Effect::OpenEditor(doc)),
            Err(e) => notice(state, Level::Error, e),
        },
        Msg::Edited { doc, result } => match result {
            Ok(text) => effects.push(Effect::SaveEdit {
                context: state.target.context.clone(),
                doc,
                text,
            }),
            Err(e) => notice(state, Level::Error, e),
        },
        Msg::EditSaved { target, outcome } => {
            let what = format!("{}/{}", kind_word(target.kind), target.name);
            match outcome {
                EditOutcome::Saved => notice(state, Level::Info, format!("{what} edited")),
                EditOutcome::Cancelled { why } => {
                    notice(state, Level::Info, format!("edit of {what} cancelled: {why}"))
                }
                EditOutcome::Reopen(doc) => effects.push(Effect::OpenEditor(doc)),
                EditOutcome::Failed(e) => notice(state, Level::Error, e),
            }
        }
        Msg::Discovered { context, result } => crate::app::cluster::on_discovered(state, &context, result),
        Msg::Fetched { request, result } => {
            if let Some(v) = state.viewer.as_mut().filter(|v| v.request == request) {
                v.body = match result {
                    Ok(lines) => ViewBody::Text(lines),
                    Err(e) => ViewBody::Error(e),
                };
                v.research(state.list_height + 1);
                state.dirty = true;
            }
        }
        Msg::VerbDone { verb, results, .. } => {
            if matches!(verb, Verb::Pipeline(_) | Verb::Schedule(..)) {
                // Read the pipelines again now rather than at the next poll.
                state.pipeline = None;
                state.subs.retain(|k| k.kind != Kind::Pipelines);
            }
            let (level, text) = verb_summary(verb, &results);
            if level == Level::Info
                && let Some(list) = state.list_mut(state.pane)
            {
                list.unmark_all();
            }
            notice(state, level, text);
        }
        Msg::Log(event) => {
            if let Some(session) = state.logs.as_mut()
                && session.view.apply(event)
                && state.pane == PaneId::Logs
            {
                state.dirty = true;
            }
        }
        Msg::Saved { path, result } => match result {
            Ok(bytes) => notice(
                state,
                Level::Info,
                format!("saved {bytes} bytes of logs to {path}"),
            ),
            Err(e) => notice(
                state,
                Level::Error,
                format!("cannot save the logs to {path}: {e}"),
            ),
        },
        Msg::Terminate => state.running = false,
        Msg::DetailEnd(end) => state.detail_end = end,
        // Answered by `run_actions::on_msg` and `pipelines::on_msg` above.
        Msg::RunSources { .. }
        | Msg::FormSeed { .. }
        | Msg::RunCreated { .. }
        | Msg::Compared { .. }
        | Msg::PipelineLoaded { .. }
        | Msg::PipelineOp { .. }
        | Msg::Predicted { .. }
        | Msg::Proxy(_)
        | Msg::NotebookForm(_) => {}
    }
    sync_subscriptions(state, &mut effects);
    effects
}

/// Performs an action, whether it came from a key or the command line.
pub fn apply(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    state.dirty = true;
    if action.is_mutating() && state.readonly {
        notice(
            state,
            Level::Warn,
            format!("read-only: {} is disabled", action.name()),
        );
        return;
    }
    if let Some(pane) = PaneId::for_action(action) {
        state.pane = pane;
        return;
    }
    match action {
        Action::Quit => state.running = false,
        Action::Help => {
            state.mode = Mode::Help;
            state.help_scroll = 0;
        }
        Action::Command => {
            state.mode = Mode::Command;
            state.command.clear();
            state.notice = None;
        }
        Action::Filter => {
            if let Some(list) = state.list_mut(state.pane) {
                list.filter_input().end();
                state.mode = Mode::Filter;
            } else {
                notice(
                    state,
                    Level::Info,
                    format!("the {} pane has no list to filter yet", state.pane.title()),
                );
            }
        }
        Action::Cancel => {
            state.notice = None;
            let now = state.now;
            if let Some(list) = state.list_mut(state.pane).filter(|l| !l.filter_text().is_empty()) {
                list.filter_input().clear();
                list.set_selector(None);
                list.refilter(now);
            }
        }
        Action::Up => move_selection(state, -1),
        Action::Down => move_selection(state, 1),
        Action::PageUp => move_selection(state, -(state.list_height.max(1) as isize)),
        Action::PageDown => move_selection(state, state.list_height.max(1) as isize),
        Action::Top => move_selection(state, isize::MIN / 2),
        Action::Bottom => move_selection(state, isize::MAX / 2),
        Action::NextPane => state.pane = state.pane.next(),
        Action::PrevPane => state.pane = state.pane.prev(),
        Action::SortNext | Action::SortPrev => {
            let (now, height) = (state.now, state.list_height);
            if let Some(list) = state.list_mut(state.pane) {
                let n = list.sort_columns().len().max(1);
                let step = if action == Action::SortNext { 1 } else { n - 1 };
                let column = (list.sort_state().column + step) % n;
                list.sort_by(column, Some(false), now, height);
            }
        }
        Action::Open => match state.pane {
            PaneId::Pipelines => crate::app::pipelines::open(state, effects),
            PaneId::Cluster => {
                if !crate::app::cluster::open(state) {
                    open_viewer(state, ViewKind::Describe, effects);
                }
            }
            PaneId::Training => crate::app::training::open(state),
            PaneId::Experiments => crate::app::experiments::open(state),
            PaneId::Models => crate::app::models::open(state),
            _ => open_detail(state),
        },
        Action::Owned => crate::app::cluster::related(state),
        Action::Cluster => state.pane = PaneId::Cluster,
        Action::Reveal => open_viewer(state, ViewKind::Revealed, effects),
        Action::Tail => match state.pane {
            PaneId::Training => crate::app::training::tail(state, effects),
            PaneId::Experiments => crate::app::experiments::tail(state, effects),
            _ => tail_selection(state, effects),
        },
        Action::Container => crate::app::logs::open_container_picker(state),
        Action::Since => crate::app::logs::cycle_since(state, effects),
        Action::TailLines => crate::app::logs::cycle_tail(state, effects),
        Action::Follow
        | Action::Wrap
        | Action::Timestamps
        | Action::Utc
        | Action::Grep
        | Action::Save
        | Action::Previous
        | Action::ScrollLeft
        | Action::ScrollRight => {
            if state.pane != PaneId::Logs || state.logs.is_none() {
                notice(
                    state,
                    Level::Info,
                    format!("{} works in the Logs pane, on open logs", action.name()),
                );
            }
        }
        Action::Layout => {
            if let Some(d) = state.detail.as_mut() {
                d.view.cycle_mode();
            }
        }
        Action::Namespace => open_picker(state, PickerKind::Namespace),
        Action::Context => open_picker(state, PickerKind::Context),
        Action::CopyName => match state.list(state.pane).and_then(|l| l.selected()) {
            Some(t) => {
                notice(state, Level::Info, format!("copied {}", t.name));
                effects.push(Effect::Copy(t.name));
            }
            None => notice(state, Level::Info, "nothing selected".to_string()),
        },
        Action::Shell => match shell_request(state) {
            Some(req) => {
                notice(state, Level::Info, format!("opening a shell in {}…", req.what));
                effects.push(Effect::PickShell {
                    context: state.target.context.clone(),
                    request: req,
                });
            }
            None => notice(state, Level::Info, "nothing here runs in a pod".to_string()),
        },
        Action::CopyYaml => match state.list(state.pane).and_then(|l| l.selected()) {
            Some(t) => effects.push(Effect::CopyYaml {
                context: state.target.context.clone(),
                target: t,
            }),
            None => notice(state, Level::Info, "nothing selected".to_string()),
        },
        Action::Edit => match state.list(state.pane).and_then(|l| l.selected()) {
            Some(t) if editable(t.kind) => {
                notice(state, Level::Info, format!("reading {}/{} to edit…", kind_word(t.kind), t.name));
                effects.push(Effect::LoadForEdit {
                    context: state.target.context.clone(),
                    target: t,
                });
            }
            Some(_) => notice(
                state,
                Level::Info,
                "KFP's pipelines and archived runs are records of its API, not Kubernetes objects: nothing to edit"
                    .to_string(),
            ),
            None => notice(state, Level::Info, "nothing selected".to_string()),
        },
        Action::Yaml => open_viewer(state, ViewKind::Yaml, effects),
        Action::Describe => open_viewer(state, ViewKind::Describe, effects),
        Action::NextMatch | Action::PrevMatch => {}
        Action::Redraw => effects.push(Effect::FullRedraw),
        Action::SuspendApp => effects.push(Effect::Suspend),
        Action::Mark => toggle_mark(state),
        Action::MarkAll => {
            if let Some(list) = state.list_mut(state.pane) {
                list.mark_all();
            }
        }
        Action::UnmarkAll => {
            if let Some(list) = state.list_mut(state.pane) {
                list.unmark_all();
            }
        }
        Action::Stop => match state.pane {
            PaneId::Notebooks => request_verb(state, Verb::Notebook(NotebookVerb::Stop)),
            PaneId::Models => request_verb(state, Verb::Model(ModelVerb::Stop)),
            _ => request_verb(state, Verb::Run(RunVerb::Stop)),
        },
        Action::Start => match state.pane {
            PaneId::Models => request_verb(state, Verb::Model(ModelVerb::Start)),
            _ => request_verb(state, Verb::Notebook(NotebookVerb::Start)),
        },
        Action::NewNotebook => crate::app::notebook_form::open(state, effects),
        Action::Connect => crate::app::connections::connect(state, effects),
        Action::Connections => crate::app::connections::open_list(state),
        Action::PortForward => crate::app::connections::port_forward_selected(state, None, effects),
        Action::Promote => request_verb(state, Verb::Model(ModelVerb::Promote)),
        Action::Test => crate::app::models::open_test(state),
        Action::Rollback => request_verb(state, Verb::Model(ModelVerb::Rollback)),
        Action::Terminate => request_verb(state, Verb::Run(RunVerb::Terminate)),
        Action::SuspendRun | Action::Resume if state.pane == PaneId::Training => {
            if let Some(verb) = crate::app::training::verb_for(action) {
                request_verb(state, verb);
            }
        }
        Action::SuspendRun | Action::Resume if state.pane == PaneId::Pipelines => {
            crate::app::pipelines::schedule(state, action == Action::Resume)
        }
        Action::SuspendRun => request_verb(state, Verb::Run(RunVerb::Suspend)),
        Action::Resume => request_verb(state, Verb::Run(RunVerb::Resume)),
        Action::Retry => request_verb(state, Verb::Run(RunVerb::Retry)),
        Action::Resubmit => request_verb(state, Verb::Run(RunVerb::Resubmit)),
        Action::NewRun if state.pane == PaneId::Pipelines => crate::app::pipelines::new_run(state, effects),
        Action::NewRun => crate::app::run_actions::new_run(state, effects),
        Action::PipelineRuns => crate::app::pipelines::show_runs(state),
        Action::Recurring => crate::app::pipelines::toggle_recurring(state),
        Action::CloneRun => crate::app::run_actions::clone_run(state, effects),
        Action::Compare => crate::app::run_actions::compare(state, effects),
        Action::Delete => match state.pane {
            PaneId::Pipelines => crate::app::pipelines::delete(state),
            PaneId::Notebooks => request_verb(state, Verb::Notebook(NotebookVerb::Delete)),
            PaneId::Models => request_verb(state, Verb::Model(ModelVerb::Delete)),
            PaneId::Training => request_verb(
                state,
                Verb::Training(crate::kube::training_ops::TrainingVerb::Delete),
            ),
            PaneId::Experiments => request_verb(
                state,
                Verb::Experiment(crate::kube::training_ops::ExperimentVerb::Delete),
            ),
            PaneId::Cluster => request_verb(state, Verb::Delete(Kind::Resource(state.cluster.kind))),
            _ => request_verb(state, Verb::Run(RunVerb::Delete)),
        },
        Action::Canary | Action::Upload | Action::UploadVersion | Action::Sort => {
            let usage = match action {
                Action::Canary => ":canary PERCENT",
                Action::Upload => ":upload PATH [NAME]",
                Action::UploadVersion => ":upload-version PATH [NAME]",
                _ => ":sort COLUMN [asc|desc]",
            };
            notice(
                state,
                Level::Info,
                format!("{} needs more: {usage}", action.name()),
            );
        }
        // Actions of the views over the panes (they answer to them themselves).
        Action::Pipelines
        | Action::Runs
        | Action::Logs
        | Action::Notebooks
        | Action::Models
        | Action::Training
        | Action::Experiments
        | Action::MoveLeft
        | Action::MoveRight
        | Action::Parent
        | Action::Child
        | Action::Copy
        | Action::Disconnect
        | Action::Accept
        | Action::Complete
        | Action::NextField
        | Action::PrevField
        | Action::Submit
        | Action::EditYaml
        | Action::NextChoice
        | Action::PrevChoice
        | Action::Example => {}
    }
}

/// `:sort COLUMN [asc|desc]`: the open experiment's trials, else the pane's list.
pub fn sort_command(state: &mut State, col: &str, direction: Option<&str>) {
    if crate::app::experiments::sort_command(state, col, direction) {
        return;
    }
    let descending = match direction {
        Some("desc" | "d" | "-") => Some(true),
        Some("asc" | "a" | "+") => Some(false),
        _ => None,
    };
    let (now, height) = (state.now, state.list_height);
    let columns = state.list(state.pane).map(|l| l.sort_columns()).unwrap_or(&[]);
    match column_index(columns, col) {
        Some(c) => {
            if let Some(list) = state.list_mut(state.pane) {
                list.sort_by(c, descending, now, height);
            }
            state.dirty = true;
        }
        None => notice(
            state,
            Level::Error,
            format!("no column \"{col}\": sort by {}", columns.join(", ")),
        ),
    }
}

fn toggle_mark(state: &mut State) {
    let height = state.list_height;
    if let Some(list) = state.list_mut(state.pane) {
        list.toggle_mark();
        list.move_by(1, height);
    }
}

/// Marks the rows whose name matches `pattern` (`re:` for a regex).
pub fn mark_matching(state: &mut State, pattern: &str) {
    match Filter::parse(pattern) {
        Ok(filter) => {
            let n = state.list_mut(state.pane).map_or(0, |l| l.mark_matching(&filter));
            notice(
                state,
                Level::Info,
                format!("marked {n} row(s) matching {pattern}"),
            );
        }
        Err(e) => notice(state, Level::Error, e),
    }
}

/// What a traffic verb does to models that use KServe v0.20's `spec.canary[]` form (where it
/// acts on the listed canaries, not on the latest revision); `None` for anything else.
fn canary_list_effect(state: &State, verb: Verb, targets: &[VerbTarget]) -> Option<String> {
    let Verb::Model(v @ (ModelVerb::Canary(_) | ModelVerb::Promote | ModelVerb::Rollback)) = verb else {
        return None;
    };
    let canaries: Vec<String> = targets
        .iter()
        .map(|t| {
            state
                .models
                .rows
                .iter()
                .find(|r| r.namespace == t.namespace && r.name == t.name)
                .map(|r| {
                    r.detail
                        .canaries
                        .iter()
                        .map(|(name, _)| name.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        })
        .collect();
    if canaries.iter().any(String::is_empty) {
        return None;
    }
    let one = canaries.len() == 1 && !canaries[0].contains(", ");
    let names = if one {
        format!("canary {}", canaries[0])
    } else {
        "every canary in spec.canary[]".to_string()
    };
    Some(match v {
        ModelVerb::Canary(n) => format!("{names} gets {}% of the traffic", n.min(100)),
        ModelVerb::Promote if one => format!("{names} becomes the predictor and takes all the traffic"),
        ModelVerb::Promote => {
            "the canary with the most traffic becomes the predictor and takes all of it".into()
        }
        _ => format!("{names} stays defined but takes no traffic"),
    })
}

/// Asks for confirmation of a verb on the marked or selected runs.
pub fn request_verb(state: &mut State, verb: Verb) {
    let pane = match verb {
        Verb::Run(_) => PaneId::Runs,
        Verb::Notebook(_) => PaneId::Notebooks,
        Verb::Model(_) => PaneId::Models,
        Verb::Training(_) => PaneId::Training,
        Verb::Experiment(_) => PaneId::Experiments,
        Verb::Pipeline(_) | Verb::Schedule(..) => PaneId::Pipelines,
        Verb::Delete(_) => PaneId::Cluster,
    };
    if state.pane != pane {
        notice(
            state,
            Level::Info,
            format!(
                "{} works on {}s: go to the {} pane",
                verb.name(),
                verb.noun(),
                pane.title()
            ),
        );
        return;
    }
    let targets = match state.detail.as_ref().filter(|_| pane == PaneId::Runs) {
        // With a run open, its verbs apply to that run.
        Some(d) => vec![VerbTarget {
            kind: Kind::Workflows,
            namespace: d.namespace.clone(),
            name: d.name.clone(),
            display: d.display.clone(),
        }],
        None => state
            .list(state.pane)
            .map(|l| l.verb_targets())
            .unwrap_or_default(),
    };
    let history = targets.iter().filter(|t| t.kind == Kind::KfpRuns).count();
    let targets: Vec<VerbTarget> = targets.into_iter().filter(|t| t.kind != Kind::KfpRuns).collect();
    if targets.is_empty() {
        let text = if history > 0 {
            format!(
                "{} needs a Workflow; this run is only in KFP's history (its Workflow was deleted after its TTL)",
                verb.name()
            )
        } else {
            format!("no {} selected", verb.noun())
        };
        notice(state, Level::Info, text);
        return;
    }
    // Only a run that failed can be retried (Argo and KFP refuse any other): say so before asking.
    let (targets, refused) = retryable(state, verb, targets);
    if targets.is_empty() {
        return notice(state, Level::Info, refused.unwrap_or_default());
    }
    let effect = canary_list_effect(state, verb, &targets);
    state.confirm = Some(Confirm {
        verb,
        targets,
        effect,
    });
    if let Some(text) = refused {
        notice(state, Level::Info, text);
    }
}

/// For a retry: the targets that failed, and a sentence naming those left out and why.
fn retryable(state: &State, verb: Verb, targets: Vec<VerbTarget>) -> (Vec<VerbTarget>, Option<String>) {
    use crate::kube::resources::workflow::RunPhase;
    if verb != Verb::Run(RunVerb::Retry) {
        return (targets, None);
    }
    let phase = |t: &VerbTarget| {
        state
            .runs
            .rows
            .iter()
            .find(|r| r.namespace == t.namespace && r.name == t.name)
            .map(|r| r.phase)
    };
    let (ok, no): (Vec<VerbTarget>, Vec<VerbTarget>) = targets
        .into_iter()
        .partition(|t| phase(t).is_none_or(|p| matches!(p, RunPhase::Failed | RunPhase::Error)));
    let why = (!no.is_empty()).then(|| {
        let names: Vec<String> = no
            .iter()
            .map(|t| format!("{} is {}", t.display, phase(t).map_or("unknown", |p| p.word())))
            .collect();
        format!(
            "retry: only a failed run can be retried; {} (resubmit, ctrl-r, starts a new run)",
            names.join(", ")
        )
    });
    (ok, why)
}

/// Answers the open confirmation: yes sends the verb, no cancels it.
pub fn confirm(state: &mut State, yes: bool, effects: &mut Vec<Effect>) {
    let Some(confirm) = state.confirm.take() else {
        return;
    };
    if yes {
        state.request_seq += 1;
        let n = confirm.targets.len();
        effects.push(Effect::RunVerb {
            request: state.request_seq,
            context: state.target.context.clone(),
            verb: confirm.verb,
            targets: confirm.targets,
        });
        notice(
            state,
            Level::Info,
            format!(
                "{}: sent for {n} {}(s)…",
                confirm.verb.name(),
                confirm.verb.noun()
            ),
        );
    } else {
        notice(state, Level::Info, format!("{} cancelled", confirm.verb.name()));
    }
}

/// Summarises a verb's per-run results for the status line.
fn verb_summary(verb: Verb, results: &[(String, Result<String, String>)]) -> (Level, String) {
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(name, r)| r.as_ref().err().map(|e| format!("{name}: {e}")))
        .collect();
    match (results.len(), failed.len()) {
        (1, 0) => (Level::Info, results[0].1.clone().unwrap_or_default()),
        (1, _) => (
            Level::Error,
            format!("{} failed: {}", verb.name(), failed.join("; ")),
        ),
        (n, 0) => (Level::Info, format!("{}: {n} of {n} done", verb.name())),
        (n, f) => (
            Level::Error,
            format!(
                "{}: {} of {n} done, {f} failed — {}",
                verb.name(),
                n - f,
                failed.join("; ")
            ),
        ),
    }
}

/// The namespace picker's items: all namespaces, then Kubeflow profiles, then the rest.
fn namespace_items(rows: &[NamespaceRow]) -> Vec<PickerItem> {
    let mut rows = rows.to_vec();
    picker_order(&mut rows);
    let mut items = vec![PickerItem {
        value: None,
        label: "all namespaces".into(),
        detail: "-A".into(),
    }];
    items.extend(rows.into_iter().map(|r| PickerItem {
        detail: match (&r.owner, r.profile) {
            (Some(owner), true) => format!("Kubeflow profile · {owner}"),
            (None, true) => "Kubeflow profile".into(),
            _ => String::new(),
        },
        value: Some(r.name.clone()),
        label: r.name,
    }));
    items
}

fn open_picker(state: &mut State, kind: PickerKind) {
    let picker = match kind {
        PickerKind::Namespace => {
            let mut p = Picker::new(
                kind,
                namespace_items(&state.namespaces),
                state.target.namespace.as_deref(),
            );
            p.loading = state.namespaces.is_empty();
            p
        }
        PickerKind::Context => {
            let items = state
                .contexts
                .iter()
                .map(|c| PickerItem {
                    value: Some(c.name.clone()),
                    label: c.name.clone(),
                    detail: match &c.namespace {
                        Some(ns) => format!("{} · {ns}", c.cluster),
                        None => c.cluster.clone(),
                    },
                })
                .collect();
            Picker::new(kind, items, Some(state.target.context.as_str()))
        }
        PickerKind::Container => return crate::app::logs::open_container_picker(state),
        PickerKind::RunSource | PickerKind::ForwardPort => return,
    };
    state.picker = Some(picker);
}

/// Shows another namespace (`None` = all), remembering the choice for this context.
pub fn set_namespace(state: &mut State, ns: Option<String>, effects: &mut Vec<Effect>) {
    if state.target.namespace == ns {
        return;
    }
    state.target.namespace = ns.clone();
    state.remembered.insert(state.target.context.clone(), ns);
    effects.push(Effect::SaveChoices(state.remembered.clone()));
    state.dirty = true;
}

/// Switches to another kubeconfig context and the namespace last used there.
pub fn set_context(state: &mut State, ctx: &str, effects: &mut Vec<Effect>) {
    if state.target.context == ctx {
        return;
    }
    let Some(info) = state.contexts.iter().find(|c| c.name == ctx).cloned() else {
        notice(
            state,
            Level::Error,
            format!("no context \"{ctx}\" in the kubeconfig"),
        );
        return;
    };
    state.target.context = info.name.clone();
    state.target.namespace = match state.remembered.get(&info.name) {
        Some(choice) => choice.clone(),
        None => Some(info.namespace.unwrap_or_else(|| "default".into())),
    };
    state.target.server_version = None;
    state.target.conn = ConnState::Connecting;
    state.namespaces = Arc::from(Vec::new());
    state.viewer = None;
    effects.push(Effect::Probe(info.name));
    state.dirty = true;
}

/// Opens a log session, closing the previous one's streams.
pub fn open_logs(state: &mut State, subject: LogSubject, effects: &mut Vec<Effect>) {
    crate::app::logs::open(state, subject, effects);
}

/// `l`: the logs of what is selected — the run (all steps), or in a run's graph the step.
pub fn tail_selection(state: &mut State, effects: &mut Vec<Effect>) {
    match crate::app::logs::selected_subject(state) {
        Some(Ok(subject)) => return open_logs(state, subject, effects),
        Some(Err(why)) => return notice(state, Level::Info, why),
        None => {}
    }
    if state.pane != PaneId::Runs {
        notice(
            state,
            Level::Info,
            "select a run (or a step of a run) to follow its logs".to_string(),
        );
        return;
    }
    if let Some(d) = &state.detail {
        let node = d.graph().and_then(|g| d.view.selected_node(g));
        let subject = match node.and_then(|n| n.logs_pod().map(|p| (p.to_string(), n.display_name.clone()))) {
            Some((pod, label)) => LogSubject::Pod {
                namespace: d.namespace.clone(),
                name: pod,
                container: Some("main".into()),
                label,
            },
            None => LogSubject::run(&d.namespace, &d.name),
        };
        return open_logs(state, subject, effects);
    }
    match state.runs.selected_row() {
        Some(r) if r.origin == crate::kube::resources::workflow::RunOrigin::History => {
            let text = format!(
                "{} is only in KFP's history: its Workflow (and step graph) was deleted after its TTL; y shows KFP's record",
                r.display_name
            );
            notice(state, Level::Info, text);
        }
        Some(r) => {
            let subject = LogSubject::run(&r.namespace, &r.name);
            open_logs(state, subject, effects);
        }
        None => notice(state, Level::Info, "no run selected".to_string()),
    }
}

/// Writes the log lines (the filtered ones while filtering) to a file in the current directory.
pub fn save_logs(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(session) = state.logs.as_ref() else {
        return;
    };
    let filtered = session.view.filter().is_some();
    let mut bytes = Vec::new();
    if let Err(e) = session.view.write_to(&mut bytes, filtered) {
        notice(state, Level::Error, format!("cannot save the logs: {e}"));
        return;
    }
    let subject: String = session
        .subject
        .title()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = format!("kftui-{subject}-{}.log", state.now.format("%Y%m%d-%H%M%S"));
    effects.push(Effect::WriteFile { path, bytes });
}

/// Opens the selected run's step graph; a watch of that run follows from the state.
fn open_detail(state: &mut State) {
    if state.pane != PaneId::Runs {
        return;
    }
    match state.runs.selected_row() {
        Some(r) if r.origin == crate::kube::resources::workflow::RunOrigin::History => {
            let text = format!(
                "{} is only in KFP's history: its Workflow (and step graph) was deleted after its TTL; y shows KFP's record",
                r.display_name
            );
            notice(state, Level::Info, text);
        }
        Some(r) => {
            state.detail = Some(RunDetail::new(
                r.namespace.clone(),
                r.name.clone(),
                r.display_name.clone(),
            ))
        }
        None => notice(state, Level::Info, "no run selected".to_string()),
    }
}

/// YAML or describe of the selected step's pod (of the run itself when the step has none).
pub fn open_node_viewer(state: &mut State, kind: ViewKind, effects: &mut Vec<Effect>) {
    let Some(detail) = state.detail.as_ref() else {
        return;
    };
    let pod = detail
        .graph()
        .and_then(|g| detail.view.selected_node(g))
        .and_then(|n| n.logs_pod().map(str::to_string));
    let (object_kind, name) = match pod {
        Some(pod) => (Kind::Pods, pod),
        None => (Kind::Workflows, detail.name.clone()),
    };
    let namespace = detail.namespace.clone();
    state.request_seq += 1;
    let request = state.request_seq;
    state.viewer = Some(TextView::loading(
        request,
        kind,
        format!("{}/{name}", object_kind.singular()),
    ));
    effects.push(Effect::Fetch {
        request,
        context: state.target.context.clone(),
        kind: object_kind,
        namespace,
        name,
        view: kind,
    });
}

/// Opens the YAML or describe view of the selected object and asks for it.
pub fn open_viewer(state: &mut State, kind: ViewKind, effects: &mut Vec<Effect>) {
    let Some(target) = state.list(state.pane).and_then(|l| l.selected()) else {
        notice(state, Level::Info, "nothing selected".to_string());
        return;
    };
    state.request_seq += 1;
    let request = state.request_seq;
    let title = format!("{}/{}", target.kind.singular(), target.name);
    state.viewer = Some(TextView::loading(request, kind, title));
    effects.push(Effect::Fetch {
        request,
        context: state.target.context.clone(),
        kind: target.kind,
        namespace: target.namespace,
        name: target.name,
        view: kind,
    });
}

/// Where `x` opens a shell: the pods of the selected notebook, model, run or training job.
pub fn shell_request(state: &State) -> Option<crate::kube::shell::ShellRequest> {
    use crate::app::logs::LogSubject;
    let subject = match state.pane {
        PaneId::Notebooks | PaneId::Models | PaneId::Cluster => {
            crate::app::logs::selected_subject(state)?.ok()?
        }
        PaneId::Runs => {
            let r = state.runs.selected_row()?;
            LogSubject::run(&r.namespace, &r.name)
        }
        PaneId::Training => {
            let r = state.training.selected_row()?;
            crate::app::training::log_subject(r.kind, &r.namespace, &r.name)
        }
        _ => return None,
    };
    Some(match subject {
        LogSubject::Pods(set) => crate::kube::shell::ShellRequest {
            what: format!("{}/{}", set.kind, set.name),
            namespace: set.namespace,
            selector: Some(set.selector),
            pod: None,
            container: set.container,
        },
        LogSubject::Pod {
            namespace,
            name,
            container,
            ..
        } => crate::kube::shell::ShellRequest {
            what: format!("pod/{name}"),
            namespace,
            selector: None,
            pod: Some(name),
            container,
        },
    })
}

/// Whether `e` can edit objects of a kind: Kubernetes objects, not KFP's records.
pub fn editable(kind: Kind) -> bool {
    !matches!(kind, Kind::Pipelines | Kind::KfpRuns)
}

/// A kind as kubectl names it in `kind/name`.
fn kind_word(kind: Kind) -> String {
    crate::kube::fetch::api_resource(kind).kind.to_lowercase()
}

pub fn notice(state: &mut State, level: Level, text: String) {
    state.notice = Some(Notice { level, text });
    state.dirty = true;
}

fn on_data(state: &mut State, event: DataEvent, effects: &mut Vec<Effect>) {
    match event {
        DataEvent::Table { key, columns, rows } => crate::app::cluster::on_table(state, &key, columns, rows),
        DataEvent::PodUsage { key, usage } => crate::app::cluster::on_usage(state, &key, usage),
        DataEvent::Pods { key, rows } => {
            if state.subs.contains(&key) {
                crate::app::logs::on_pods(state, &rows, effects);
            }
        }
        DataEvent::Runs { key, rows } => {
            if !state.subs.contains(&key) {
                return; // a late event from a watch that was cancelled
            }
            state.workflow_rows = rows;
            let merged = crate::app::run_actions::merged_runs(&state.workflow_rows, &state.kfp_runs);
            state.runs.set_rows(merged, state.list_height, state.now);
            crate::app::run_actions::select_created(state);
            state.dirty = true;
        }
        DataEvent::Pipelines {
            key,
            rows,
            recurring,
            notes,
        } => {
            if !state.subs.contains(&key) {
                return;
            }
            for n in notes {
                tracing::info!("pipelines: {n}");
            }
            state.pipelines.set_rows(rows, state.list_height, state.now);
            state.recurring.set_rows(recurring, state.list_height, state.now);
            state.dirty = true;
        }
        DataEvent::KfpRuns { key, rows } => {
            if !state.subs.contains(&key) {
                return;
            }
            let before = state.kfp_runs.len();
            state.kfp_runs = rows;
            if before > 0 || !state.kfp_runs.is_empty() {
                let merged = crate::app::run_actions::merged_runs(&state.workflow_rows, &state.kfp_runs);
                state.runs.set_rows(merged, state.list_height, state.now);
                state.dirty = true;
            }
        }
        DataEvent::Notebooks { key, rows } => {
            if !state.subs.contains(&key) {
                return;
            }
            state.notebooks.set_rows(rows, state.list_height, state.now);
            crate::app::notebook_form::select_created(state);
            state.dirty = true;
        }
        DataEvent::Models { key, rows } => {
            if !state.subs.contains(&key) {
                return;
            }
            state.models.set_rows(rows, state.list_height, state.now);
            state.dirty = true;
        }
        DataEvent::Training { key, rows } => crate::app::training::on_rows(state, key, rows),
        DataEvent::TrainingRuntimes { key, rows } => crate::app::training::on_runtimes(state, key, rows),
        DataEvent::Experiments { key, rows } => {
            if !state.subs.contains(&key) {
                return;
            }
            state.experiments.set_rows(rows, state.list_height, state.now);
            state.dirty = true;
        }
        DataEvent::Trials { key, rows } => crate::app::experiments::on_trials(state, key, rows),
        DataEvent::Namespaces { key, rows } => {
            if !state.subs.contains(&key) {
                return;
            }
            state.namespaces = rows;
            if let Some(p) = state.picker.as_mut().filter(|p| p.kind == PickerKind::Namespace) {
                p.set_items(namespace_items(&state.namespaces));
                p.note = None;
            }
            state.dirty = true;
        }
        DataEvent::RunGraph { key, graph } => {
            if !state.subs.contains(&key) {
                return;
            }
            let area = layout::run_graph_area(state.width, state.height);
            if let Some(d) = state.detail.as_mut() {
                d.set_graph(graph, area);
            }
            state.dirty = true;
        }
        DataEvent::Metrics { key, result } => crate::app::monitor::on_metrics(state, key, result),
        DataEvent::Status { key, status } => {
            if !state.subs.contains(&key) {
                return;
            }
            state.dirty = true;
            if crate::app::experiments::on_status(state, &key, &status) {
                return;
            }
            if key.kind == Kind::RunGraph {
                if let (Some(d), SubStatus::Failed { message } | SubStatus::Forbidden { message }) =
                    (state.detail.as_mut(), &status)
                {
                    d.graph = Some(Err(message.clone()));
                }
                return;
            }
            if key.kind == Kind::Namespaces {
                if let Some(p) = state.picker.as_mut() {
                    p.loading = false;
                    p.note = match status {
                        SubStatus::Live | SubStatus::Listing => None,
                        SubStatus::Forbidden { .. } => Some(
                            "not allowed to list namespaces: type a namespace name and press enter".into(),
                        ),
                        SubStatus::Retrying { error, .. } => Some(format!("retrying: {error}")),
                        SubStatus::NotInstalled => Some("namespaces cannot be listed here".into()),
                        SubStatus::Failed { message } => Some(message),
                    };
                }
                return;
            }
            let loading = state
                .list_for_kind_mut(key.kind)
                .is_some_and(|l| *l.source() == SourceState::Loading);
            let source = match status {
                SubStatus::Live => {
                    if state.target.conn != ConnState::Connected {
                        state.target.conn = ConnState::Connected;
                    }
                    if loading {
                        SourceState::Loading
                    } else {
                        SourceState::Live
                    }
                }
                SubStatus::Listing => SourceState::Listing,
                SubStatus::Retrying { attempt, error } => {
                    state.target.conn = ConnState::Reconnecting {
                        attempt,
                        last_error: error.clone(),
                    };
                    SourceState::Stale { error }
                }
                SubStatus::NotInstalled => SourceState::NotInstalled {
                    what: key.kind.product().to_string(),
                },
                SubStatus::Forbidden { message } => SourceState::Forbidden { message },
                SubStatus::Failed { message } => SourceState::Failed { message },
            };
            let source = crate::app::training::combine_source(state, &key, source);
            if let Some(list) = state.list_for_kind_mut(key.kind) {
                list.set_source(source);
            }
        }
    }
}

fn on_conn(state: &mut State, event: ConnEvent, effects: &mut Vec<Effect>) {
    let context = match &event {
        ConnEvent::Connected { context, .. } | ConnEvent::Failed { context, .. } => context,
    };
    if *context != state.target.context {
        return; // about a context the user has left
    }
    state.dirty = true;
    match event {
        ConnEvent::Connected { version, .. } => {
            state.target.server_version = Some(version);
            state.target.conn = ConnState::Connected;
            crate::app::cluster::discover(state, effects);
        }
        ConnEvent::Failed { error, .. } => {
            state.target.conn = ConnState::Offline { error: error.clone() };
            if state.runs.rows.is_empty() {
                state.runs.source = SourceState::Failed {
                    message: format!("no cluster reachable: {error}"),
                };
            }
            notice(
                state,
                Level::Error,
                "No cluster reachable. Check your kubeconfig, or try `kftui --demo` for the built-in demo cluster.".to_string(),
            );
        }
    }
}

/// Emits Subscribe/Unsubscribe so the running watches match what the state wants.
fn sync_subscriptions(state: &mut State, effects: &mut Vec<Effect>) {
    let wanted = subs::wanted(state);
    if wanted == state.subs {
        return;
    }
    for gone in state.subs.difference(&wanted) {
        effects.push(Effect::Unsubscribe(gone.clone()));
    }
    for new in wanted.difference(&state.subs) {
        effects.push(Effect::Subscribe(new.clone()));
    }
    // A list whose watch changed (another namespace, context or selector) must not keep the
    // old rows, not even for a frame.
    for gone in state.subs.difference(&wanted).cloned().collect::<Vec<_>>() {
        if let Some(list) = state.list_for_kind_mut(gone.kind) {
            list.reset();
        }
    }
    state.subs = wanted;
}

fn move_selection(state: &mut State, delta: isize) {
    let height = state.list_height;
    if let Some(list) = state.list_mut(state.pane) {
        list.move_by(delta, height);
    }
}

/// Whether a clock tick changes anything on screen: a live duration, or an age that is still
/// counting seconds, or a minute boundary for older ages.
fn tick_changes_screen(state: &State, before: chrono::DateTime<chrono::Utc>) -> bool {
    // Ages and start times read in minutes: a new minute redraws whatever may show one. An
    // empty list (offline, nothing listed) shows none, so an idle screen stays silent.
    let new_minute = state.now.minute() != before.minute() || state.now.hour() != before.hour();
    let empty_list = state.list(state.pane).is_some_and(|l| l.total_len() == 0)
        && state.detail.is_none()
        && state.viewer.is_none();
    if new_minute && !empty_list {
        return true;
    }
    let detail_live = state.pane == PaneId::Runs
        && state.detail.as_ref().and_then(|d| d.graph()).is_some_and(|g| {
            matches!(
                g.phase,
                crate::runs::model::Phase::Running | crate::runs::model::Phase::Pending
            )
        });
    detail_live
        || state
            .list(state.pane)
            .is_some_and(|l| l.live_on_screen(state.now, state.list_height))
}

/// `:` commands, run through the view stack.
pub use crate::app::views::run_command;
