//! Keys and `:` commands, routed through the view stack to the view that takes them.

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::filter::Filter;
use crate::app::models;
use crate::app::pane::PaneId;
use crate::app::state::{Level, LineInput, Mode, State};
use crate::app::update::{self, notice};
use crate::app::views::{Route, ViewId, route, stack};
use crate::config::keymap::{Key, Keymap};
use crate::kube::kubeflow_ops::{ModelVerb, Verb};

/// A key: routed through the view stack, top first.
pub fn on_key(state: &mut State, keymap: &Keymap, key: Key, effects: &mut Vec<Effect>) {
    state.dirty = true;
    let views = stack(state);
    state.pending.push(key);
    let keys = state.pending.clone();
    match route(state, keymap, &views, &keys) {
        Route::Pending => {}
        Route::Action { depth, action } => {
            state.pending.clear();
            take(state, &views, depth, action, None, effects);
        }
        Route::Typing { depth } => {
            state.pending.clear();
            if keys.len() > 1 {
                // A sequence broken off: the last key starts again on its own.
                return on_key(state, keymap, key, effects);
            }
            typing(state, views[depth], &key, effects);
        }
        Route::Nothing => {
            state.pending.clear();
            if keys.len() > 1 {
                return on_key(state, keymap, key, effects);
            }
            unavailable(state, keymap, &views, &keys);
        }
    }
}

/// A key bound to an action that no view can do now gets a word instead of silence.
fn unavailable(state: &mut State, keymap: &Keymap, views: &[ViewId], keys: &[Key]) {
    for view in crate::app::views::reachable(views).into_iter().map(|d| &views[d]) {
        if let crate::config::keymap::KeymapResult::Matched(action) =
            keymap.resolve_in(&view.scopes(state.pane), keys)
            && view.decls().iter().any(|d| d.action == action)
        {
            if state.list(state.pane).is_some_and(|l| l.selected().is_none()) {
                notice(
                    state,
                    Level::Info,
                    format!("{}: nothing is selected", action.name()),
                );
            }
            return;
        }
    }
}

/// The view at `depth` takes `action`: views above it that cover the pane close first (so what
/// the action does is seen), read-only refuses what changes the cluster.
fn take(
    state: &mut State,
    views: &[ViewId],
    depth: usize,
    action: Action,
    arg: Option<&str>,
    effects: &mut Vec<Effect>,
) {
    if state.readonly && action.is_mutating() {
        return notice(
            state,
            Level::Warn,
            format!("read-only: {} is disabled", action.name()),
        );
    }
    if !matches!(
        action,
        Action::Help | Action::Command | Action::Redraw | Action::SuspendApp | Action::Quit
    ) {
        for view in &views[depth + 1..] {
            if view.covers() {
                close(state, *view);
            }
        }
    }
    apply_in(state, views[depth], action, arg, effects);
}

fn close(state: &mut State, view: ViewId) {
    match view {
        ViewId::Viewer => state.viewer = None,
        ViewId::Compare => state.compare = None,
        ViewId::Connections => state.connections.open = false,
        _ => {}
    }
}

/// Performs an action in a view (what a key or a `:` command asked for), with the command's
/// argument if it has one.
pub fn apply_in(
    state: &mut State,
    view: ViewId,
    action: Action,
    arg: Option<&str>,
    effects: &mut Vec<Effect>,
) {
    state.dirty = true;
    if let Some(arg) = arg {
        return with_arg(state, action, arg, effects);
    }
    match view {
        ViewId::Global | ViewId::List(_) | ViewId::Recurring => update::apply(state, action, effects),
        ViewId::Logs => crate::app::logs::view_action(state, action, effects),
        ViewId::RunDetail => crate::app::detail::view_action(state, action, effects),
        ViewId::PipelineDetail => crate::app::pipelines::detail_action(state, action, effects),
        ViewId::ModelDetail => models::detail_action(state, action, effects),
        ViewId::TrainingDetail => crate::app::training::detail_action(state, action, effects),
        ViewId::ExperimentDetail => crate::app::experiments::detail_action(state, action, effects),
        ViewId::ModelTest | ViewId::TestHistory => match action {
            Action::Quit => state.running = false,
            _ => models::test_action(state, action, effects),
        },
        ViewId::LogSearch => {
            if let Some(view) = state.logs.as_mut().map(|s| &mut s.view) {
                match action {
                    Action::Accept => view.search_commit(),
                    Action::Cancel => view.search_cancel(),
                    Action::Quit => state.running = false,
                    _ => {}
                }
            }
        }
        ViewId::Viewer => crate::app::viewer::view_action(state, action, effects),
        ViewId::ViewerSearch => {
            let height = state.list_height + 1;
            if let Some(v) = state.viewer.as_mut() {
                match action {
                    Action::Accept => v.searching = false,
                    Action::Cancel => {
                        v.searching = false;
                        v.search.clear();
                        v.research(height);
                    }
                    Action::Quit => state.running = false,
                    _ => {}
                }
            }
        }
        ViewId::Compare => crate::app::run_actions::compare_action(state, action),
        ViewId::Connections => crate::app::connections::list_action(state, action, effects),
        ViewId::RunForm | ViewId::YamlEditor => match action {
            Action::Quit => state.running = false,
            _ => crate::app::run_actions::form_action(state, action, effects),
        },
        ViewId::NotebookForm => match action {
            Action::Quit => state.running = false,
            _ => crate::app::notebook_form::form_action(state, action, effects),
        },
        ViewId::Picker => crate::app::picker::picker_action(state, action, effects),
        ViewId::Confirm => match action {
            Action::Accept => update::confirm(state, true, effects),
            Action::Quit => state.running = false,
            _ => update::confirm(state, false, effects),
        },
        ViewId::Help => help_action(state, action),
        ViewId::Command => command_action(state, action, effects),
        ViewId::Filter => filter_action(state, action, effects),
    }
}

/// A key a modal view takes as typing.
fn typing(state: &mut State, view: ViewId, key: &Key, effects: &mut Vec<Effect>) {
    let name = key.to_string();
    match view {
        ViewId::ModelTest => models::test_typing(state, key),
        ViewId::RunForm | ViewId::YamlEditor => {
            if let Some(form) = state.form.as_mut() {
                form.on_typing(key);
            }
        }
        ViewId::NotebookForm => {
            if let Some(form) = state.notebook_form.as_mut() {
                form.on_typing(key);
            }
        }
        ViewId::LogSearch => {
            if let Some(view) = state.logs.as_mut().map(|s| &mut s.view) {
                let mut typed = LineInput::default();
                if name == "backspace" {
                    view.search_backspace();
                } else if edit_line(&mut typed, &name) {
                    typed.text.chars().for_each(|c| view.search_input(c));
                }
            }
        }
        ViewId::ViewerSearch => {
            let height = state.list_height + 1;
            if let Some(v) = state.viewer.as_mut()
                && edit_line(&mut v.search, &name)
            {
                v.research(height);
            }
        }
        ViewId::Picker => {
            if let Some(p) = state.picker.as_mut()
                && edit_line(&mut p.filter, &name)
            {
                p.refilter();
            }
        }
        ViewId::Command => {
            if name == "backspace" && state.command.text.is_empty() {
                state.mode = Mode::Normal;
            } else {
                edit_line(&mut state.command, &name);
            }
        }
        ViewId::Filter => {
            let now = state.now;
            if let Some(list) = state.list_mut(state.pane)
                && edit_line(list.filter_input(), &name)
            {
                list.refilter(now);
            }
        }
        // Any other key answers "no".
        ViewId::Confirm => update::confirm(state, false, effects),
        _ => {}
    }
}

/// Applies a line-editing key to an input; returns whether the text changed.
pub fn edit_line(input: &mut LineInput, name: &str) -> bool {
    let before = input.text.len();
    match name {
        "backspace" => input.backspace(),
        "delete" => input.delete(),
        "left" => input.left(),
        "right" => input.right(),
        "home" | "ctrl-a" => input.home(),
        "end" | "ctrl-e" => input.end(),
        "ctrl-w" => input.delete_word(),
        "ctrl-u" => input.clear(),
        "space" => input.insert(' '),
        other => {
            let mut chars = other.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() => input.insert(c),
                _ => return false,
            }
        }
    }
    input.text.len() != before || matches!(name, "ctrl-u" | "ctrl-w")
}

fn help_action(state: &mut State, action: Action) {
    let page = state.list_height.max(1);
    match action {
        Action::Down => state.help_scroll += 1,
        Action::Up => state.help_scroll = state.help_scroll.saturating_sub(1),
        Action::PageDown => state.help_scroll += page,
        Action::PageUp => state.help_scroll = state.help_scroll.saturating_sub(page),
        Action::Top => state.help_scroll = 0,
        Action::Bottom => state.help_scroll = crate::app::training::BOTTOM,
        Action::Quit => state.running = false,
        _ => state.mode = Mode::Normal,
    }
}

fn command_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    match action {
        Action::Cancel => {
            state.mode = Mode::Normal;
            state.command.clear();
            state.notice = None;
        }
        Action::Accept => {
            state.mode = Mode::Normal;
            let line = std::mem::take(&mut state.command.text);
            state.command.clear();
            run_command(state, &line, effects);
        }
        Action::Complete => complete_command(state),
        Action::Quit => state.running = false,
        _ => {}
    }
}

fn filter_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    let now = state.now;
    match action {
        Action::Cancel => {
            state.mode = Mode::Normal;
            if let Some(list) = state.list_mut(state.pane) {
                list.filter_input().clear();
                list.set_selector(None);
                list.refilter(now);
            }
        }
        Action::Accept => {
            state.mode = Mode::Normal;
            // A label selector goes to the API server, so a huge namespace is filtered at the source.
            if let Some(list) = state.list_mut(state.pane) {
                let selector = Filter::parse(list.filter_text())
                    .ok()
                    .and_then(|f| f.server_selector().map(str::to_string));
                list.set_selector(selector);
            }
        }
        Action::Quit => state.running = false,
        other => update::apply(state, other, effects),
    }
}

/// Runs a `:` command line: an action's name (with aliases vim users type) and its argument,
/// taken by the topmost view under the command line that takes the action.
pub fn run_command(state: &mut State, line: &str, effects: &mut Vec<Effect>) {
    let line = line.trim();
    let (word, rest) = match line.split_once(char::is_whitespace) {
        Some((w, r)) => (w, Some(r.trim()).filter(|r| !r.is_empty())),
        None => (line, None),
    };
    if word.is_empty() {
        return;
    }
    // `:copy yaml`, `:copy name`: what to copy.
    let (word, rest) = match (word, rest) {
        ("copy", Some("yaml")) => ("copy-yaml", None),
        ("copy", Some("name")) => ("copy-name", None),
        other => other,
    };
    let action = match word {
        "q" | "q!" | "qa" | "quit!" | "exit" => Some(Action::Quit),
        "h" => Some(Action::Help),
        "namespace" => Some(Action::Namespace),
        "context" => Some(Action::Context),
        // k9s' `:pf`: the connections list, or `:pf PORT` a port of the selection.
        "pf" if rest.is_none() => Some(Action::Connections),
        "pf" => Some(Action::PortForward),
        // `:tail N` is the log's number of lines; `:tail` alone follows the selection's logs.
        "tail" if rest.is_some() => Some(Action::TailLines),
        // `new` is the pane's own: a notebook in Notebooks, a run in Runs and Pipelines.
        "new" => match state.pane {
            PaneId::Notebooks => Some(Action::NewNotebook),
            PaneId::Runs | PaneId::Pipelines => Some(Action::NewRun),
            _ => {
                return notice(
                    state,
                    Level::Info,
                    "new makes a notebook (Notebooks pane) or a run (Runs and Pipelines panes)".to_string(),
                );
            }
        },
        other => Action::from_name(other),
    };
    let Some(action) = action else {
        // `:pods`, `:pvc`, `:res KIND`: a kind the cluster serves.
        if crate::app::cluster::command(state, word, rest) {
            return;
        }
        return notice(
            state,
            Level::Error,
            format!("unknown command \"{word}\": :help lists every command"),
        );
    };
    if action == Action::Command {
        return notice(state, Level::Info, "already at the command line".to_string());
    }
    // The command line has closed by now: the stack is what it was typed over.
    let views = stack(state);
    // Commands that take an argument where a key does not: the pane's own list takes them too.
    let reach = crate::app::views::reachable(&views);
    match reach
        .into_iter()
        .find(|d| views[*d].takes(state, action) || takes_arg(action, rest))
    {
        Some(depth) => take(state, &views, depth, action, rest, effects),
        None => notice(
            state,
            Level::Info,
            format!("{}: not here (? lists what works here)", action.name()),
        ),
    }
}

/// Whether a command with this argument acts wherever it is typed (`:ns NAME`, `:logs pod/X`).
fn takes_arg(action: Action, arg: Option<&str>) -> bool {
    arg.is_some()
        && matches!(
            action,
            Action::Namespace | Action::Context | Action::Logs | Action::Mark | Action::Sort
        )
}

/// A command's argument: `:ns NAME`, `:upload PATH [NAME]`, `:canary 20`, `:sort COLUMN desc`…
fn with_arg(state: &mut State, action: Action, arg: &str, effects: &mut Vec<Effect>) {
    let mut words = arg.split_whitespace();
    let first = words.next().unwrap_or("");
    let second = words.next();
    match action {
        Action::Namespace if matches!(first, "all" | "-A" | "*") => {
            update::set_namespace(state, None, effects)
        }
        Action::Namespace => update::set_namespace(state, Some(first.to_string()), effects),
        Action::Context => update::set_context(state, first, effects),
        Action::Logs => crate::app::logs::logs_command(state, first, second, effects),
        Action::Upload | Action::UploadVersion => {
            crate::app::pipelines::upload(state, first, second, action == Action::UploadVersion, effects)
        }
        Action::Container => crate::app::logs::container_command(state, first, effects),
        Action::Connect => crate::app::connections::connect_command(state, first, effects),
        Action::PortForward => crate::app::connections::port_forward_command(state, first, effects),
        Action::Since => crate::app::logs::since_command(state, first, effects),
        Action::TailLines => crate::app::logs::tail_command(state, first, effects),
        Action::Mark => update::mark_matching(state, arg),
        Action::Canary => match first.trim_end_matches('%').parse::<u8>() {
            Ok(p) if p <= 100 => update::request_verb(state, Verb::Model(ModelVerb::Canary(p))),
            _ => notice(
                state,
                Level::Error,
                format!("canary takes a percent from 0 to 100, not {first:?}"),
            ),
        },
        Action::Sort => update::sort_command(state, first, second),
        other => notice(
            state,
            Level::Error,
            format!("{} takes no argument (got \"{arg}\")", other.name()),
        ),
    }
}

/// Completes the command line to the longest common prefix of the commands that work here.
fn complete_command(state: &mut State) {
    let typed = state.command.text.trim().to_string();
    // The kinds the cluster serves complete too, once something is typed (there are many).
    let kinds = if typed.is_empty() {
        Vec::new()
    } else {
        crate::app::cluster::completions(state)
    };
    let mut matches: Vec<String> = crate::app::views::completions(state)
        .into_iter()
        .map(str::to_string)
        .chain(kinds)
        .filter(|n| n.starts_with(&typed))
        .collect();
    matches.sort();
    matches.dedup();
    let Some(first) = matches.first() else {
        return;
    };
    let mut prefix = first.to_string();
    for m in &matches[1..] {
        let common = prefix.chars().zip(m.chars()).take_while(|(a, b)| a == b).count();
        prefix = prefix.chars().take(common).collect();
    }
    if matches.len() > 1 {
        notice(state, Level::Info, matches.join("  "));
    }
    state.command.clear();
    state.command.insert_str(&prefix);
}
