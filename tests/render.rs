#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Render snapshots of the shell and the Runs pane, at two sizes and two themes, with a fixed
//! clock. A change to what the screen shows fails here with a reviewable diff.

mod support;

use kftui::app::pane::PaneId;
use support::*;

fn snapshot(name: &str, state: &kftui::app::state::State, w: u16, h: u16, theme: &str) {
    let term = draw(state, w, h, &support::theme(theme));
    insta::assert_snapshot!(format!("{name}_{w}x{h}_{theme}"), term.backend());
}

#[test]
fn runs_pane_at_two_sizes_and_two_themes() {
    for (w, h) in [(80, 24), (160, 48)] {
        for theme in ["default", "mono"] {
            let state = loaded_state(w, h);
            snapshot("runs", &state, w, h, theme);
        }
    }
}

#[test]
fn runs_pane_with_the_filter_open() {
    let mut state = loaded_state(80, 24);
    press(&mut state, "/");
    type_text(&mut state, "xgboost");
    snapshot("runs_filtering", &state, 80, 24, "default");
}

#[test]
fn help_overlay_lists_keys_and_commands() {
    let mut state = loaded_state(100, 40);
    press(&mut state, "?");
    snapshot("help", &state, 100, 40, "default");
}

#[test]
fn the_logs_pane_before_any_logs_says_how_to_open_some() {
    let mut state = loaded_state(80, 24);
    state.pane = PaneId::Logs;
    snapshot("pane_logs", &state, 80, 24, "default");
}

#[test]
fn notebooks_and_models_panes_at_two_sizes_and_two_themes() {
    for (w, h) in [(80, 24), (160, 48)] {
        for theme in ["default", "mono"] {
            snapshot("notebooks", &notebooks_state(w, h), w, h, theme);
            snapshot("models", &models_state(w, h), w, h, theme);
        }
    }
}

#[test]
fn notebooks_and_models_panes_say_why_they_are_empty() {
    let mut state = loaded_state(80, 24);
    press(&mut state, "4");
    snapshot("notebooks_loading", &state, 80, 24, "default");
    let key = kind_key(
        kftui::app::subs::Kind::InferenceServices,
        Some("kubeflow-user-example-com"),
    );
    press(&mut state, "5");
    kftui::app::update::update(
        &mut state,
        &keymap(),
        kftui::app::msg::Msg::Data(kftui::app::msg::DataEvent::Status {
            key,
            status: kftui::app::msg::SubStatus::NotInstalled,
        }),
    );
    snapshot("models_not_installed", &state, 80, 24, "default");
}

#[test]
fn notebook_and_model_status_reads_without_colour() {
    for (state, words) in [
        (
            notebooks_state(120, 30),
            &["● Ready", "○ Waiting", "■ Stopped", "! Warning"][..],
        ),
        (
            models_state(120, 30),
            &["✓ Ready", "✗ NotReady", "■ Stopped", "ModelLoadFailed", "80/20"][..],
        ),
    ] {
        let term = draw(&state, 120, 30, &theme("mono"));
        let text = format!("{}", term.backend());
        for word in words {
            assert!(text.contains(word), "{word} is readable without colour:\n{text}");
        }
    }
}

#[test]
fn mono_theme_has_no_colours_and_status_reads_without_them() {
    let state = loaded_state(120, 30);
    let term = draw(&state, 120, 30, &theme("mono"));
    let buf = term.backend().buffer();
    for cell in buf.content() {
        assert_eq!(
            cell.fg,
            ratatui::style::Color::Reset,
            "mono sets no foreground colour"
        );
        assert_eq!(
            cell.bg,
            ratatui::style::Color::Reset,
            "mono sets no background colour"
        );
    }
    let text = format!("{}", term.backend());
    for word in ["✗ Failed", "● Running", "✓ Succeeded", "○ Pending", "! Error"] {
        assert!(
            text.contains(word),
            "status {word} is readable without colour:\n{text}"
        );
    }
}

#[test]
fn hostile_names_are_shown_visibly_not_sent_to_the_terminal() {
    let state = loaded_state(120, 30);
    let term = draw(&state, 120, 30, &theme("default"));
    let text = format!("{}", term.backend());
    assert!(text.contains("evil-␛]0;pwned␇-run"), "{text}");
    for cell in term.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(char::is_control),
            "a control character reached the screen"
        );
    }
}

#[test]
fn missing_crd_forbidden_and_unreachable_read_as_sentences() {
    use kftui::app::msg::{DataEvent, Msg, SubStatus};
    let cases = [
        (SubStatus::NotInstalled, "Argo Workflows is not installed in this cluster: no workflows.argoproj.io API."),
        (
            SubStatus::Forbidden {
                message: "workflows.argoproj.io is forbidden: User \"alice\" cannot list resource \"workflows\" in API group \"argoproj.io\" in the namespace \"team-a\"".into(),
            },
            "Not allowed to list runs: workflows.argoproj.io is forbidden: User \"alice\" cannot list",
        ),
        (SubStatus::Failed { message: "the server is currently unable to handle the request (500)".into() }, "Cannot list runs: the server is currently unable"),
    ];
    for (status, expected) in cases {
        let mut state = state_with(120, 24, "team-a", Vec::new());
        kftui::app::update::update(
            &mut state,
            &keymap(),
            Msg::Data(DataEvent::Status {
                key: key_for(Some("team-a")),
                status,
            }),
        );
        let text = format!("{}", draw(&state, 120, 24, &theme("default")).backend()).replace("\"\n\"", "");
        let flat: String = text.split('│').map(str::trim).collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(expected) || text.contains(expected),
            "expected {expected:?} in:\n{text}"
        );
    }
}

#[test]
fn training_and_experiments_panes_from_the_fixtures_at_two_sizes_and_two_themes() {
    if support::kubeflow::fixtures().is_none() {
        return;
    }
    for (w, h) in [(80, 24), (160, 48)] {
        for theme in ["default", "mono"] {
            let state = support::kubeflow::training_state(w, h);
            snapshot("training", &state, w, h, theme);
            let state = support::kubeflow::experiments_state(w, h);
            snapshot("experiments", &state, w, h, theme);
        }
    }
    let text = format!(
        "{}",
        draw(
            &support::kubeflow::training_state(160, 48),
            160,
            48,
            &theme("mono")
        )
        .backend()
    );
    for word in [
        "multi-node-example",
        "✓ Complete",
        "● Running",
        "‖ Suspended",
        "torch-distributed",
        "JAX",
        "XGBoost",
        "✓ Succeeded",
        "45%",
        "loss=0.4121",
        "3/3",
        "0/3",
    ] {
        assert!(text.contains(word), "{word} on the Training pane:\n{text}");
    }
    let text = format!(
        "{}",
        draw(
            &support::kubeflow::experiments_state(160, 48),
            160,
            48,
            &theme("mono")
        )
        .backend()
    );
    for word in [
        "darts-example",
        "✓ Succeeded",
        "Best-Genotype ↑",
        "darts",
        "1✓ 0● 0✗ /1",
        "random",
        "loss ↓ 0.001",
        "○ Created",
    ] {
        assert!(text.contains(word), "{word} on the Experiments pane:\n{text}");
    }
}

#[test]
fn training_job_detail_shows_conditions_jobs_and_runtimes() {
    if support::kubeflow::fixtures().is_none() {
        return;
    }
    for (w, h) in [(80, 24), (160, 48)] {
        let mut state = support::kubeflow::training_state(w, h);
        let at = state
            .training
            .visible_rows()
            .position(|r| r.name == "multi-node-example")
            .unwrap();
        press(&mut state, "g g");
        for _ in 0..at {
            press(&mut state, "j");
        }
        press(&mut state, "enter");
        let key = kind_key(kftui::app::subs::Kind::ClusterTrainingRuntimes, None);
        assert!(state.subs.contains(&key), "an open job lists the runtimes");
        kftui::app::update::update(
            &mut state,
            &keymap(),
            kftui::app::msg::Msg::Data(kftui::app::msg::DataEvent::TrainingRuntimes {
                key,
                rows: vec![support::kubeflow::fixture_runtime()].into(),
            }),
        );
        snapshot("training_detail", &state, w, h, "default");
        if h == 48 {
            let text = format!("{}", draw(&state, w, h, &theme("mono")).backend());
            for word in [
                "trainjob/multi-node-example",
                "ClusterTrainingRuntime torch-distributed",
                "AllJobsCompleted",
                "jobset completed successfully",
                "Replicated jobs (1)",
                "★ torch-distributed",
            ] {
                assert!(text.contains(word), "{word} in the detail:\n{text}");
            }
        }
        press(&mut state, "esc");
        assert!(state.train.open.is_none(), "esc closes the detail");
    }
}

#[test]
fn experiment_detail_tables_trials_charts_the_objective_and_marks_the_best() {
    use kftui::app::msg::{DataEvent, Msg};
    use kftui::app::subs::Kind;
    let experiments = support::kubeflow::seeded_experiments();
    let trials = support::kubeflow::seeded_trials("random-search-lr");
    assert!(trials.len() >= 6, "{} trials", trials.len());
    for (w, h) in [(80, 24), (160, 48)] {
        let mut state = loaded_state(w, h);
        press(&mut state, "7");
        kftui::app::update::update(
            &mut state,
            &keymap(),
            Msg::Data(DataEvent::Experiments {
                key: kind_key(Kind::Experiments, Some("kubeflow-user-example-com")),
                rows: experiments.clone().into(),
            }),
        );
        press(&mut state, ":");
        type_text(&mut state, "sort name asc");
        press(&mut state, "enter");
        let at = state
            .experiments
            .visible_rows()
            .position(|r| r.name == "random-search-lr")
            .unwrap();
        press(&mut state, "g g");
        for _ in 0..at {
            press(&mut state, "j");
        }
        press(&mut state, "enter");
        let key = kftui::app::subs::SubKey {
            selector: Some("katib.kubeflow.org/experiment=random-search-lr".into()),
            ..kind_key(Kind::Trials, Some("kubeflow-user-example-com"))
        };
        assert!(
            state.subs.contains(&key),
            "the open experiment watches its trials"
        );
        kftui::app::update::update(
            &mut state,
            &keymap(),
            Msg::Data(DataEvent::Trials {
                key,
                rows: trials.clone().into(),
            }),
        );
        snapshot("experiment_detail", &state, w, h, "default");
        let text = format!("{}", draw(&state, w, h, &theme("mono")).backend());
        let best = state
            .experiments
            .rows
            .iter()
            .find(|r| r.name == "random-search-lr")
            .unwrap()
            .best_trial
            .clone();
        assert!(
            text.contains(&format!("★ {best}")),
            "the best trial is marked:\n{text}"
        );
        for word in ["LR", "MOMENTUM", "OPTIMIZER", "LOSS", "ACCURACY", "loss over"] {
            assert!(text.contains(word), "{word} in the detail:\n{text}");
        }
        // Sorting by the objective puts the best (lowest loss) trial first.
        press(&mut state, ":");
        type_text(&mut state, "sort loss asc");
        press(&mut state, "enter");
        let d = state.experiment.as_ref().unwrap();
        assert_eq!(d.ordered().next().map(|t| t.name.as_str()), Some(best.as_str()));
        if w == 160 {
            snapshot("experiment_detail_by_loss", &state, w, h, "default");
        }
        press(&mut state, ":");
        type_text(&mut state, "sort loss");
        press(&mut state, "enter");
        let d = state.experiment.as_ref().unwrap();
        assert!(d.sort.descending, "the same column again reverses");
        assert_ne!(d.ordered().next().map(|t| t.name.as_str()), Some(best.as_str()));
        // `l` follows the selected trial's logs.
        press(&mut state, "g g");
        let first = state
            .experiment
            .as_ref()
            .unwrap()
            .selected_trial()
            .unwrap()
            .name
            .clone();
        press(&mut state, "l");
        assert_eq!(state.pane, PaneId::Logs);
        let subject = &state.logs.as_ref().unwrap().subject;
        assert_eq!(
            subject,
            &kftui::app::logs::LogSubject::trial("kubeflow-user-example-com", &first)
        );
    }
}

#[test]
fn training_pane_keeps_showing_when_one_api_is_missing() {
    use kftui::app::msg::{DataEvent, Msg, SubStatus};
    use kftui::app::subs::Kind;
    use kftui::kube::resources::train_job::JobKind;
    let mut state = loaded_state(100, 24);
    press(&mut state, "6");
    for kind in [JobKind::PyTorch, JobKind::Tf] {
        kftui::app::update::update(
            &mut state,
            &keymap(),
            Msg::Data(DataEvent::Status {
                key: kind_key(Kind::Training(kind), Some("kubeflow-user-example-com")),
                status: SubStatus::NotInstalled,
            }),
        );
    }
    let text = format!("{}", draw(&state, 100, 24, &theme("default")).backend());
    assert!(
        text.contains("Loading training jobs"),
        "still waiting for TrainJobs:\n{text}"
    );
    kftui::app::update::update(
        &mut state,
        &keymap(),
        Msg::Data(DataEvent::Status {
            key: kind_key(
                Kind::Training(JobKind::TrainJob),
                Some("kubeflow-user-example-com"),
            ),
            status: SubStatus::NotInstalled,
        }),
    );
    snapshot("training_not_installed", &state, 100, 24, "default");
    let text = format!("{}", draw(&state, 100, 24, &theme("default")).backend());
    assert!(text.contains("Kubeflow Trainer is not installed"), "{text}");
    if support::kubeflow::fixtures().is_some() {
        support::kubeflow::deliver_training(
            &mut state,
            JobKind::PyTorch,
            support::kubeflow::fixture_legacy_jobs(),
        );
        let text = format!("{}", draw(&state, 100, 24, &theme("default")).backend());
        assert!(text.contains("jaxjob-mnist"), "legacy jobs still show:\n{text}");
        assert!(text.contains("no TrainJob API"), "{text}");
    }
}
