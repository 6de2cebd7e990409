#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What the screen promises is what the keys do: every view of the app, at 80x24 and 200x50, in
//! normal and read-only mode, against the embedded cluster. In each view every hint the footer
//! shows and every entry `?` lists is pressed (on a copy of the state), and the test asserts that
//! something a user would notice happened: the screen changed, an effect was sent, or the app
//! quit; and never "not now", "not here" or a read-only refusal.

#[path = "support/app.rs"]
mod app_support;
#[path = "support/sim.rs"]
mod sim_support;

use std::collections::BTreeSet;

use app_support::App;
use kftui::app::action::Action;
use kftui::app::msg::Msg;
use kftui::app::pane::PaneId;
use kftui::app::picker::PickerKind;
use kftui::app::state::{SourceState, State};
use kftui::app::update::update;
use kftui::app::viewer::ViewBody;
use kftui::app::views::{self, Route, ViewId};
use kftui::config::keymap::{Keymap, parse_keys};
use kftui::kube::resources::inference_service::Readiness;
use kftui::kube::resources::workflow::RunOrigin;

/// Movement that may rightly change nothing (at the top already, or all of it fits).
const MOVES: &[Action] = &[
    Action::Up,
    Action::Down,
    Action::PageUp,
    Action::PageDown,
    Action::Top,
    Action::Bottom,
    Action::ScrollLeft,
    Action::ScrollRight,
    Action::MoveLeft,
    Action::MoveRight,
    Action::Parent,
    Action::Child,
];

fn render(state: &State, keymap: &Keymap) -> String {
    app_support::screen_of(state, keymap, state.width, state.height).join("\n")
}

#[derive(Default)]
struct Walked {
    views: BTreeSet<String>,
    hints: usize,
    entries: usize,
}

/// Presses `keys` on a copy of the state; panics with the screens when nothing a user would
/// notice happened.
fn press_on_copy(app: &App, keys: &str, action: Action, what: &str) {
    let mut s = app.state.clone();
    let before = render(&s, &app.keymap);
    let mut effects = Vec::new();
    for k in parse_keys(keys).unwrap() {
        effects.extend(update(&mut s, &app.keymap, Msg::Key(k)));
    }
    let after = render(&s, &app.keymap);
    if let Some(n) = &s.notice {
        for refusal in [
            "not now",
            "nothing is selected",
            "not here",
            "read-only:",
            "works in the",
        ] {
            assert!(
                !n.text.contains(refusal) || app.state.notice.as_ref() == Some(n),
                "{what}: `{keys}` ({}) was refused: {:?}\n{after}",
                action.name(),
                n.text
            );
        }
    }
    let happened = before != after || !effects.is_empty() || !s.running;
    assert!(
        happened || MOVES.contains(&action),
        "{what}: `{keys}` ({}) did nothing; screen:\n{before}",
        action.name()
    );
}

/// Checks the view on top: it is `expected`, and its footer and help tell the truth.
fn check(app: &App, expected: ViewId, walked: &mut Walked) {
    let top = views::top(&app.state);
    let what = format!(
        "{expected:?} at {}x{}{}",
        app.state.width,
        app.state.height,
        if app.state.readonly { " read-only" } else { "" }
    );
    assert_eq!(
        top,
        expected,
        "{what}: screen:\n{}",
        render(&app.state, &app.keymap)
    );
    walked.views.insert(format!("{expected:?}"));
    let footer = views::footer(&app.state, &app.keymap);
    assert!(!footer.is_empty(), "{what}: an empty footer");
    let stack = views::stack(&app.state);
    for (keys, label) in &footer {
        let key = keys[0].clone();
        let Route::Action { action, .. } =
            views::route(&app.state, &app.keymap, &stack, &parse_keys(&key).unwrap())
        else {
            panic!("{what}: the footer's `{keys:?} {label}` reaches no action");
        };
        assert!(
            !(app.state.readonly && action.is_mutating()),
            "{what}: read-only shows `{keys:?} {label}`"
        );
        press_on_copy(app, &key, action, &format!("{what}: footer `{keys:?} {label}`"));
        walked.hints += 1;
    }
    // Under help and the command line, `?` lists the view below (checked on its own).
    let entries = if matches!(expected, ViewId::Help | ViewId::Command) {
        Vec::new()
    } else {
        views::help(&app.state, &app.keymap)
    };
    for (_, bindings) in entries {
        for b in bindings {
            assert!(
                !(app.state.readonly && b.mutates),
                "{what}: read-only lists {} in help",
                b.action.name()
            );
            if let Some(key) = b.keys.first().filter(|_| b.available) {
                press_on_copy(
                    app,
                    key,
                    b.action,
                    &format!("{what}: help `{key}` :{}", b.action.name()),
                );
            }
            walked.entries += 1;
        }
    }
}

/// Closes every view over the pane.
fn home(app: &mut App) {
    for _ in 0..8 {
        if matches!(
            views::top(&app.state),
            ViewId::List(_) | ViewId::Logs | ViewId::Recurring
        ) {
            break;
        }
        app.press("esc");
    }
}

fn labels(app: &App) -> Vec<String> {
    views::footer(&app.state, &app.keymap)
        .into_iter()
        .map(|(k, l)| format!("{} {l}", k.join("/")))
        .collect()
}

fn routes(app: &App, keys: &str) -> Option<Action> {
    let stack = views::stack(&app.state);
    match views::route(&app.state, &app.keymap, &stack, &parse_keys(keys).unwrap()) {
        Route::Action { action, .. } => Some(action),
        _ => None,
    }
}

async fn walk(width: u16, height: u16, readonly: bool) -> Walked {
    let mut app = App::start().await;
    app.state.readonly = readonly;
    app.send(Msg::Resize { width, height });
    let mut w = Walked::default();
    let rw = !readonly;

    // The Logs pane before any logs were opened.
    app.press("3");
    check(&app, ViewId::List(PaneId::Logs), &mut w);

    // Runs.
    app.press("2");
    // The Workflows listed, not only KFP's history (which may answer first).
    app.until("the runs", |s| {
        s.runs.source == SourceState::Live
            && s.runs.rows.len() > 3
            && s.runs.rows.iter().any(|r| r.origin != RunOrigin::History)
    })
    .await;
    check(&app, ViewId::List(PaneId::Runs), &mut w);
    if readonly {
        for l in labels(&app) {
            for verb in ["stop", "start", "promote", "rollback", "new run", "delete"] {
                assert!(!l.ends_with(verb), "read-only footer offers {l}");
            }
        }
    }
    // A run with a Workflow (not one only in KFP's history).
    let live = app
        .state
        .runs
        .visible
        .iter()
        .position(|i| app.state.runs.rows[*i].origin != RunOrigin::History)
        .unwrap();
    for _ in 0..live {
        app.press("down");
    }
    app.press("enter");
    app.until("the step graph", |s| {
        s.detail.as_ref().is_some_and(|d| d.graph().is_some())
    })
    .await;
    check(&app, ViewId::RunDetail, &mut w);
    assert!(
        labels(&app)
            .iter()
            .any(|l| l.starts_with("l") && l.ends_with("step logs"))
    );
    assert_eq!(
        routes(&app, "l"),
        Some(Action::Tail),
        "l in the step graph is the step's logs"
    );
    assert_eq!(
        routes(&app, "enter"),
        Some(Action::Tail),
        "enter does not reload the graph"
    );
    assert_eq!(routes(&app, "right"), Some(Action::MoveRight));
    app.press("y");
    app.until("the YAML", |s| {
        s.viewer
            .as_ref()
            .is_some_and(|v| matches!(v.body, ViewBody::Text(_)))
    })
    .await;
    check(&app, ViewId::Viewer, &mut w);
    assert_eq!(routes(&app, "right"), Some(Action::ScrollRight));
    app.press("right");
    assert!(
        app.state.viewer.is_some(),
        "the right arrow scrolls the YAML, not away from it"
    );
    assert_eq!(app.state.pane, PaneId::Runs);
    app.press("/");
    app.type_text("name");
    check(&app, ViewId::ViewerSearch, &mut w);
    home(&mut app);
    app.press("esc");

    // Logs of the selected run.
    app.press("l");
    app.until("log lines", |s| {
        s.pane == PaneId::Logs && s.logs.as_ref().is_some_and(|l| !l.view.buffer().is_empty())
    })
    .await;
    check(&app, ViewId::Logs, &mut w);
    assert_eq!(routes(&app, "g g"), Some(Action::Top), "g g in the Logs pane");
    app.press("/");
    check(&app, ViewId::LogSearch, &mut w);
    app.press("esc");

    // Comparison, confirmation, forms, pickers, help, command line, filter.
    app.press("2");
    app.command("mark re:.");
    app.press("C");
    app.until("the comparison", |s| {
        s.compare.as_ref().is_some_and(|c| c.columns.is_some())
    })
    .await;
    check(&app, ViewId::Compare, &mut w);
    home(&mut app);
    app.press("esc");
    app.command("unmark-all");
    if rw {
        app.press("D");
        check(&app, ViewId::Confirm, &mut w);
        app.press("n");
        app.press("+");
        app.until("the run sources", |s| {
            s.picker
                .as_ref()
                .is_some_and(|p| p.kind == PickerKind::RunSource && !p.loading)
        })
        .await;
        check(&app, ViewId::Picker, &mut w);
        app.press("enter");
        app.until("the new-run form", |s| s.form.is_some()).await;
        check(&app, ViewId::RunForm, &mut w);
        app.press("ctrl-e");
        check(&app, ViewId::YamlEditor, &mut w);
        home(&mut app);
    }
    app.press("ctrl-n");
    check(&app, ViewId::Picker, &mut w);
    app.press("esc");
    app.press("?");
    check(&app, ViewId::Help, &mut w);
    app.press("esc");
    app.press(":");
    check(&app, ViewId::Command, &mut w);
    app.press("esc");
    app.press("/");
    check(&app, ViewId::Filter, &mut w);
    app.press("esc");

    // Pipelines.
    app.press("1");
    app.until("the pipelines", |s| !s.pipelines.rows.is_empty()).await;
    check(&app, ViewId::List(PaneId::Pipelines), &mut w);
    app.press(":");
    app.type_text("uplo");
    app.press("tab");
    if rw {
        assert_eq!(app.state.command.text, "upload", "tab completes :upload");
        assert!(views::completions(&app.state).contains(&"upload-version"));
    } else {
        assert_eq!(app.state.command.text, "uplo", "read-only completes no upload");
    }
    app.press("esc");
    app.press("enter");
    app.until("the pipeline", |s| {
        s.pipeline.as_ref().is_some_and(|p| p.detail.is_some())
    })
    .await;
    check(&app, ViewId::PipelineDetail, &mut w);
    app.press("esc");
    app.press("R");
    check(&app, ViewId::Recurring, &mut w);
    app.press("R");

    // Notebooks.
    app.press("4");
    app.until("the notebooks", |s| !s.notebooks.rows.is_empty()).await;
    check(&app, ViewId::List(PaneId::Notebooks), &mut w);
    if rw {
        app.press("+");
        check(&app, ViewId::NotebookForm, &mut w);
        home(&mut app);
    }
    app.press("/");
    app.type_text("scipy");
    app.press("enter");
    app.press("c");
    app.until("a connection", |s| {
        s.connections.list.iter().any(|c| c.port.is_some())
    })
    .await;
    app.press("C");
    check(&app, ViewId::Connections, &mut w);
    app.press("esc");
    app.press("esc");

    // Models.
    app.press("5");
    app.until("a model that serves", |s| {
        s.models
            .rows
            .iter()
            .any(|r| r.name == "sklearn-iris" && r.ready == Readiness::Ready)
    })
    .await;
    app.press("/");
    app.type_text("sklearn-iris");
    app.press("enter");
    check(&app, ViewId::List(PaneId::Models), &mut w);
    assert_eq!(views::completions(&app.state).contains(&"canary"), rw);
    app.press("enter");
    check(&app, ViewId::ModelDetail, &mut w);
    assert_eq!(routes(&app, "G"), Some(Action::Bottom));
    assert_eq!(routes(&app, "end"), Some(Action::Bottom));
    app.press("t");
    check(&app, ViewId::ModelTest, &mut w);
    for l in labels(&app) {
        assert!(
            !l.ends_with("filter") && !l.ends_with("quit"),
            "the test editor shows the list's footer: {l}"
        );
    }
    app.press("ctrl-s");
    app.until("the model's answer", |s| {
        s.model
            .test
            .as_ref()
            .is_some_and(|t| t.pending.is_none() && t.shown.is_some())
    })
    .await;
    app.press("tab");
    check(&app, ViewId::TestHistory, &mut w);
    home(&mut app);

    // Training and experiments.
    app.press("6");
    app.until("the training jobs", |s| !s.training.rows.is_empty())
        .await;
    check(&app, ViewId::List(PaneId::Training), &mut w);
    let footer = labels(&app).join("  ");
    for k in ["enter detail", "l logs"] {
        assert!(footer.contains(k), "Training footer: {footer}");
    }
    if rw {
        for k in ["p suspend", "u resume", "D delete"] {
            assert!(footer.contains(k), "Training footer: {footer}");
        }
    }
    app.press("enter");
    check(&app, ViewId::TrainingDetail, &mut w);
    app.press("esc");
    app.press("7");
    app.until("the experiments", |s| !s.experiments.rows.is_empty())
        .await;
    check(&app, ViewId::List(PaneId::Experiments), &mut w);
    let footer = labels(&app).join("  ");
    assert!(
        footer.contains("enter trials") && footer.contains("l logs"),
        "{footer}"
    );
    assert_eq!(footer.contains("D delete"), rw, "{footer}");
    app.press("enter");
    app.until("the trials", |s| {
        s.experiment.as_ref().is_some_and(|d| !d.order.is_empty())
    })
    .await;
    check(&app, ViewId::ExperimentDetail, &mut w);
    app.press("esc");

    // The resource view: pods, with a pod that has an owner selected.
    app.press("8");
    app.until("pods with owners", |s| {
        s.cluster.list.source == SourceState::Live && s.cluster.list.rows.iter().any(|r| r.owner.is_some())
    })
    .await;
    let owned = app
        .state
        .cluster
        .list
        .visible
        .iter()
        .position(|i| app.state.cluster.list.rows[*i].owner.is_some())
        .unwrap();
    for _ in 0..owned {
        app.press("down");
    }
    check(&app, ViewId::List(PaneId::Cluster), &mut w);
    let footer = labels(&app).join("  ");
    for k in ["enter open", "o owner", "l logs"] {
        assert!(footer.contains(k), "Pods footer: {footer}");
    }
    assert_eq!(footer.contains("x shell"), rw, "{footer}");
    assert_eq!(footer.contains("D delete"), rw, "{footer}");
    // Events, warnings first; enter goes to the object an event is about.
    app.press(":");
    app.type_text("events");
    app.press("enter");
    app.until("the events", |s| {
        s.cluster.kind.is_events()
            && s.cluster.list.source == SourceState::Live
            && !s.cluster.list.rows.is_empty()
    })
    .await;
    let first = app.state.cluster.list.selected_row().unwrap().clone();
    assert!(
        first.event.as_ref().is_some_and(|e| e.warning),
        "warnings come first: {:?}",
        first.cells().collect::<Vec<_>>()
    );
    check(&app, ViewId::List(PaneId::Cluster), &mut w);
    let subject = first.event.as_ref().and_then(|e| e.subject.clone()).unwrap();
    app.press("enter");
    assert!(
        app.state.pane != PaneId::Cluster || app.state.cluster.list.filter.text == subject.name,
        "enter on an event shows {}",
        subject.label()
    );
    app.stop().await;
    w
}

async fn walk_and_report(width: u16, height: u16, readonly: bool) {
    let w = walk(width, height, readonly).await;
    println!(
        "{width}x{height}{}: {} views, {} footer hints and {} help entries pressed",
        if readonly { " read-only" } else { "" },
        w.views.len(),
        w.hints,
        w.entries
    );
    let every = if readonly { 26 } else { 30 };
    assert_eq!(w.views.len(), every, "views walked: {:?}", w.views);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_view_tells_the_truth_at_80x24() {
    walk_and_report(80, 24, false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_view_tells_the_truth_at_200x50() {
    walk_and_report(200, 50, false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_view_tells_the_truth_read_only_at_80x24() {
    walk_and_report(80, 24, true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_view_tells_the_truth_read_only_at_200x50() {
    walk_and_report(200, 50, true).await;
}
