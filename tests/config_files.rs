//! Config dirs under tests/configs: every `valid/*` loads without problems; every `invalid/*`
//! reports exactly the problems in its `expected.txt` (paths relative to the case dir), and the
//! good entries around the bad ones still apply.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use kftui::app::action::Action;
use kftui::app::pane::PaneId;
use kftui::config::{self, Key, KeymapResult, Overrides, Role, Theme, parse_keys};
use ratatui::style::{Color, Modifier};

fn cases(kind: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/configs")
        .join(kind);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no cases in {}", root.display());
    dirs
}

fn case(kind: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/configs")
        .join(kind)
        .join(name)
}

/// Problems as `file:line: message`, with the file relative to the case dir.
fn render(dir: &Path, problems: &[config::Problem]) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            let p = config::Problem {
                file: p.file.strip_prefix(dir).unwrap_or(&p.file).to_path_buf(),
                ..p.clone()
            };
            p.to_string()
        })
        .collect()
}

fn resolve(config: &config::Config, pane: PaneId, keys: &str) -> KeymapResult {
    config.keymap.resolve(pane, &parse_keys(keys).unwrap())
}

#[test]
fn valid_configs_have_no_problems() {
    for dir in cases("valid") {
        let problems = config::check(&dir, &Overrides::default());
        assert!(
            problems.is_empty(),
            "{}: {:#?}",
            dir.display(),
            render(&dir, &problems)
        );
    }
}

#[test]
fn invalid_configs_report_every_problem_with_its_line() {
    for dir in cases("invalid") {
        let expected = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
        let expected: Vec<&str> = expected.lines().filter(|l| !l.is_empty()).collect();
        let problems = config::check(&dir, &Overrides::default());
        assert_eq!(render(&dir, &problems), expected, "{}", dir.display());
        // Startup sees the same problems (all selected files here) and never fails.
        let (_, at_startup) = config::load(&dir, &Overrides::default());
        assert_eq!(at_startup, problems, "{}", dir.display());
    }
}

#[test]
fn full_config_applies_every_layer() {
    let dir = case("valid", "full");
    let (c, problems) = config::load(&dir, &Overrides::default());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!((c.theme_name.as_str(), c.keymap_name.as_str()), ("ocean", "mine"));
    assert_eq!(c.theme.name, "ocean");
    assert_eq!(c.log_buffer_lines, 5000);
    assert!(c.readonly_for("prod-cluster"));
    assert!(!c.readonly_for("dev"));
    // Theme: own styles, inherited palette override, inherited styles from `default`.
    assert_eq!(c.theme.style(Role::Popup).bg, Some(Color::Black));
    assert_eq!(c.theme.style(Role::BorderFocused).fg, Some(Color::Blue));
    assert_eq!(c.theme.style(Role::Title).fg, Some(Color::Blue));
    assert_eq!(
        c.theme.style(Role::StatusFailed),
        Theme::default().style(Role::StatusFailed)
    );
    // Keymap: shipped default ⊕ keymaps/mine.toml ⊕ keymap.toml.
    let runs = PaneId::Runs;
    assert_eq!(resolve(&c, runs, "q"), KeymapResult::NoMatch);
    assert_eq!(resolve(&c, runs, "ctrl-q"), KeymapResult::Matched(Action::Quit));
    assert_eq!(resolve(&c, runs, "alt-h"), KeymapResult::Matched(Action::Help));
    assert_eq!(resolve(&c, runs, "z"), KeymapResult::Pending);
    assert_eq!(resolve(&c, runs, "z z"), KeymapResult::Matched(Action::Redraw));
    assert_eq!(resolve(&c, runs, "enter"), KeymapResult::Matched(Action::Logs));
    assert_eq!(
        resolve(&c, PaneId::Models, "enter"),
        KeymapResult::Matched(Action::Open),
        "the Runs pane's binding stays there; Models keeps its own"
    );
    assert_eq!(
        resolve(&c, PaneId::Logs, "space"),
        KeymapResult::Matched(Action::PageDown)
    );
    assert_eq!(c.keymap.keys_for(runs, Action::Quit), vec!["ctrl-c", "ctrl-q"]);
}

#[test]
fn shipped_names_and_user_extensions() {
    let (c, _) = config::load(&case("valid", "arrows-mono"), &Overrides::default());
    assert_eq!(
        (c.theme_name.as_str(), c.keymap_name.as_str()),
        ("mono", "arrows")
    );
    assert_eq!(
        resolve(&c, PaneId::Runs, "f10"),
        KeymapResult::Matched(Action::Quit)
    );
    assert_eq!(resolve(&c, PaneId::Runs, "j"), KeymapResult::NoMatch);

    let (c, _) = config::load(&case("valid", "extend-shipped"), &Overrides::default());
    assert_eq!(
        resolve(&c, PaneId::Runs, "f4"),
        KeymapResult::Matched(Action::Filter)
    );
    assert_eq!(
        resolve(&c, PaneId::Runs, "f10"),
        KeymapResult::Matched(Action::Quit)
    );
    let sel = c.theme.style(Role::Selection).add_modifier;
    assert!(sel.contains(Modifier::REVERSED | Modifier::BOLD));
    assert_eq!(c.theme.style(Role::StatusFailed).fg, Some(Color::Red));
}

#[test]
fn good_entries_survive_bad_ones() {
    let (c, _) = config::load(&case("invalid", "bad-action"), &Overrides::default());
    assert_eq!(
        resolve(&c, PaneId::Runs, "x"),
        KeymapResult::Matched(Action::Quit)
    );
    assert_eq!(
        resolve(&c, PaneId::Runs, "l"),
        KeymapResult::Matched(Action::Logs)
    );
    // The bad `q` entry is skipped, so the default binding stays.
    assert_eq!(
        resolve(&c, PaneId::Runs, "q"),
        KeymapResult::Matched(Action::Quit)
    );

    let (c, _) = config::load(&case("invalid", "bad-key"), &Overrides::default());
    assert_eq!(
        resolve(&c, PaneId::Runs, "ctrl-c"),
        KeymapResult::Matched(Action::Quit)
    );

    let (c, _) = config::load(&case("invalid", "unknown-field"), &Overrides::default());
    assert_eq!(c.theme_name, "light");
    assert_eq!(c.log_buffer_lines, config::DEFAULT_LOG_BUFFER_LINES);

    let (c, _) = config::load(&case("invalid", "unknown-colour"), &Overrides::default());
    assert_eq!(c.theme_name, "mine");
    assert_eq!(c.theme.style(Role::Border).fg, Some(Color::Blue));
    assert_eq!(c.theme.style(Role::Title), Theme::default().style(Role::Text));

    let (c, _) = config::load(&case("invalid", "syntax-error"), &Overrides::default());
    assert_eq!(c.theme_name, "default");

    let (c, _) = config::load(&case("invalid", "rgb-without-truecolor"), &Overrides::default());
    assert_eq!(c.theme_name, "default");
    let truecolor = Overrides {
        truecolor: true,
        ..Overrides::default()
    };
    let (c, problems) = config::load(&case("invalid", "rgb-without-truecolor"), &truecolor);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(c.theme.style(Role::Title).fg, Some(Color::Rgb(0xff, 0x88, 0x00)));
}

#[test]
fn no_color_wins_over_any_theme() {
    let o = Overrides {
        no_color: true,
        theme: Some("high-contrast".into()),
        ..Overrides::default()
    };
    let (c, problems) = config::load(&case("valid", "full"), &o);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(c.theme_name, "mono");
    for role in Role::ALL {
        let s = c.theme.style(*role);
        assert_eq!((s.fg, s.bg), (None, None), "{role:?}");
    }
}

#[test]
fn keys_display_canonically() {
    let k: Key = "<C-d>".parse().unwrap();
    assert_eq!(k.to_string(), "ctrl-d");
}
