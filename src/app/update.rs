//! `update(&mut State, &Keymap, Msg) -> Vec<Effect>`: every change to the State happens here.
//! It does no IO and reads no clock, so a test can drive it with a script of messages.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::Timelike;

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::filter::Filter;
use crate::app::msg::{ConnEvent, DataEvent, Msg, SubStatus};
use crate::app::pane::PaneId;
use crate::app::picker::{Picker, PickerItem, PickerKind};
use crate::app::sort::{RUN_COLUMNS, column_index, compare_runs};
use crate::app::state::{ConnState, Level, ListView, Mode, Notice, Sort, SourceState, State};
use crate::app::subs::{self, Kind, SubKey};
use crate::app::viewer::{TextView, ViewBody, ViewKind};
use crate::config::keymap::{Key, Keymap, KeymapResult};
use crate::kube::resources::namespace::{NamespaceRow, picker_order};
use crate::kube::resources::workflow::RunRow;
use crate::ui::layout;

/// Applies one message to the state and returns the effects to perform.
pub fn update(state: &mut State, keymap: &Keymap, msg: Msg) -> Vec<Effect> {
    let mut effects = Vec::new();
    match msg {
        Msg::Key(key) => {
            state.dirty = true;
            on_key(state, keymap, key, &mut effects);
        }
        Msg::Paste(text) => {
            state.dirty = true;
            match state.mode {
                Mode::Filter => {
                    state.runs.filter.insert_str(&text);
                    refilter(state);
                }
                Mode::Command => state.command.insert_str(&text),
                Mode::Normal | Mode::Help => {}
            }
        }
        Msg::Resize { width, height } => {
            state.width = width;
            state.height = height;
            state.list_height = layout::list_height(width, height);
            clamp_offset(&mut state.runs, state.list_height);
            state.dirty = true;
        }
        Msg::Tick(now) => {
            let before = state.now;
            state.now = now;
            if tick_changes_screen(state, before) {
                state.dirty = true;
            }
        }
        Msg::Data(event) => on_data(state, event),
        Msg::Conn(event) => on_conn(state, event),
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
        Msg::Terminate => state.running = false,
    }
    sync_subscriptions(state, &mut effects);
    effects
}

fn on_key(state: &mut State, keymap: &Keymap, key: Key, effects: &mut Vec<Effect>) {
    let name = key.to_string();
    if name == "ctrl-c" {
        state.running = false;
        return;
    }
    if state.picker.is_some() {
        on_picker_key(state, &name, effects);
        return;
    }
    if state.viewer.is_some() && state.mode == Mode::Normal {
        on_viewer_key(state, keymap, key, &name, effects);
        return;
    }
    match state.mode {
        Mode::Filter => on_filter_key(state, keymap, &key, &name),
        Mode::Command => on_command_key(state, &name, effects),
        Mode::Help => on_help_key(state, keymap, key),
        Mode::Normal => {
            state.pending.push(key);
            match keymap.resolve(state.pane, &state.pending) {
                KeymapResult::Matched(action) => {
                    state.pending.clear();
                    apply(state, action, effects);
                }
                KeymapResult::Pending => {}
                KeymapResult::NoMatch => {
                    let retry_last = state.pending.len() > 1;
                    let last = state.pending.pop();
                    state.pending.clear();
                    if let (true, Some(last)) = (retry_last, last) {
                        on_key(state, keymap, last, effects);
                    }
                }
            }
        }
    }
}

/// Performs an action, whether it came from a key or the command line.
pub fn apply(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    state.dirty = true;
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
        }
        Action::Filter => {
            if state.pane == PaneId::Runs {
                state.mode = Mode::Filter;
                state.runs.filter.end();
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
            if !state.runs.filter.text.is_empty() && state.pane == PaneId::Runs {
                state.runs.filter.clear();
                state.runs_selector = None;
                refilter(state);
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
            let n = RUN_COLUMNS.len();
            let step = if action == Action::SortNext { 1 } else { n - 1 };
            sort_runs(state, (state.runs.sort.column + step) % n, Some(false));
        }
        Action::Namespace => open_picker(state, PickerKind::Namespace),
        Action::Context => open_picker(state, PickerKind::Context),
        Action::Yaml => open_viewer(state, ViewKind::Yaml, effects),
        Action::Describe => open_viewer(state, ViewKind::Describe, effects),
        Action::NextMatch | Action::PrevMatch => {}
        Action::Redraw => effects.push(Effect::FullRedraw),
        Action::Suspend => effects.push(Effect::Suspend),
        Action::Pipelines
        | Action::Runs
        | Action::Logs
        | Action::Notebooks
        | Action::Models
        | Action::Training
        | Action::Experiments => {}
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
    };
    state.picker = Some(picker);
}

fn on_picker_key(state: &mut State, name: &str, effects: &mut Vec<Effect>) {
    let Some(picker) = state.picker.as_mut() else {
        return;
    };
    let page = state.list_height.max(1) as isize;
    match name {
        "esc" => state.picker = None,
        "enter" => {
            let kind = picker.kind;
            let choice = picker.choice();
            state.picker = None;
            match (kind, choice) {
                (PickerKind::Namespace, Some(ns)) => set_namespace(state, ns, effects),
                (PickerKind::Context, Some(Some(ctx))) => set_context(state, &ctx, effects),
                _ => {}
            }
        }
        "up" => picker.move_by(-1),
        "down" => picker.move_by(1),
        "pageup" => picker.move_by(-page),
        "pagedown" => picker.move_by(page),
        _ => {
            if edit_line(&mut picker.filter, name) {
                picker.refilter();
            }
        }
    }
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

/// Opens the YAML or describe view of the selected object and asks for it.
fn open_viewer(state: &mut State, kind: ViewKind, effects: &mut Vec<Effect>) {
    let Some(row) = (state.pane == PaneId::Runs)
        .then(|| state.runs.selected_row())
        .flatten()
    else {
        notice(state, Level::Info, "nothing selected".to_string());
        return;
    };
    state.request_seq += 1;
    let request = state.request_seq;
    let (namespace, name) = (row.namespace.clone(), row.name.clone());
    state.viewer = Some(TextView::loading(request, kind, format!("workflow/{name}")));
    effects.push(Effect::Fetch {
        request,
        context: state.target.context.clone(),
        kind: Kind::Workflows,
        namespace,
        name,
        view: kind,
    });
}

/// Keys while the YAML/describe view is open: scrolling, search, switching view, closing.
fn on_viewer_key(state: &mut State, keymap: &Keymap, key: Key, name: &str, effects: &mut Vec<Effect>) {
    let height = state.list_height + 1;
    let Some(view) = state.viewer.as_mut() else {
        return;
    };
    if view.searching {
        match name {
            "esc" => {
                view.searching = false;
                view.search.clear();
                view.research(height);
            }
            "enter" => view.searching = false,
            _ => {
                if edit_line(&mut view.search, name) {
                    view.research(height);
                }
            }
        }
        return;
    }
    let action = match keymap.resolve(state.pane, &[key]) {
        KeymapResult::Matched(a) => a,
        _ => return,
    };
    match action {
        Action::Up => view.scroll_by(-1, height),
        Action::Down => view.scroll_by(1, height),
        Action::PageUp => view.scroll_by(-(height as isize), height),
        Action::PageDown => view.scroll_by(height as isize, height),
        Action::Top => view.scroll_by(isize::MIN / 2, height),
        Action::Bottom => view.scroll_by(isize::MAX / 2, height),
        Action::Filter => {
            view.searching = true;
            view.search.clear();
        }
        Action::NextMatch => view.next_match(true, height),
        Action::PrevMatch => view.next_match(false, height),
        Action::Cancel | Action::Quit => state.viewer = None,
        Action::Yaml | Action::Describe => {
            let kind = if action == Action::Yaml {
                ViewKind::Yaml
            } else {
                ViewKind::Describe
            };
            if view.kind != kind {
                state.viewer = None;
                open_viewer(state, kind, effects);
            }
        }
        other => {
            // Anything else (pane switch, help, command line…) leaves the view first.
            state.viewer = None;
            apply(state, other, effects);
        }
    }
}

fn on_filter_key(state: &mut State, keymap: &Keymap, key: &Key, name: &str) {
    match name {
        "esc" => {
            state.runs.filter.clear();
            state.mode = Mode::Normal;
            state.runs_selector = None;
            refilter(state);
        }
        "enter" => {
            state.mode = Mode::Normal;
            // A label selector goes to the API server, so a huge namespace is filtered at the source.
            state.runs_selector = Filter::parse(&state.runs.filter.text)
                .ok()
                .and_then(|f| f.server_selector().map(str::to_string));
        }
        "up" | "down" | "pageup" | "pagedown" => {
            if let KeymapResult::Matched(action) = keymap.resolve(state.pane, std::slice::from_ref(key)) {
                let mut ignored = Vec::new();
                apply(state, action, &mut ignored);
            }
        }
        _ => {
            if edit_line(&mut state.runs.filter, name) {
                refilter(state);
            }
        }
    }
}

fn on_command_key(state: &mut State, name: &str, effects: &mut Vec<Effect>) {
    match name {
        "esc" => {
            state.mode = Mode::Normal;
            state.command.clear();
        }
        "enter" => {
            state.mode = Mode::Normal;
            let line = std::mem::take(&mut state.command.text);
            state.command.clear();
            run_command(state, &line, effects);
        }
        "tab" => complete_command(state),
        _ => {
            if name == "backspace" && state.command.text.is_empty() {
                state.mode = Mode::Normal;
            } else {
                edit_line(&mut state.command, name);
            }
        }
    }
}

fn on_help_key(state: &mut State, keymap: &Keymap, key: Key) {
    match keymap.resolve(state.pane, &[key]) {
        KeymapResult::Matched(Action::Down) => state.help_scroll += 1,
        KeymapResult::Matched(Action::Up) => state.help_scroll = state.help_scroll.saturating_sub(1),
        KeymapResult::Matched(Action::PageDown) => state.help_scroll += state.list_height.max(1),
        KeymapResult::Matched(Action::PageUp) => {
            state.help_scroll = state.help_scroll.saturating_sub(state.list_height.max(1))
        }
        KeymapResult::Matched(Action::Top) => state.help_scroll = 0,
        KeymapResult::Matched(Action::Help | Action::Cancel | Action::Quit) => state.mode = Mode::Normal,
        _ => {}
    }
}

/// Applies a line-editing key to an input; returns whether the text changed.
fn edit_line(input: &mut crate::app::state::LineInput, name: &str) -> bool {
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

/// Runs a `:` command line: an action's name, with aliases vim users type.
pub fn run_command(state: &mut State, line: &str, effects: &mut Vec<Effect>) {
    let line = line.trim();
    let mut words = line.split_whitespace();
    let word = words.next().unwrap_or("");
    let arg = words.next();
    if word.is_empty() {
        return;
    }
    match (word, arg) {
        ("ns" | "namespace", Some("all" | "-A" | "*")) => return set_namespace(state, None, effects),
        ("ns" | "namespace", Some(ns)) => return set_namespace(state, Some(ns.to_string()), effects),
        ("ctx" | "context", Some(ctx)) => return set_context(state, ctx, effects),
        ("sort", Some(col)) => {
            let descending = match words.next() {
                Some("desc" | "d" | "-") => Some(true),
                Some("asc" | "a" | "+") => Some(false),
                _ => None,
            };
            match column_index(RUN_COLUMNS, col) {
                Some(c) => sort_runs(state, c, descending),
                None => notice(
                    state,
                    Level::Error,
                    format!("no column \"{col}\": sort by {}", RUN_COLUMNS.join(", ")),
                ),
            }
            return;
        }
        _ => {}
    }
    let action = match word {
        "q" | "q!" | "qa" | "quit!" | "exit" => Some(Action::Quit),
        "h" => Some(Action::Help),
        other => Action::from_name(other),
    };
    match action {
        Some(Action::Command) => notice(state, Level::Info, "already at the command line".to_string()),
        Some(action) => apply(state, action, effects),
        None => notice(
            state,
            Level::Error,
            format!("unknown command \"{word}\": :help lists every command"),
        ),
    }
}

/// Completes the command line to the longest common prefix of the matching action names.
fn complete_command(state: &mut State) {
    let typed = state.command.text.trim().to_string();
    let matches: Vec<&str> = Action::ALL
        .iter()
        .map(|a| a.name())
        .filter(|n| n.starts_with(&typed))
        .collect();
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

fn notice(state: &mut State, level: Level, text: String) {
    state.notice = Some(Notice { level, text });
    state.dirty = true;
}

fn on_data(state: &mut State, event: DataEvent) {
    match event {
        DataEvent::Runs { key, rows } => {
            if !state.subs.contains(&key) {
                return; // a late event from a watch that was cancelled
            }
            set_rows(&mut state.runs, rows, state.list_height, state.now);
            state.runs.source = SourceState::Live;
            state.dirty = true;
        }
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
        DataEvent::Status { key, status } => {
            if !state.subs.contains(&key) {
                return;
            }
            state.dirty = true;
            if key.kind == Kind::Namespaces {
                if let Some(p) = state.picker.as_mut() {
                    p.loading = false;
                    p.note = match status {
                        SubStatus::Live => None,
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
            state.runs.source = match status {
                SubStatus::Live => {
                    if state.target.conn != ConnState::Connected {
                        state.target.conn = ConnState::Connected;
                    }
                    if state.runs.source == SourceState::Loading {
                        SourceState::Loading
                    } else {
                        SourceState::Live
                    }
                }
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
        }
    }
}

fn on_conn(state: &mut State, event: ConnEvent) {
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
    let runs_key =
        |set: &std::collections::BTreeSet<SubKey>| set.iter().find(|k| k.kind == Kind::Workflows).cloned();
    if !state.subs.is_empty() && runs_key(&state.subs) != runs_key(&wanted) {
        // The view now shows another namespace or context: its old rows must not linger.
        state.runs = ListView {
            filter: std::mem::take(&mut state.runs.filter),
            sort: state.runs.sort,
            ..ListView::new()
        };
    }
    state.subs = wanted;
}

/// Replaces the rows, keeping the selection on the same run when it is still there.
fn set_rows(
    view: &mut ListView<RunRow>,
    rows: Arc<[RunRow]>,
    height: usize,
    now: chrono::DateTime<chrono::Utc>,
) {
    let selected_uid = view.selected_row().map(|r| r.uid.clone());
    view.rows = rows;
    recompute_visible(view, now);
    if let Some(pos) = selected_uid.and_then(|uid| {
        view.visible
            .iter()
            .position(|i| view.rows.get(*i).is_some_and(|r| r.uid == uid))
    }) {
        view.selected = pos;
    }
    view.selected = view.selected.min(view.visible.len().saturating_sub(1));
    clamp_offset(view, height);
}

fn refilter(state: &mut State) {
    let view = &mut state.runs;
    recompute_visible(view, state.now);
    view.selected = 0;
    view.offset = 0;
    state.dirty = true;
}

/// Recomputes which rows pass the filter, newest first.
pub fn recompute_visible(view: &mut ListView<RunRow>, now: chrono::DateTime<chrono::Utc>) {
    let filter = match Filter::parse(&view.filter.text) {
        Ok(f) => f,
        Err(_) => Filter::All,
    };
    let mut visible: Vec<usize> = view
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            filter.matches_row(
                [
                    r.display_name.as_str(),
                    r.name.as_str(),
                    r.pipeline.as_str(),
                    r.phase.word(),
                    r.namespace.as_str(),
                ],
                &r.labels,
            )
        })
        .map(|(i, _)| i)
        .collect();
    let rows = &view.rows;
    let sort = view.sort;
    visible.sort_by(|a, b| match (rows.get(*a), rows.get(*b)) {
        (Some(x), Some(y)) => {
            let o = compare_runs(x, y, sort.column, now);
            if sort.descending { o.reverse() } else { o }
        }
        _ => Ordering::Equal,
    });
    view.visible = visible;
}

/// Sorts the runs by a column; choosing the sorted column again reverses it.
fn sort_runs(state: &mut State, column: usize, descending: Option<bool>) {
    let view = &mut state.runs;
    let descending = descending.unwrap_or(view.sort.column == column && !view.sort.descending);
    view.sort = Sort { column, descending };
    let selected = view.selected_row().map(|r| r.uid.clone());
    recompute_visible(view, state.now);
    if let Some(pos) = selected.and_then(|uid| {
        view.visible
            .iter()
            .position(|i| view.rows.get(*i).is_some_and(|r| r.uid == uid))
    }) {
        view.selected = pos;
    }
    clamp_offset(view, state.list_height);
    state.dirty = true;
}

fn move_selection(state: &mut State, delta: isize) {
    if state.pane != PaneId::Runs {
        return;
    }
    let view = &mut state.runs;
    let len = view.visible.len();
    if len == 0 {
        return;
    }
    let target = (view.selected as isize).saturating_add(delta);
    view.selected = target.clamp(0, len as isize - 1) as usize;
    clamp_offset(view, state.list_height);
}

/// Keeps the selected row on screen.
fn clamp_offset<R>(view: &mut ListView<R>, height: usize) {
    let height = height.max(1);
    if view.selected < view.offset {
        view.offset = view.selected;
    } else if view.selected >= view.offset + height {
        view.offset = view.selected + 1 - height;
    }
    let max_offset = view.visible.len().saturating_sub(height);
    view.offset = view.offset.min(max_offset);
}

/// Whether a clock tick changes anything on screen: a live duration, or an age that is still
/// counting seconds, or a minute boundary for older ages.
fn tick_changes_screen(state: &State, before: chrono::DateTime<chrono::Utc>) -> bool {
    if state.now.minute() != before.minute() || state.now.hour() != before.hour() {
        return true;
    }
    let on_screen = state
        .runs
        .visible
        .iter()
        .skip(state.runs.offset)
        .take(state.list_height.max(1))
        .filter_map(|i| state.runs.rows.get(*i));
    let young = chrono::Duration::minutes(2);
    on_screen.into_iter().any(|r| {
        r.phase.is_active() && r.started.is_some() || r.created.is_some_and(|c| state.now - c < young)
    })
}
