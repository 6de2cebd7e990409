//! Themes: styles for named roles, not for widgets.
//!
//! A theme file has `name`, `inherits` (another theme, or `"none"`), a `[palette]` of named colours
//! and `[styles]`: role name → `{ fg, bg, bold, italic, underlined, reversed, dim }`. Colours are
//! palette names, the 16 ANSI names, `reset`, or `#rrggbb` (only on truecolor terminals). A role
//! that a theme leaves out falls back along [`Role::fallback`] (`status.error` → `status.failed` →
//! `text`), so new roles don't break old themes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use super::{Doc, Loc, Problem};

macro_rules! roles {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal => $fallback:expr ),* $(,)?) => {
        /// What a piece of the screen is, for choosing its style.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Role {
            $( $(#[$doc])* $variant, )*
        }

        impl Role {
            /// Every role.
            pub const ALL: &'static [Role] = &[ $( Role::$variant, )* ];

            /// The name used in theme files (`text`, `border_focused`, `status.failed`, …).
            pub fn name(self) -> &'static str {
                match self { $( Role::$variant => $name, )* }
            }

            /// The role whose style is used when a theme does not style this one.
            pub fn fallback(self) -> Option<Role> {
                match self { $( Role::$variant => $fallback, )* }
            }
        }
    };
}

roles! {
    /// Ordinary text; the root every fallback ends at.
    Text = "text" => None,
    /// Secondary text: hints, ages, placeholders.
    Muted = "muted" => Some(Role::Text),
    /// Pane and popup titles.
    Title = "title" => Some(Role::Text),
    /// Table column headers.
    Header = "header" => Some(Role::Title),
    /// Borders of unfocused panes.
    Border = "border" => Some(Role::Text),
    /// Border of the focused pane.
    BorderFocused = "border_focused" => Some(Role::Border),
    /// The selected row.
    Selection = "selection" => Some(Role::Text),
    /// Tab bar entries.
    Tab = "tab" => Some(Role::Text),
    /// The active tab.
    TabActive = "tab_active" => Some(Role::Selection),
    /// Keys in the footer and the help screen.
    KeyHint = "key_hint" => Some(Role::Title),
    /// Informational status-bar notice.
    NoticeInfo = "notice.info" => Some(Role::Text),
    /// Warning notice.
    NoticeWarn = "notice.warn" => Some(Role::NoticeInfo),
    /// Error notice.
    NoticeError = "notice.error" => Some(Role::StatusFailed),
    /// Status: succeeded.
    StatusSucceeded = "status.succeeded" => Some(Role::Text),
    /// Status: failed.
    StatusFailed = "status.failed" => Some(Role::Text),
    /// Status: running.
    StatusRunning = "status.running" => Some(Role::Text),
    /// Status: pending.
    StatusPending = "status.pending" => Some(Role::Muted),
    /// Status: error (a failure of the system rather than of the workload).
    StatusError = "status.error" => Some(Role::StatusFailed),
    /// Status: skipped or omitted.
    StatusSkipped = "status.skipped" => Some(Role::Muted),
    /// Status: unknown.
    StatusUnknown = "status.unknown" => Some(Role::Muted),
    /// Data that may be out of date (disconnected, re-listing).
    Stale = "stale" => Some(Role::Muted),
    /// The filter bar.
    Filter = "filter" => Some(Role::Command),
    /// The `:` command line.
    Command = "command" => Some(Role::Text),
    /// Popups (help, confirm, which-key).
    Popup = "popup" => Some(Role::Text),
}

impl Role {
    /// Looks a role up by its theme-file name.
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.name() == name)
    }
}

const ROLE_COUNT: usize = Role::ALL.len();

/// The shipped themes: name and TOML source.
const SHIPPED: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// A resolved theme: a style for each role it sets; the rest fall back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// The name it was loaded by.
    pub name: String,
    styles: [Option<Style>; ROLE_COUNT],
}

impl Default for Theme {
    /// The shipped `default` theme.
    fn default() -> Theme {
        Theme::builtin("default").unwrap_or_else(|| Theme::empty("default"))
    }
}

impl Theme {
    /// Names of the themes shipped inside the binary.
    pub const BUILTIN: [&'static str; 4] = ["default", "light", "high-contrast", "mono"];

    fn empty(name: &str) -> Theme {
        Theme {
            name: name.to_string(),
            styles: [None; ROLE_COUNT],
        }
    }

    /// The style for `role`, following fallbacks; the terminal's default style if none is set.
    pub fn style(&self, role: Role) -> Style {
        let mut next = Some(role);
        while let Some(r) = next {
            if let Some(style) = self.styles[r as usize] {
                return style;
            }
            next = r.fallback();
        }
        Style::default()
    }

    /// The TOML source of a shipped theme.
    pub fn builtin_source(name: &str) -> Option<&'static str> {
        SHIPPED.iter().find(|(n, _)| *n == name).map(|(_, src)| *src)
    }

    /// A shipped theme, parsed by the same code as user files.
    pub fn builtin(name: &str) -> Option<Theme> {
        load_named(None, name, true, &mut Vec::new()).ok()
    }

    /// The `mono` theme: no colours at all, for `NO_COLOR`.
    pub fn mono() -> Theme {
        Theme::builtin("mono").unwrap_or_else(|| Theme::empty("mono"))
    }
}

/// Why a theme could not be used at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    /// Neither a user theme nor a shipped one has this name.
    #[error("unknown theme `{0}` (expected {known} or a file themes/{0}.toml)", known = Theme::BUILTIN.join(", "))]
    Unknown(String),
    /// The theme uses `#rrggbb` and the terminal did not say it supports truecolor.
    #[error(
        "theme `{0}` uses #rrggbb colours but the terminal does not report truecolor \
         (COLORTERM=truecolor or 24bit)"
    )]
    NeedsTruecolor(String),
}

/// Why a colour string is not a colour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColorError {
    /// Not a palette name, ANSI name, `reset` or `#rrggbb`.
    #[error(
        "unknown colour `{0}` (expected a palette name, one of the 16 ANSI names such as \
         `dark-gray`, `reset`, or #rrggbb)"
    )]
    Unknown(String),
}

const ANSI: &[(&str, Color)] = &[
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("grey", Color::Gray),
    ("dark-gray", Color::DarkGray),
    ("dark-grey", Color::DarkGray),
    ("light-red", Color::LightRed),
    ("light-green", Color::LightGreen),
    ("light-yellow", Color::LightYellow),
    ("light-blue", Color::LightBlue),
    ("light-magenta", Color::LightMagenta),
    ("light-cyan", Color::LightCyan),
    ("white", Color::White),
    ("reset", Color::Reset),
];

/// Parses an ANSI colour name, `reset` or `#rrggbb`.
pub fn parse_color(s: &str) -> Result<Color, ColorError> {
    if let Some((_, c)) = ANSI.iter().find(|(n, _)| *n == s) {
        return Ok(*c);
    }
    if let Some(hex) = s.strip_prefix('#')
        && hex.len() == 6
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && let Ok(rgb) = u32::from_str_radix(hex, 16)
    {
        let [_, r, g, b] = rgb.to_be_bytes();
        return Ok(Color::Rgb(r, g, b));
    }
    Err(ColorError::Unknown(s.to_string()))
}

/// A `[styles]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<Spanned<String>>,
    bg: Option<Spanned<String>>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underlined: bool,
    #[serde(default)]
    reversed: bool,
    #[serde(default)]
    dim: bool,
}

/// A `[styles]` entry with its colours still unresolved (palettes merge before they resolve).
#[derive(Debug, Clone)]
struct RawStyle {
    fg: Option<(String, Loc)>,
    bg: Option<(String, Loc)>,
    modifier: Modifier,
}

/// One theme file as read.
#[derive(Debug, Default)]
struct RawTheme {
    inherits: Option<(String, Loc)>,
    palette: BTreeMap<String, (String, Loc)>,
    styles: BTreeMap<Role, RawStyle>,
}

fn builtin_path(name: &str) -> PathBuf {
    PathBuf::from(format!("(built-in) themes/{name}.toml"))
}

fn parse_raw(file: &Path, src: &str, name: &str, problems: &mut Vec<Problem>) -> RawTheme {
    let mut doc = Doc::new(file, src);
    let mut raw = RawTheme::default();
    if let Some(root) = doc.parse() {
        for (k, v) in &root {
            match k.get_ref().as_ref() {
                "name" => {
                    if let Some(n) = doc.value::<String>(v, "name")
                        && n != name
                    {
                        let msg = format!("`name` is `{n}` but the theme is loaded as `{name}`");
                        doc.problem(v.span(), msg);
                    }
                }
                "inherits" => {
                    raw.inherits = doc.value::<String>(v, "inherits").map(|p| (p, doc.loc(v)));
                }
                "palette" => {
                    let Some(table) = doc.table(v, "palette") else {
                        continue;
                    };
                    for (pk, pv) in table {
                        let what = format!("palette.{}", pk.get_ref());
                        if let Some(c) = doc.value::<String>(pv, &what) {
                            raw.palette.insert(pk.get_ref().to_string(), (c, doc.loc(pv)));
                        }
                    }
                }
                "styles" => {
                    let Some(table) = doc.table(v, "styles") else {
                        continue;
                    };
                    for (rk, rv) in table {
                        let role_name = rk.get_ref().as_ref();
                        let Some(role) = Role::from_name(role_name) else {
                            doc.problem(rk.span(), unknown_role(role_name));
                            continue;
                        };
                        let Some(spec) = doc.value::<StyleSpec>(rv, role_name) else {
                            continue;
                        };
                        let mut modifier = Modifier::empty();
                        for (on, m) in [
                            (spec.bold, Modifier::BOLD),
                            (spec.italic, Modifier::ITALIC),
                            (spec.underlined, Modifier::UNDERLINED),
                            (spec.reversed, Modifier::REVERSED),
                            (spec.dim, Modifier::DIM),
                        ] {
                            if on {
                                modifier |= m;
                            }
                        }
                        let colour =
                            |c: Option<Spanned<String>>| c.map(|c| (c.get_ref().clone(), doc.loc(&c)));
                        let style = RawStyle {
                            fg: colour(spec.fg),
                            bg: colour(spec.bg),
                            modifier,
                        };
                        raw.styles.insert(role, style);
                    }
                }
                other => doc.problem(
                    k.span(),
                    format!(
                        "unknown field `{other}`, expected one of `name`, `inherits`, `palette`, \
                         `styles`"
                    ),
                ),
            }
        }
    }
    problems.extend(doc.finish());
    raw
}

fn unknown_role(name: &str) -> String {
    let alt = |from, to| Role::from_name(&name.replace(from, to));
    match alt('_', ".").or_else(|| alt('.', "_")) {
        Some(r) => format!("unknown role `{name}` (did you mean `{}`?)", r.name()),
        None => {
            let names: Vec<_> = Role::ALL.iter().map(|r| r.name()).collect();
            format!("unknown role `{name}`, expected one of {}", names.join(", "))
        }
    }
}

/// Loads the theme called `name`: the user's `<themes_dir>/<name>.toml` if there is one, else the
/// shipped theme, following `inherits` (a user theme may inherit the shipped theme of its own
/// name). Problems in the files are added to `problems`; an unknown name or an RGB theme on a
/// terminal without truecolor is an error, and the caller picks another theme.
pub fn load_named(
    themes_dir: Option<&Path>,
    name: &str,
    truecolor: bool,
    problems: &mut Vec<Problem>,
) -> Result<Theme, ThemeError> {
    let mut found = Vec::new();
    let theme = load_chain(themes_dir, name, truecolor, &mut found);
    super::sort_problems(&mut found);
    problems.extend(found);
    theme
}

fn load_chain(
    themes_dir: Option<&Path>,
    name: &str,
    truecolor: bool,
    problems: &mut Vec<Problem>,
) -> Result<Theme, ThemeError> {
    let mut chain = Vec::new();
    let (mut seen_user, mut seen_shipped) = (BTreeSet::new(), BTreeSet::new());
    let mut next: Option<(String, Option<Loc>)> = Some((name.to_string(), None));
    while let Some((n, from)) = next.take() {
        let user_path = themes_dir.map(|d| d.join(format!("{n}.toml")));
        let user = match &user_path {
            Some(p) if !seen_user.contains(&n) => super::read_optional(p, problems),
            _ => None,
        };
        let found = match (user, user_path) {
            (Some(text), Some(path)) => {
                seen_user.insert(n.clone());
                Some((path, text))
            }
            _ => match Theme::builtin_source(&n) {
                Some(src) if seen_shipped.insert(n.clone()) => Some((builtin_path(&n), src.to_string())),
                _ => None,
            },
        };
        let Some((path, text)) = found else {
            let Some(from) = from else {
                return Err(ThemeError::Unknown(n));
            };
            let msg = if seen_user.contains(&n) || seen_shipped.contains(&n) {
                format!("`inherits = \"{n}\"` makes a cycle; ignored")
            } else {
                format!("{}; ignored", ThemeError::Unknown(n))
            };
            problems.push(from.problem(msg));
            break;
        };
        let raw = parse_raw(&path, &text, &n, problems);
        next = raw
            .inherits
            .clone()
            .filter(|(p, _)| p != "none")
            .map(|(p, loc)| (p, Some(loc)));
        chain.push(raw);
    }
    resolve(name, chain, truecolor, problems)
}

/// Merges an inheritance chain (child first) and resolves its colours.
fn resolve(
    name: &str,
    chain: Vec<RawTheme>,
    truecolor: bool,
    problems: &mut Vec<Problem>,
) -> Result<Theme, ThemeError> {
    let mut palette = BTreeMap::new();
    let mut specs = BTreeMap::new();
    for raw in chain.into_iter().rev() {
        palette.extend(raw.palette);
        specs.extend(raw.styles);
    }
    let mut colours = BTreeMap::new();
    for (pname, (value, loc)) in palette {
        match parse_color(&value) {
            Ok(c) => {
                colours.insert(pname, c);
            }
            Err(e) => problems.push(loc.problem(format!("`palette.{pname}`: {e}"))),
        }
    }
    let mut theme = Theme::empty(name);
    let mut uses_rgb = false;
    for (role, raw) in specs {
        let mut style = Style::default().add_modifier(raw.modifier);
        for (which, spec) in [("fg", raw.fg), ("bg", raw.bg)] {
            let Some((value, loc)) = spec else { continue };
            match colours
                .get(&value)
                .copied()
                .map_or_else(|| parse_color(&value), Ok)
            {
                Ok(c) => {
                    uses_rgb |= matches!(c, Color::Rgb(..));
                    style = if which == "fg" { style.fg(c) } else { style.bg(c) };
                }
                Err(e) => problems.push(loc.problem(format!("`{}.{which}`: {e}", role.name()))),
            }
        }
        theme.styles[role as usize] = Some(style);
    }
    if uses_rgb && !truecolor {
        return Err(ThemeError::NeedsTruecolor(name.to_string()));
    }
    Ok(theme)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Stylize;

    fn themes_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(format!("{name}.toml")), text).unwrap();
        }
        dir
    }

    fn load(dir: &Path, name: &str, truecolor: bool) -> (Result<Theme, ThemeError>, Vec<String>) {
        let mut problems = Vec::new();
        let t = load_named(Some(dir), name, truecolor, &mut problems);
        (
            t,
            problems
                .iter()
                .map(|p| format!("{}: {}", p.line.unwrap_or(0), p.message))
                .collect(),
        )
    }

    #[test]
    fn shipped_themes_parse_cleanly() {
        for name in Theme::BUILTIN {
            let mut problems = Vec::new();
            let theme = load_named(None, name, false, &mut problems);
            assert!(problems.is_empty(), "{name}: {problems:?}");
            let theme = theme.unwrap();
            assert_eq!(theme.name, name);
            // Selection is reversed in every shipped theme (crossterm ≤ 0.29 and NO_COLOR safe).
            let sel = theme.style(Role::Selection);
            assert!(sel.add_modifier.contains(Modifier::REVERSED), "{name}");
        }
    }

    #[test]
    fn default_theme_uses_only_ansi_colours() {
        let t = Theme::default();
        for role in Role::ALL {
            let s = t.style(*role);
            for c in [s.fg, s.bg].into_iter().flatten() {
                assert!(
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                    "{role:?}: {c:?}"
                );
            }
        }
        assert_eq!(t.style(Role::StatusFailed).fg, Some(Color::Red));
    }

    #[test]
    fn mono_has_no_colours() {
        let t = Theme::mono();
        for role in Role::ALL {
            let s = t.style(*role);
            assert_eq!((s.fg, s.bg), (None, None), "{role:?}");
        }
        assert!(t.style(Role::Selection).add_modifier.contains(Modifier::REVERSED));
        assert!(t.style(Role::StatusFailed).add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn roles_fall_back() {
        let dir = themes_dir(&[(
            "t",
            "[styles]\ntext = { fg = \"white\" }\nborder = { fg = \"blue\" }\n\"status.failed\" = { fg = \"red\" }\n",
        )]);
        let (t, problems) = load(dir.path(), "t", false);
        assert!(problems.is_empty(), "{problems:?}");
        let t = t.unwrap();
        assert_eq!(t.style(Role::StatusError).fg, Some(Color::Red));
        assert_eq!(t.style(Role::BorderFocused).fg, Some(Color::Blue));
        assert_eq!(t.style(Role::Header).fg, Some(Color::White));
        assert_eq!(t.style(Role::Filter).fg, Some(Color::White));
        for role in Role::ALL {
            let mut r = *role;
            let mut hops = 0;
            while let Some(next) = r.fallback() {
                r = next;
                hops += 1;
                assert!(hops < Role::ALL.len(), "fallback cycle at {role:?}");
            }
            assert_eq!(r, Role::Text);
        }
    }

    #[test]
    fn inherits_merges_palette_and_styles() {
        let dir = themes_dir(&[
            (
                "base",
                "[palette]\naccent = \"cyan\"\n[styles]\ntitle = { fg = \"accent\", bold = true }\nmuted = { dim = true }\n",
            ),
            (
                "child",
                "inherits = \"base\"\n[palette]\naccent = \"magenta\"\n[styles]\nmuted = { italic = true }\n",
            ),
            // A user theme may extend the shipped theme of the same name.
            (
                "default",
                "inherits = \"default\"\n[styles]\ntext = { fg = \"green\" }\n",
            ),
            ("loop1", "inherits = \"loop2\"\n"),
            ("loop2", "inherits = \"loop1\"\n"),
        ]);
        let (t, problems) = load(dir.path(), "child", false);
        assert!(problems.is_empty(), "{problems:?}");
        let t = t.unwrap();
        assert_eq!(t.style(Role::Title), Style::default().fg(Color::Magenta).bold());
        assert_eq!(t.style(Role::Muted), Style::default().italic());

        let (t, problems) = load(dir.path(), "default", false);
        assert!(problems.is_empty(), "{problems:?}");
        let t = t.unwrap();
        assert_eq!(t.style(Role::Text).fg, Some(Color::Green));
        assert_eq!(
            t.style(Role::StatusFailed),
            Theme::default().style(Role::StatusFailed)
        );

        let (t, problems) = load(dir.path(), "loop1", false);
        assert!(t.is_ok());
        assert_eq!(problems, ["1: `inherits = \"loop1\"` makes a cycle; ignored"]);
    }

    #[test]
    fn rgb_needs_truecolor() {
        let dir = themes_dir(&[(
            "rgb",
            "[palette]\nbg = \"#102030\"\n[styles]\npopup = { bg = \"bg\" }\n",
        )]);
        let (t, _) = load(dir.path(), "rgb", false);
        assert_eq!(t, Err(ThemeError::NeedsTruecolor("rgb".into())));
        let (t, problems) = load(dir.path(), "rgb", true);
        assert!(problems.is_empty());
        assert_eq!(
            t.unwrap().style(Role::Popup).bg,
            Some(Color::Rgb(0x10, 0x20, 0x30))
        );
    }

    #[test]
    fn bad_entries_are_reported_and_skipped() {
        let dir = themes_dir(&[(
            "bad",
            "name = \"bad\"\n[palette]\nx = \"purple\"\n[styles]\ntext = { fg = \"x\" }\nstatus_failed = {}\nborder = { fg = \"#12345\", bold = true }\ntitle = { colour = \"red\" }\nmuted = { fg = \"dark-gray\" }\n",
        )]);
        let (t, problems) = load(dir.path(), "bad", false);
        assert_eq!(
            problems,
            [
                "3: `palette.x`: unknown colour `purple` (expected a palette name, one of the 16 ANSI names such as `dark-gray`, `reset`, or #rrggbb)",
                "5: `text.fg`: unknown colour `x` (expected a palette name, one of the 16 ANSI names such as `dark-gray`, `reset`, or #rrggbb)",
                "6: unknown role `status_failed` (did you mean `status.failed`?)",
                "7: `border.fg`: unknown colour `#12345` (expected a palette name, one of the 16 ANSI names such as `dark-gray`, `reset`, or #rrggbb)",
                "8: `title`: unknown field `colour`, expected one of `fg`, `bg`, `bold`, `italic`, `underlined`, `reversed`, `dim`",
            ]
        );
        let t = t.unwrap();
        assert_eq!(t.style(Role::Muted).fg, Some(Color::DarkGray));
        assert_eq!(t.style(Role::Border), Style::default().bold());
    }

    #[test]
    fn colours_parse() {
        assert_eq!(parse_color("dark-gray"), Ok(Color::DarkGray));
        assert_eq!(parse_color("light-magenta"), Ok(Color::LightMagenta));
        assert_eq!(parse_color("reset"), Ok(Color::Reset));
        assert_eq!(parse_color("#ff8000"), Ok(Color::Rgb(255, 128, 0)));
        assert!(parse_color("#ff80001").is_err());
        assert!(parse_color("+ff800").is_err());
    }
}
