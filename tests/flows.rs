#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Headless flows: scripts of messages through `update`, asserting the State and its effects.

mod support;

use std::sync::Arc;

use kftui::app::effect::Effect;
use kftui::app::msg::{ConnEvent, DataEvent, Msg, SubStatus};
use kftui::app::pane::PaneId;
use kftui::app::state::{ConnState, Mode, SourceState};
use kftui::app::update::update;
use support::*;

fn names(state: &kftui::app::state::State) -> Vec<String> {
    state.runs.visible_rows().map(|r| r.name.clone()).collect()
}

#[test]
fn runs_are_listed_newest_first_and_the_selection_moves() {
    let mut s = loaded_state(100, 30);
    assert_eq!(names(&s)[0], "data-prep-q8x4z");
    assert_eq!(s.runs.selected, 0);
    press(&mut s, "j j");
    assert_eq!(s.runs.selected, 2);
    press(&mut s, "G");
    assert_eq!(s.runs.selected, 5);
    press(&mut s, "g g");
    assert_eq!(s.runs.selected, 0);
    press(&mut s, "k");
    assert_eq!(s.runs.selected, 0, "up at the top stays at the top");
}

#[test]
fn filter_narrows_as_you_type_and_esc_clears_it() {
    let mut s = loaded_state(100, 30);
    press(&mut s, "/");
    assert_eq!(s.mode, Mode::Filter);
    type_text(&mut s, "xgb");
    assert_eq!(names(&s), ["xgboost-training-7k2lp", "xgboost-training-5hd7w"]);
    type_text(&mut s, "oost nightly 2026-11-27");
    assert_eq!(
        names(&s),
        ["xgboost-training-5hd7w"],
        "KFP run names are searched"
    );
    press(&mut s, "enter");
    assert_eq!(s.mode, Mode::Normal);
    assert_eq!(s.runs.visible.len(), 1, "enter keeps the filter");
    press(&mut s, "esc");
    assert_eq!(s.runs.visible.len(), 6, "esc clears it");

    press(&mut s, "/");
    type_text(&mut s, "!Succeeded");
    assert!(s.runs.visible_rows().all(|r| r.phase.word() != "Succeeded"));
    press(&mut s, "esc");
    press(&mut s, "/");
    type_text(&mut s, "re:^data-");
    assert_eq!(names(&s), ["data-prep-q8x4z", "data-prep-a1b2c"]);
}

#[test]
fn selection_follows_the_same_run_when_new_rows_arrive() {
    let mut s = loaded_state(100, 30);
    press(&mut s, "j j");
    let chosen = s.runs.selected_row().unwrap().uid.clone();
    let mut rows = sample_runs();
    rows.push(row(workflow(
        "brand-new-run",
        "kubeflow-user-example-com",
        "Pending",
        "0/3",
        1,
        None,
        None,
    )));
    let key = key_for(Some("kubeflow-user-example-com"));
    update(
        &mut s,
        &keymap(),
        Msg::Data(DataEvent::Runs {
            key,
            rows: Arc::from(rows),
        }),
    );
    assert_eq!(s.runs.rows.len(), 7);
    assert_eq!(s.runs.selected_row().unwrap().uid, chosen);
    assert_eq!(s.runs.selected, 3);
}

#[test]
fn number_keys_tab_and_commands_switch_panes() {
    let mut s = loaded_state(100, 30);
    press(&mut s, "4");
    assert_eq!(s.pane, PaneId::Notebooks);
    press(&mut s, "tab");
    assert_eq!(s.pane, PaneId::Models);
    press(&mut s, "shift-tab shift-tab");
    assert_eq!(s.pane, PaneId::Logs);
    press(&mut s, ":");
    type_text(&mut s, "experiments");
    press(&mut s, "enter");
    assert_eq!(s.pane, PaneId::Experiments);
    press(&mut s, ":");
    type_text(&mut s, "pip");
    press(&mut s, "tab");
    assert_eq!(
        s.command.text, "pipelines",
        "tab completes only what works here (pipeline-runs is the Pipelines pane's)"
    );
    press(&mut s, "enter");
    assert_eq!(s.pane, PaneId::Pipelines);
    press(&mut s, ":");
    type_text(&mut s, "frobnicate");
    press(&mut s, "enter");
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains("unknown command \"frobnicate\"")
    );
    press(&mut s, ":");
    type_text(&mut s, "help");
    press(&mut s, "enter");
    assert_eq!(s.mode, Mode::Help);
    press(&mut s, "esc");
    assert_eq!(s.mode, Mode::Normal);
}

#[test]
fn quit_suspend_and_redraw_are_effects_or_state() {
    let mut s = loaded_state(100, 30);
    assert_eq!(press(&mut s, "ctrl-z"), vec![Effect::Suspend]);
    assert_eq!(press(&mut s, "ctrl-l"), vec![Effect::FullRedraw]);
    assert!(s.running);
    press(&mut s, "q");
    assert!(!s.running);
    let mut s = loaded_state(100, 30);
    press(&mut s, "/");
    type_text(&mut s, "abc");
    press(&mut s, "ctrl-c");
    assert!(!s.running, "ctrl-c quits even while typing");
    let mut s = loaded_state(100, 30);
    update(&mut s, &keymap(), Msg::Terminate);
    assert!(!s.running);
}

#[test]
fn late_events_from_a_cancelled_watch_are_dropped() {
    let mut s = loaded_state(100, 30);
    let old = key_for(Some("some-other-namespace"));
    update(
        &mut s,
        &keymap(),
        Msg::Data(DataEvent::Runs {
            key: old,
            rows: Arc::from(Vec::new()),
        }),
    );
    assert_eq!(s.runs.rows.len(), 6);
}

#[test]
fn watch_health_shows_as_stale_rows_and_reconnecting() {
    let mut s = loaded_state(100, 30);
    let key = key_for(Some("kubeflow-user-example-com"));
    let km = keymap();
    update(
        &mut s,
        &km,
        Msg::Data(DataEvent::Status {
            key: key.clone(),
            status: SubStatus::Retrying {
                attempt: 2,
                error: "connection refused".into(),
            },
        }),
    );
    assert!(matches!(s.runs.source, SourceState::Stale { .. }));
    assert_eq!(s.runs.rows.len(), 6, "rows stay on screen while reconnecting");
    assert!(matches!(
        s.target.conn,
        ConnState::Reconnecting { attempt: 2, .. }
    ));
    update(
        &mut s,
        &km,
        Msg::Data(DataEvent::Status {
            key: key.clone(),
            status: SubStatus::Live,
        }),
    );
    assert_eq!(s.target.conn, ConnState::Connected);
    assert_eq!(s.runs.source, SourceState::Live);
    update(
        &mut s,
        &km,
        Msg::Data(DataEvent::Status {
            key,
            status: SubStatus::NotInstalled,
        }),
    );
    assert!(matches!(s.runs.source, SourceState::NotInstalled { .. }));
}

#[test]
fn an_unreachable_cluster_says_so_and_recovers_when_a_watch_succeeds() {
    let mut s = loaded_state(100, 30);
    let km = keymap();
    let effects = update(
        &mut s,
        &km,
        Msg::Conn(ConnEvent::Failed {
            context: "kftui-sim".into(),
            error: "connection refused".into(),
        }),
    );
    assert!(effects.is_empty(), "watches keep retrying with backoff");
    assert!(s.notice.as_ref().unwrap().text.contains("--demo"));
    assert!(matches!(s.target.conn, ConnState::Offline { .. }));
    let key = key_for(Some("kubeflow-user-example-com"));
    update(
        &mut s,
        &km,
        Msg::Data(DataEvent::Status {
            key,
            status: SubStatus::Live,
        }),
    );
    assert_eq!(s.target.conn, ConnState::Connected);
}

#[test]
fn idle_ticks_do_not_redraw_but_live_durations_do() {
    let mut s = loaded_state(100, 30);
    s.take_dirty();
    let km = keymap();
    update(&mut s, &km, Msg::Tick(now() + chrono::Duration::seconds(1)));
    assert!(s.take_dirty(), "a running run's duration is on screen");
    // Only finished, old runs: a tick within the same minute changes nothing.
    let mut s = loaded_state(100, 30);
    let key = key_for(Some("kubeflow-user-example-com"));
    let old: Vec<_> = sample_runs()
        .into_iter()
        .filter(|r| !r.phase.is_active() && r.created.is_some_and(|c| now() - c > chrono::Duration::hours(1)))
        .collect();
    update(
        &mut s,
        &km,
        Msg::Data(DataEvent::Runs {
            key,
            rows: Arc::from(old),
        }),
    );
    s.take_dirty();
    update(&mut s, &km, Msg::Tick(now() + chrono::Duration::seconds(1)));
    assert!(!s.take_dirty(), "nothing on screen changed");
    update(&mut s, &km, Msg::Tick(now() + chrono::Duration::seconds(61)));
    assert!(s.take_dirty(), "ages move at the minute");
    // An empty list shows no age: the minute passes without a frame.
    let mut empty = state_with(100, 30, "kubeflow-user-example-com", Vec::new());
    empty.take_dirty();
    update(&mut empty, &km, Msg::Tick(now() + chrono::Duration::seconds(61)));
    assert!(!empty.take_dirty(), "an empty screen stays silent at the minute");
}

fn subscribed(effects: &[Effect]) -> Vec<kftui::app::subs::SubKey> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Subscribe(k) => Some(k.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn ns_command_switches_the_watch_and_remembers_the_choice() {
    let mut s = loaded_state(100, 30);
    let km = keymap();
    let mut effects = Vec::new();
    kftui::app::update::run_command(&mut s, "ns team-vision", &mut effects);
    effects.extend(update(&mut s, &km, Msg::Tick(now())));
    assert_eq!(s.target.namespace.as_deref(), Some("team-vision"));
    assert!(effects.contains(&Effect::Unsubscribe(key_for(Some("kubeflow-user-example-com")))));
    assert!(effects.contains(&Effect::Subscribe(key_for(Some("team-vision")))));
    assert!(effects.iter().any(
        |e| matches!(e, Effect::SaveChoices(c) if c.get("kftui-sim") == Some(&Some("team-vision".into())))
    ));
    assert_eq!(s.runs.rows.len(), 0, "the old namespace's runs are gone at once");
    // A late snapshot from the old namespace's watch must not land.
    update(
        &mut s,
        &km,
        Msg::Data(DataEvent::Runs {
            key: key_for(Some("kubeflow-user-example-com")),
            rows: Arc::from(sample_runs()),
        }),
    );
    assert_eq!(s.runs.rows.len(), 0);
    let mut effects = Vec::new();
    kftui::app::update::run_command(&mut s, "ns all", &mut effects);
    effects.extend(update(&mut s, &km, Msg::Tick(now())));
    assert_eq!(s.target.namespace, None);
    assert!(effects.contains(&Effect::Subscribe(key_for(None))));
}

#[test]
fn namespace_picker_lists_profiles_first_and_accepts_a_typed_name() {
    use kftui::kube::resources::namespace::NamespaceRow;
    let mut s = loaded_state(100, 30);
    let effects = press(&mut s, "ctrl-n");
    let ns_key = kftui::app::subs::SubKey {
        namespace: None,
        kind: kftui::app::subs::Kind::Namespaces,
        ..key_for(None)
    };
    assert_eq!(
        subscribed(&effects),
        vec![ns_key.clone()],
        "the picker watches namespaces while open"
    );
    let rows = vec![
        NamespaceRow {
            name: "default".into(),
            profile: false,
            owner: None,
            phase: "Active".into(),
        },
        NamespaceRow {
            name: "team-vision".into(),
            profile: true,
            owner: Some("vision@example.com".into()),
            phase: "Active".into(),
        },
        NamespaceRow {
            name: "kubeflow-user-example-com".into(),
            profile: true,
            owner: None,
            phase: "Active".into(),
        },
    ];
    update(
        &mut s,
        &keymap(),
        Msg::Data(DataEvent::Namespaces {
            key: ns_key.clone(),
            rows: Arc::from(rows),
        }),
    );
    let labels: Vec<String> = s
        .picker
        .as_ref()
        .unwrap()
        .items
        .iter()
        .map(|i| i.label.clone())
        .collect();
    assert_eq!(
        labels,
        [
            "all namespaces",
            "kubeflow-user-example-com",
            "team-vision",
            "default"
        ]
    );
    assert_eq!(
        s.picker.as_ref().unwrap().selected,
        1,
        "starts on the current namespace"
    );
    type_text(&mut s, "visi");
    let effects = press(&mut s, "enter");
    assert!(s.picker.is_none());
    assert_eq!(s.target.namespace.as_deref(), Some("team-vision"));
    assert!(
        effects.contains(&Effect::Unsubscribe(ns_key)),
        "closing the picker stops its watch"
    );
    // Forbidden to list: the picker says so and takes a typed name.
    press(&mut s, "ctrl-n");
    let ns_key = kftui::app::subs::SubKey {
        namespace: None,
        kind: kftui::app::subs::Kind::Namespaces,
        ..key_for(None)
    };
    update(
        &mut s,
        &keymap(),
        Msg::Data(DataEvent::Status {
            key: ns_key,
            status: SubStatus::Forbidden {
                message: "namespaces is forbidden".into(),
            },
        }),
    );
    assert!(
        s.picker
            .as_ref()
            .unwrap()
            .note
            .as_ref()
            .unwrap()
            .contains("type a namespace")
    );
    type_text(&mut s, "secret-team");
    press(&mut s, "enter");
    assert_eq!(s.target.namespace.as_deref(), Some("secret-team"));
}

#[test]
fn ctx_switches_context_to_its_remembered_namespace() {
    use kftui::app::state::ContextInfo;
    let mut s = loaded_state(100, 30);
    s.contexts = vec![
        ContextInfo {
            name: "kftui-sim".into(),
            cluster: "kftui-sim".into(),
            namespace: Some("kubeflow-user-example-com".into()),
        },
        ContextInfo {
            name: "prod".into(),
            cluster: "prod-cluster".into(),
            namespace: Some("ml".into()),
        },
    ];
    let mut effects = Vec::new();
    kftui::app::update::run_command(&mut s, "ctx prod", &mut effects);
    effects.extend(update(&mut s, &keymap(), Msg::Tick(now())));
    assert_eq!(s.target.context, "prod");
    assert_eq!(s.target.namespace.as_deref(), Some("ml"));
    assert_eq!(s.target.conn, ConnState::Connecting);
    assert!(effects.contains(&Effect::Probe("prod".into())));
    assert!(
        subscribed(&effects)
            .iter()
            .any(|k| k.context == "prod" && k.namespace.as_deref() == Some("ml"))
    );
    // A version answer from the context we left is ignored.
    update(
        &mut s,
        &keymap(),
        Msg::Conn(ConnEvent::Connected {
            context: "kftui-sim".into(),
            version: "old".into(),
        }),
    );
    assert_eq!(s.target.server_version, None);
    s.remembered.insert("kftui-sim".into(), None);
    let mut effects = Vec::new();
    kftui::app::update::run_command(&mut s, "ctx kftui-sim", &mut effects);
    assert_eq!(s.target.namespace, None, "the remembered all-namespaces choice");
    let mut effects = Vec::new();
    kftui::app::update::run_command(&mut s, "ctx nowhere", &mut effects);
    assert!(s.notice.as_ref().unwrap().text.contains("no context \"nowhere\""));
}

#[test]
fn sort_by_any_column_and_reverse() {
    let mut s = loaded_state(100, 30);
    let mut effects = Vec::new();
    kftui::app::update::run_command(&mut s, "sort name", &mut effects);
    let shown: Vec<String> = s.runs.visible_rows().map(|r| r.display_name.clone()).collect();
    let mut sorted = shown.clone();
    sorted.sort();
    assert_eq!(shown, sorted);
    kftui::app::update::run_command(&mut s, "sort name", &mut effects);
    assert!(s.runs.sort.descending, "the same column again reverses");
    kftui::app::update::run_command(&mut s, "sort status asc", &mut effects);
    assert_eq!(s.runs.visible_rows().next().unwrap().phase.word(), "Pending");
    press(&mut s, "<");
    assert_eq!(
        <kftui::kube::resources::workflow::RunRow as kftui::app::list::ListRow>::SORT_COLUMNS
            [s.runs.sort.column],
        "pipeline"
    );
    kftui::app::update::run_command(&mut s, "sort bogus", &mut effects);
    assert!(s.notice.as_ref().unwrap().text.contains("no column \"bogus\""));
    let term = draw(&s, 100, 30, &theme("default"));
    assert!(
        format!("{}", term.backend()).contains("PIPELINE▲"),
        "the header marks the sorted column"
    );
}

#[test]
fn a_label_selector_filter_is_sent_to_the_server_on_enter() {
    let mut s = loaded_state(100, 30);
    press(&mut s, "/");
    type_text(&mut s, "pipeline/runid=id-bert-finetune-m2n9c");
    assert_eq!(s.runs.visible.len(), 1, "matched on the client while typing");
    let effects = press(&mut s, "enter");
    let sel = Some("pipeline/runid=id-bert-finetune-m2n9c".to_string());
    assert!(
        subscribed(&effects).iter().any(|k| k.selector == sel),
        "{effects:?}"
    );
    assert_eq!(
        s.runs.filter.text, "pipeline/runid=id-bert-finetune-m2n9c",
        "the filter stays shown"
    );
    let effects = press(&mut s, "esc");
    assert!(subscribed(&effects).iter().any(|k| k.selector.is_none()));
}

#[test]
fn verbs_ask_for_confirmation_naming_targets_and_send_one_effect() {
    let mut s = loaded_state(100, 30);
    press(&mut s, "j");
    let effects = press(&mut s, "s");
    assert!(effects.is_empty(), "nothing happens before the yes");
    let confirm = s.confirm.clone().expect("a confirmation");
    assert_eq!(confirm.targets.len(), 1);
    assert_eq!(confirm.targets[0].name, "xgboost-training-7k2lp");
    let term = draw(&s, 100, 30, &theme("default"));
    assert!(format!("{}", term.backend()).contains("Stop run xgboost nightly 2026-11-28?"));
    press(&mut s, "n");
    assert!(s.confirm.is_none());
    press(&mut s, "s");
    let effects = press(&mut s, "y");
    assert!(
        matches!(effects.as_slice(), [Effect::RunVerb { verb: kftui::kube::kubeflow_ops::Verb::Run(kftui::kube::ops::RunVerb::Stop), targets, .. }] if targets.len() == 1)
    );
}

#[test]
fn marked_runs_get_one_confirmation_and_a_per_run_summary() {
    let mut s = loaded_state(100, 30);
    press(&mut s, "space space");
    assert_eq!(s.runs.marked.len(), 2);
    let mut effects = Vec::new();
    kftui::app::update::run_command(&mut s, "mark re:^data-", &mut effects);
    assert_eq!(
        s.runs.marked.len(),
        3,
        "data-prep-q8x4z was marked already; data-prep-a1b2c joins"
    );
    press(&mut s, "D");
    assert_eq!(s.confirm.as_ref().unwrap().targets.len(), 3);
    let term = draw(&s, 100, 30, &theme("default"));
    assert!(format!("{}", term.backend()).contains("Delete 3 runs?"));
    let effects = press(&mut s, "y");
    let Effect::RunVerb { request, verb, .. } = effects[0].clone() else {
        panic!("{effects:?}")
    };
    let results = vec![
        ("a".to_string(), Ok("a: deleted".to_string())),
        ("b".to_string(), Err("forbidden: nope".to_string())),
        ("c".to_string(), Ok("c: deleted".to_string())),
    ];
    update(
        &mut s,
        &keymap(),
        Msg::VerbDone {
            request,
            verb,
            results,
        },
    );
    assert_eq!(
        s.notice.as_ref().unwrap().text,
        "delete: 2 of 3 done, 1 failed — b: forbidden: nope"
    );
    assert_eq!(s.runs.marked.len(), 3, "marks stay after a partial failure");
    press(&mut s, ":");
    type_text(&mut s, "unmark-all");
    press(&mut s, "enter");
    assert!(s.runs.marked.is_empty());
}

#[test]
fn read_only_hides_and_refuses_every_verb() {
    let mut s = loaded_state(100, 80);
    s.readonly = true;
    press(&mut s, "D");
    assert!(s.confirm.is_none());
    assert!(s.notice.as_ref().unwrap().text.contains("read-only"));
    let mut effects = Vec::new();
    kftui::app::update::run_command(&mut s, "terminate", &mut effects);
    assert!(s.confirm.is_none() && effects.is_empty());
    press(&mut s, "?");
    let text = format!("{}", draw(&s, 100, 80, &theme("default")).backend());
    assert!(text.contains(":unmark-all") && text.contains(":yaml"), "{text}");
    assert!(
        !text.contains(":stop") && !text.contains(":terminate") && !text.contains(":delete"),
        "{text}"
    );
}

#[test]
fn notebooks_pane_subscribes_while_shown_and_lists_rows() {
    use kftui::app::subs::Kind;
    let mut s = notebooks_state(100, 30);
    let key = kind_key(Kind::Notebooks, Some("kubeflow-user-example-com"));
    assert!(s.subs.contains(&key));
    assert!(
        s.subs.contains(&key_for(Some("kubeflow-user-example-com"))),
        "the runs watch stays on"
    );
    let names: Vec<_> = s.notebooks.visible_rows().map(|r| r.name.clone()).collect();
    assert_eq!(
        names,
        ["vscode-dev", "pytorch-gpu", "jupyter-scipy", "rstudio-stats"],
        "newest first"
    );
    press(&mut s, "/");
    type_text(&mut s, "rstudio");
    press(&mut s, "enter");
    assert_eq!(s.notebooks.visible.len(), 1, "the filter works on notebooks");
    press(&mut s, "esc");
    press(&mut s, ":");
    type_text(&mut s, "sort status");
    press(&mut s, "enter");
    let first = s.notebooks.visible_rows().next().unwrap();
    assert_eq!(first.name, "jupyter-scipy", "sorted by status, ready first");
    let selected = s.notebooks.selected_row().unwrap().name.clone();
    let effects = press(&mut s, "y");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Fetch { kind: Kind::Notebooks, name, .. } if *name == selected)),
        "y fetches the notebook's YAML: {effects:?}"
    );
    press(&mut s, "esc");
    assert!(s.viewer.is_none());
    press(&mut s, "space");
    assert_eq!(s.notebooks.marked.len(), 1, "marks work on notebooks");
    let effects = press(&mut s, "2");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Unsubscribe(k) if *k == key)),
        "leaving the pane ends its watch"
    );
}

#[test]
fn models_pane_subscribes_while_shown_lists_rows_and_reports_a_missing_api() {
    use kftui::app::subs::Kind;
    let mut s = models_state(100, 30);
    let key = kind_key(Kind::InferenceServices, Some("kubeflow-user-example-com"));
    assert_eq!(s.models.visible.len(), 4);
    let failing = s.models.rows.iter().find(|r| r.name == "xgb-broken").unwrap();
    assert_eq!(failing.reason, "ModelLoadFailed");
    let effects = press(&mut s, "d");
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Fetch {
                kind: Kind::InferenceServices,
                ..
            }
        )),
        "d describes the model: {effects:?}"
    );
    press(&mut s, "esc");
    update(
        &mut s,
        &keymap(),
        Msg::Data(DataEvent::Status {
            key: key.clone(),
            status: SubStatus::Forbidden { message: "no".into() },
        }),
    );
    assert_eq!(s.models.source, SourceState::Forbidden { message: "no".into() });
    assert_eq!(s.runs.source, SourceState::Live, "the runs list is not touched");
}

#[test]
fn notebook_and_model_verbs_are_confirmed_and_sent_as_one_effect() {
    use kftui::kube::kubeflow_ops::{ModelVerb, NotebookVerb, Verb};
    let mut s = notebooks_state(100, 30);
    press(&mut s, "s");
    let confirm = s.confirm.as_ref().expect("stop asks first");
    assert_eq!(confirm.verb, Verb::Notebook(NotebookVerb::Stop));
    let term = draw(&s, 100, 30, &theme("default"));
    assert!(
        format!("{}", term.backend()).contains("Stop notebook vscode-dev?"),
        "the confirmation names the notebook"
    );
    let effects = press(&mut s, "y");
    assert!(
        matches!(effects.as_slice(), [Effect::RunVerb { verb: Verb::Notebook(NotebookVerb::Stop), targets, .. }]
            if targets[0].name == "vscode-dev" && targets[0].kind == kftui::app::subs::Kind::Notebooks),
        "{effects:?}"
    );
    press(&mut s, "S");
    assert_eq!(
        s.confirm.as_ref().unwrap().verb,
        Verb::Notebook(NotebookVerb::Start)
    );
    press(&mut s, "esc");
    assert!(s.confirm.is_none());

    let mut s = models_state(100, 30);
    press(&mut s, ":");
    type_text(&mut s, "canary 30");
    press(&mut s, "enter");
    assert_eq!(
        s.confirm.as_ref().unwrap().verb,
        Verb::Model(ModelVerb::Canary(30))
    );
    press(&mut s, "n");
    press(&mut s, ":");
    type_text(&mut s, "canary 130");
    press(&mut s, "enter");
    assert!(s.confirm.is_none(), "an out-of-range percent is refused");
    for (key, verb) in [
        ("P", ModelVerb::Promote),
        ("B", ModelVerb::Rollback),
        ("s", ModelVerb::Stop),
        ("S", ModelVerb::Start),
        ("D", ModelVerb::Delete),
    ] {
        press(&mut s, key);
        assert_eq!(
            s.confirm.as_ref().map(|c| c.verb),
            Some(Verb::Model(verb)),
            "{key}"
        );
        press(&mut s, "n");
    }
    press(&mut s, "2");
    press(&mut s, ":");
    type_text(&mut s, "promote");
    press(&mut s, "enter");
    assert!(
        s.confirm.is_none(),
        "a model verb outside the Models pane is refused"
    );
    s.readonly = true;
    press(&mut s, "5");
    press(&mut s, "s");
    assert!(s.confirm.is_none(), "read-only refuses model verbs");
}

#[test]
fn retry_of_a_run_that_did_not_fail_is_refused_before_asking_with_the_reason() {
    let mut s = loaded_state(100, 30);
    press(&mut s, "j");
    assert_eq!(s.runs.selected_row().unwrap().name, "xgboost-training-7k2lp");
    let effects = press(&mut s, "R");
    assert!(effects.is_empty());
    assert!(s.confirm.is_none(), "no question for a retry that cannot happen");
    let text = &s.notice.as_ref().unwrap().text;
    assert!(
        text.contains("only a failed run can be retried")
            && text.contains("xgboost nightly 2026-11-28 is Running"),
        "{text}"
    );
    // A failed run is asked about as before.
    let failed = s
        .runs
        .visible
        .iter()
        .position(|i| s.runs.rows[*i].name == "bert-finetune-m2n9c")
        .unwrap();
    s.runs.selected = failed;
    press(&mut s, "R");
    assert!(s.confirm.is_some(), "a failed run is asked about");
}

#[test]
fn ctrl_y_copies_the_selected_name_with_osc52_in_the_list_and_in_a_run_s_graph() {
    let mut s = loaded_state(100, 30);
    press(&mut s, "j");
    let effects = press(&mut s, "ctrl-y");
    assert_eq!(effects, vec![Effect::Copy("xgboost-training-7k2lp".into())]);
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains("copied xgboost-training-7k2lp")
    );
    press(&mut s, "enter");
    assert!(s.detail.is_some());
    let effects = press(&mut s, "ctrl-y");
    assert!(
        effects.contains(&Effect::Copy("xgboost-training-7k2lp".into())),
        "{effects:?}"
    );
}
