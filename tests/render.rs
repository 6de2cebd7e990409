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
fn panes_not_built_yet_say_what_they_will_show() {
    let built = [PaneId::Runs, PaneId::Notebooks, PaneId::Models];
    for pane in PaneId::ALL.into_iter().filter(|p| !built.contains(p)) {
        let mut state = loaded_state(80, 24);
        state.pane = pane;
        snapshot(&format!("pane_{}", pane.name()), &state, 80, 24, "default");
    }
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
