//! Configuration: the config file, keymaps and themes.
//!
//! The shipped keymaps and themes are TOML files embedded with `include_str!` and parsed by the same
//! code as the user's files. Loading never fails: every problem (file, line, message) is collected,
//! bad entries are skipped, good entries still apply, and the defaults fill the gaps.
//!
//! The config dir (see [`paths::config_dir`]) may hold:
//! - `config.toml`: `theme`, `keymap`, `readonly`, `log_buffer_lines`, `connect_port`,
//!   `prometheus_url`, `[context."name"] readonly` and `prometheus`;
//! - `keymap.toml`: overrides on top of the chosen keymap, key by key (`"none"` unbinds);
//! - `keymaps/<name>.toml`: a named keymap, itself applied on top of the shipped one of that name
//!   (or `default`);
//! - `themes/<name>.toml`: a named theme (`inherits` another user or shipped theme).

pub mod keymap;
pub mod paths;
pub mod theme;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

pub use keymap::{Key, KeyCode, KeyError, Keymap, KeymapError, KeymapResult, Mods, format_keys, parse_keys};
pub use theme::{Role, Theme, ThemeError};

/// Default number of log lines a logs pane keeps.
pub const DEFAULT_LOG_BUFFER_LINES: usize = 100_000;

/// One thing wrong in a config file. Displays as `file:line: message` (or `file: message`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Problem {
    /// The file, or the command-line flag (`--theme`) the problem came from.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong, and what was used instead when that is not obvious.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Settings for one kube context, from `[context."name"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextConfig {
    /// Refuse mutating actions (delete, terminate, …) in this context.
    #[serde(default)]
    pub readonly: bool,
    /// Where this context's Prometheus is: a URL, or `namespace/service:port` of the cluster.
    #[serde(default)]
    pub prometheus: Option<String>,
}

/// What the command line and the environment add to the config files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--theme`: wins over `theme` in config.toml.
    pub theme: Option<String>,
    /// `--keymap`: wins over `keymap` in config.toml.
    pub keymap: Option<String>,
    /// `NO_COLOR` is set and non-empty: use the `mono` theme whatever is configured.
    pub no_color: bool,
    /// The terminal supports 24-bit colour (`COLORTERM=truecolor|24bit`); otherwise themes that
    /// use `#rrggbb` are refused.
    pub truecolor: bool,
}

impl Overrides {
    /// Reads `NO_COLOR` and `COLORTERM` through `env` (e.g. [`paths::process_env`]); no theme or
    /// keymap override.
    pub fn from_env(env: impl Fn(&str) -> Option<OsString>) -> Overrides {
        let colorterm = env("COLORTERM").unwrap_or_default();
        Overrides {
            theme: None,
            keymap: None,
            no_color: env("NO_COLOR").is_some_and(|v| !v.is_empty()),
            truecolor: colorterm == "truecolor" || colorterm == "24bit",
        }
    }
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The theme in use (`mono` when `NO_COLOR` is set).
    pub theme: Theme,
    /// The keymap in use: the chosen keymap with `keymap.toml` applied.
    pub keymap: Keymap,
    /// Name of the theme in use.
    pub theme_name: String,
    /// Name of the keymap in use (before `keymap.toml`).
    pub keymap_name: String,
    /// Lines a logs pane keeps.
    pub log_buffer_lines: usize,
    /// Per-context settings, by kube context name.
    pub contexts: BTreeMap<String, ContextConfig>,
    /// Refuse mutating actions everywhere.
    pub readonly: bool,
    /// The first local port notebook connections try (the next free one above it is taken);
    /// `None`: any free port.
    pub connect_port: Option<u16>,
    /// Where Prometheus is (a URL, or `namespace/service:port`); `None`: the usual services.
    pub prometheus_url: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            theme: Theme::default(),
            keymap: Keymap::default(),
            theme_name: "default".into(),
            keymap_name: "default".into(),
            log_buffer_lines: DEFAULT_LOG_BUFFER_LINES,
            contexts: BTreeMap::new(),
            readonly: false,
            connect_port: None,
            prometheus_url: None,
        }
    }
}

impl Config {
    /// Whether mutating actions are refused in `context` (globally or for that context).
    pub fn readonly_for(&self, context: &str) -> bool {
        self.readonly || self.contexts.get(context).is_some_and(|c| c.readonly)
    }

    /// Where `context`'s Prometheus is, when the config says: its own entry, else
    /// `prometheus_url`.
    pub fn prometheus_for(&self, context: &str) -> Option<String> {
        self.contexts
            .get(context)
            .and_then(|c| c.prometheus.clone())
            .or_else(|| self.prometheus_url.clone())
    }
}

/// Loads the configuration from `dir`. Never fails: problems are returned and the defaults are
/// used for whatever was bad. A missing dir or file is not a problem.
pub fn load(dir: &Path, overrides: &Overrides) -> (Config, Vec<Problem>) {
    let mut problems = Vec::new();
    let file = read_config_file(dir, &mut problems);
    let mut config = Config {
        log_buffer_lines: file.log_buffer_lines.unwrap_or(DEFAULT_LOG_BUFFER_LINES),
        readonly: file.readonly.unwrap_or(false),
        connect_port: file.connect_port,
        prometheus_url: file.prometheus_url,
        contexts: file.contexts,
        ..Config::default()
    };

    let keymaps = dir.join("keymaps");
    let (name, loc) = choose(
        dir,
        "keymaps",
        overrides.keymap.as_deref(),
        "--keymap",
        file.keymap,
    );
    (config.keymap_name, config.keymap) = match Keymap::load_named(&keymaps, &name, &mut problems) {
        Ok(km) => (name, km),
        Err(e) => {
            problems.push(loc.problem(format!("{e}; using `default`")));
            // `default` always exists (shipped), perhaps with the user's keymaps/default.toml.
            let km = Keymap::load_named(&keymaps, "default", &mut problems).unwrap_or_default();
            ("default".into(), km)
        }
    };
    let user_keymap = dir.join("keymap.toml");
    if let Some(text) = read_optional(&user_keymap, &mut problems) {
        let (overlay, p) = Keymap::parse(&user_keymap, &text);
        problems.extend(p);
        config.keymap.merge(overlay);
    }

    let (name, loc) = choose(dir, "themes", overrides.theme.as_deref(), "--theme", file.theme);
    (config.theme_name, config.theme) = pick_theme(
        &dir.join("themes"),
        name,
        &loc,
        overrides.truecolor,
        &mut problems,
    );
    if overrides.no_color {
        config.theme = Theme::mono();
        config.theme_name = "mono".into();
    }
    sort_problems(&mut problems);
    (config, problems)
}

/// The theme `name`; if it is unknown or refused, the user's `default` (themes/default.toml on top
/// of the shipped one), and if that is refused too, the shipped `default`.
fn pick_theme(
    themes: &Path,
    name: String,
    loc: &Loc,
    truecolor: bool,
    problems: &mut Vec<Problem>,
) -> (String, Theme) {
    match theme::load_named(Some(themes), &name, truecolor, problems) {
        Ok(t) => (name, t),
        Err(e) if name != "default" => {
            problems.push(loc.problem(format!("{e}; using `default`")));
            let loc = Loc {
                file: themes.join("default.toml"),
                line: None,
            };
            pick_theme(themes, "default".into(), &loc, truecolor, problems)
        }
        Err(e) => {
            problems.push(loc.problem(format!("{e}; using the built-in `default`")));
            ("default".into(), Theme::default())
        }
    }
}

/// Orders problems by file, then line (stable, so same-line problems keep their order).
fn sort_problems(problems: &mut [Problem]) {
    problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
}

/// Every problem [`load`] finds, plus those in user themes and keymaps that are not selected,
/// for `kftui check-config`. Empty means the config is fine.
pub fn check(dir: &Path, overrides: &Overrides) -> Vec<Problem> {
    let (_, mut problems) = load(dir, overrides);
    for stem in toml_stems(&dir.join("keymaps")) {
        let _ = Keymap::load_named(&dir.join("keymaps"), &stem, &mut problems);
    }
    let themes = dir.join("themes");
    for stem in toml_stems(&themes) {
        // Only the selected theme is refused for lack of truecolor.
        let _ = theme::load_named(Some(&themes), &stem, true, &mut problems);
    }
    let mut seen = BTreeSet::new();
    problems.retain(|p| seen.insert(p.clone()));
    sort_problems(&mut problems);
    problems
}

/// Names of the `*.toml` files in `dir`, sorted; none if it can't be read.
fn toml_stems(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut stems: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .collect();
    stems.sort();
    stems
}

/// The command-line name if given, else the config file's, else `default` (which the user may
/// also have in `<dir>/<sub>/default.toml`), with where the name came from.
fn choose(
    dir: &Path,
    sub: &str,
    cli: Option<&str>,
    flag: &str,
    file: Option<(String, Loc)>,
) -> (String, Loc) {
    match (cli, file) {
        (Some(name), _) => (
            name.to_string(),
            Loc {
                file: flag.into(),
                line: None,
            },
        ),
        (None, Some(from_file)) => from_file,
        (None, None) => {
            let file = dir.join(sub).join("default.toml");
            ("default".to_string(), Loc { file, line: None })
        }
    }
}

/// `config.toml` as read; `None` = not set (or bad).
#[derive(Default)]
struct ConfigFile {
    theme: Option<(String, Loc)>,
    keymap: Option<(String, Loc)>,
    readonly: Option<bool>,
    log_buffer_lines: Option<usize>,
    connect_port: Option<u16>,
    prometheus_url: Option<String>,
    contexts: BTreeMap<String, ContextConfig>,
}

/// Reads `config.toml` entry by entry, so that one bad entry does not cost the others (a serde
/// struct with `deny_unknown_fields` would stop at the first problem).
fn read_config_file(dir: &Path, problems: &mut Vec<Problem>) -> ConfigFile {
    let mut out = ConfigFile::default();
    let path = dir.join("config.toml");
    let Some(text) = read_optional(&path, problems) else {
        return out;
    };
    let mut doc = Doc::new(&path, &text);
    if let Some(root) = doc.parse() {
        for (k, v) in &root {
            match k.get_ref().as_ref() {
                "theme" => out.theme = doc.value::<String>(v, "theme").map(|t| (t, doc.loc(v))),
                "keymap" => out.keymap = doc.value::<String>(v, "keymap").map(|t| (t, doc.loc(v))),
                "readonly" => out.readonly = doc.value(v, "readonly"),
                "log_buffer_lines" => match doc.value::<usize>(v, "log_buffer_lines") {
                    Some(0) => doc.problem(v.span(), "`log_buffer_lines` must be at least 1"),
                    n => out.log_buffer_lines = n,
                },
                "connect_port" => match doc.value::<u16>(v, "connect_port") {
                    Some(0) => doc.problem(
                        v.span(),
                        "`connect_port` must be from 1 to 65535 (leave it out for any free port)",
                    ),
                    n => out.connect_port = n,
                },
                "prometheus_url" => match doc.value::<String>(v, "prometheus_url") {
                    Some(u) if u.trim().is_empty() => doc.problem(
                        v.span(),
                        "`prometheus_url` is empty (leave it out to look for the usual services)",
                    ),
                    u => out.prometheus_url = u,
                },
                "context" => {
                    let Some(table) = doc.table(v, "context") else {
                        continue;
                    };
                    for (name, c) in table {
                        let what = format!("context.{}", name.get_ref());
                        if let Some(cc) = doc.value::<ContextConfig>(c, &what) {
                            out.contexts.insert(name.get_ref().to_string(), cc);
                        }
                    }
                }
                other => doc.problem(
                    k.span(),
                    format!(
                        "unknown field `{other}`, expected one of `theme`, `keymap`, `readonly`, \
                         `log_buffer_lines`, `connect_port`, `prometheus_url`, `context`"
                    ),
                ),
            }
        }
    }
    problems.extend(doc.finish());
    out
}

/// Reads a file that may be absent. Any error other than "not found" is a problem.
fn read_optional(path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            problems.push(Problem {
                file: path.into(),
                line: None,
                message: e.to_string(),
            });
            None
        }
    }
}

/// Where a value came from, for problems found after parsing (an unknown theme name, say).
#[derive(Debug, Clone)]
struct Loc {
    file: PathBuf,
    line: Option<usize>,
}

impl Loc {
    fn problem(&self, message: impl Into<String>) -> Problem {
        Problem {
            file: self.file.clone(),
            line: self.line,
            message: message.into(),
        }
    }
}

/// One TOML file being read: its text, for turning spans into lines, and its problems.
struct Doc<'s> {
    file: PathBuf,
    src: &'s str,
    problems: Vec<Problem>,
}

impl<'s> Doc<'s> {
    fn new(file: &Path, src: &'s str) -> Doc<'s> {
        Doc {
            file: file.to_path_buf(),
            src,
            problems: Vec::new(),
        }
    }

    /// Parses the document, keeping every key's and value's span. A syntax error is a problem
    /// and the whole file is skipped.
    fn parse(&mut self) -> Option<DeTable<'s>> {
        match DeTable::parse(self.src) {
            Ok(table) => Some(table.into_inner()),
            Err(e) => {
                let msg = format!("TOML syntax error: {}", e.message().trim_end());
                self.problem(e.span().unwrap_or(0..0), msg);
                None
            }
        }
    }

    /// 1-based line of a byte offset span.
    fn line(&self, span: Range<usize>) -> usize {
        let end = span.start.min(self.src.len());
        self.src.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1
    }

    fn loc<T>(&self, v: &Spanned<T>) -> Loc {
        Loc {
            file: self.file.clone(),
            line: Some(self.line(v.span())),
        }
    }

    fn problem(&mut self, span: Range<usize>, message: impl Into<String>) {
        let line = Some(self.line(span));
        self.problems.push(Problem {
            file: self.file.clone(),
            line,
            message: message.into(),
        });
    }

    /// Deserializes one value with serde; errors keep their position in the whole file.
    fn value<T: DeserializeOwned>(&mut self, v: &Spanned<DeValue<'s>>, what: &str) -> Option<T> {
        match T::deserialize(ValueDeserializer::from(v.clone())) {
            Ok(t) => Some(t),
            Err(e) => {
                let span = e.span().unwrap_or(v.span());
                self.problem(span, format!("`{what}`: {}", e.message().trim_end()));
                None
            }
        }
    }

    /// The value as a table, or a problem.
    fn table<'v>(&mut self, v: &'v Spanned<DeValue<'s>>, what: &str) -> Option<&'v DeTable<'s>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                let msg = format!("`{what}`: expected a table, found {}", other.type_str());
                self.problem(v.span(), msg);
                None
            }
        }
    }

    /// The problems, in line order.
    fn finish(mut self) -> Vec<Problem> {
        self.problems.sort_by_key(|p| p.line);
        self.problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| OsString::from(v))
    }

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn overrides_read_no_color_and_colorterm() {
        let o = Overrides::from_env(env(&[("NO_COLOR", "1"), ("COLORTERM", "24bit")]));
        assert!(o.no_color && o.truecolor);
        let o = Overrides::from_env(env(&[("NO_COLOR", ""), ("COLORTERM", "yes")]));
        assert!(!o.no_color && !o.truecolor);
    }

    #[test]
    fn empty_dir_gives_defaults_and_no_problems() {
        let dir = tempfile::tempdir().unwrap();
        let (c, problems) = load(&dir.path().join("missing"), &Overrides::default());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(c.theme_name, "default");
        assert_eq!(c.keymap_name, "default");
        assert_eq!(c.log_buffer_lines, DEFAULT_LOG_BUFFER_LINES);
        assert_eq!(c.keymap, Keymap::default());
        assert!(!c.readonly_for("prod"));
    }

    #[test]
    fn connect_port_is_a_port() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "config.toml", "connect_port = 8888\n");
        let (c, problems) = load(dir.path(), &Overrides::default());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(c.connect_port, Some(8888));
        for bad in [
            "connect_port = 0\n",
            "connect_port = 70000\n",
            "connect_port = \"auto\"\n",
        ] {
            write(dir.path(), "config.toml", bad);
            let (c, problems) = load(dir.path(), &Overrides::default());
            assert_eq!(c.connect_port, None, "{bad}");
            assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
            assert!(problems[0].to_string().contains("connect_port"), "{problems:?}");
        }
    }

    #[test]
    fn config_file_entries_apply_and_bad_ones_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "config.toml",
            "theme = \"light\"\nlog_buffer_lines = \"many\"\ncolour = 1\nkeymap = \"arrows\"\n\
             [context.prod]\nreadonly = true\n[context.dev]\nreadnly = true\n",
        );
        let (c, problems) = load(dir.path(), &Overrides::default());
        let file = dir.path().join("config.toml");
        let got: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let f = file.display();
        assert_eq!(
            got,
            [
                format!("{f}:2: `log_buffer_lines`: invalid type: string \"many\", expected usize"),
                format!(
                    "{f}:3: unknown field `colour`, expected one of `theme`, `keymap`, \
                     `readonly`, `log_buffer_lines`, `connect_port`, `prometheus_url`, `context`"
                ),
                format!("{f}:8: `context.dev`: unknown field `readnly`, expected `readonly` or `prometheus`"),
            ]
        );
        assert_eq!(c.theme_name, "light");
        assert_eq!(c.keymap_name, "arrows");
        assert_eq!(c.log_buffer_lines, DEFAULT_LOG_BUFFER_LINES);
        assert!(c.readonly_for("prod"));
        assert!(!c.readonly_for("dev"));
    }

    #[test]
    fn cli_overrides_win_and_unknown_names_fall_back() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "config.toml",
            "theme = \"light\"\nkeymap = \"nope\"\n",
        );
        let o = Overrides {
            theme: Some("fancy".into()),
            ..Overrides::default()
        };
        let (c, problems) = load(dir.path(), &o);
        assert_eq!(c.theme_name, "default");
        assert_eq!(c.keymap_name, "default");
        let got: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let f = dir.path().join("config.toml");
        assert_eq!(
            got,
            [
                format!(
                    "{}:2: unknown keymap `nope` (expected default, arrows or a file \
                     keymaps/nope.toml); using `default`",
                    f.display()
                ),
                "--theme: unknown theme `fancy` (expected default, light, high-contrast, mono \
                 or a file themes/fancy.toml); using `default`"
                    .to_string(),
            ]
        );
    }

    #[test]
    fn fallback_is_the_users_default_then_the_builtin() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "config.toml", "theme = \"nope\"\nkeymap = \"nope\"\n");
        write(
            dir.path(),
            "themes/default.toml",
            "inherits = \"default\"\n[styles]\ntext = { fg = \"#010203\" }\n",
        );
        write(dir.path(), "keymaps/default.toml", "[global]\nx = \"quit\"\n");
        let (c, problems) = load(dir.path(), &Overrides::default());
        let got: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(got[2].starts_with("theme `default` uses #rrggbb"), "{got:#?}");
        assert!(got[2].ends_with("using the built-in `default`"), "{got:#?}");
        assert_eq!(c.theme, Theme::default());
        let pane = crate::app::pane::PaneId::Runs;
        assert_eq!(
            c.keymap.keys_for(pane, crate::app::action::Action::Quit),
            vec!["q", "x", "ctrl-c"]
        );

        let truecolor = Overrides {
            truecolor: true,
            ..Overrides::default()
        };
        let (c, _) = load(dir.path(), &truecolor);
        assert_eq!(
            c.theme.style(Role::Text).fg,
            Some(ratatui::style::Color::Rgb(1, 2, 3))
        );
    }

    #[test]
    fn no_color_forces_mono() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "config.toml", "theme = \"high-contrast\"\n");
        let o = Overrides {
            no_color: true,
            ..Overrides::default()
        };
        let (c, problems) = load(dir.path(), &o);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(c.theme_name, "mono");
        assert_eq!(c.theme, Theme::mono());
    }

    #[test]
    fn user_keymap_files_layer_on_the_chosen_keymap() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "config.toml", "keymap = \"mine\"\n");
        write(dir.path(), "keymaps/mine.toml", "[global]\nx = \"quit\"\n");
        write(dir.path(), "keymap.toml", "[global]\nq = \"none\"\n");
        let (c, problems) = load(dir.path(), &Overrides::default());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(c.keymap_name, "mine");
        let quit = c
            .keymap
            .keys_for(crate::app::pane::PaneId::Runs, crate::app::action::Action::Quit);
        assert_eq!(quit, vec!["x", "ctrl-c"]);
    }

    #[test]
    fn check_reports_unselected_user_files_once() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "themes/a.toml",
            "[styles]\ntext = { fg = \"purple\" }\n",
        );
        write(dir.path(), "themes/b.toml", "inherits = \"a\"\n");
        let problems = check(dir.path(), &Overrides::default());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, Some(2));
    }
}
