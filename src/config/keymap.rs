//! Keys, key sequences and keymaps.
//!
//! A keymap file has a `[global]` section and one `[pane.<name>]` section per pane. Each entry binds
//! a key sequence (`"ctrl-c"`, `"g g"`, `"<C-d>"`) to an [`Action`] name, or to `"none"`, which
//! unbinds it. Lookups try the focused pane's section first, then `[global]`; a `"none"` in a pane
//! section also hides the global binding of that key in that pane.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crossterm::event::{KeyCode as CtCode, KeyEvent, KeyModifiers};
use toml::de::{DeTable, DeValue};

use super::{Doc, Problem};
use crate::app::action::Action;
use crate::app::pane::PaneId;

/// A key without modifiers. Independent of the terminal backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    /// A printable character, as typed (`G` is the character `G`, not shift-g).
    Char(char),
    Enter,
    Esc,
    Tab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    /// Function key `F(1)` … `F(12)`.
    F(u8),
    /// A key kftui has no name for (caps lock, media keys, …). Never bound.
    Unknown,
}

/// Modifier keys held with a [`KeyCode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Mods {
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

impl Mods {
    /// No modifiers.
    pub const NONE: Mods = Mods {
        ctrl: false,
        alt: false,
        shift: false,
    };
    /// Control only.
    pub const CTRL: Mods = Mods {
        ctrl: true,
        alt: false,
        shift: false,
    };
    /// Alt (meta) only.
    pub const ALT: Mods = Mods {
        ctrl: false,
        alt: true,
        shift: false,
    };
    /// Shift only (for named keys; shifted characters carry no shift).
    pub const SHIFT: Mods = Mods {
        ctrl: false,
        alt: false,
        shift: true,
    };
}

/// One key press: a key plus modifiers, in normal form (see [`Key::new`]).
///
/// Parsed from `ctrl-c`, `alt-x`, `shift-tab`, `enter`, `G`, `?`, `<C-c>`, `<S-Tab>`, `<CR>`, …
/// and displayed in the canonical lower-case form (`ctrl-c`, `shift-tab`, `space`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCode,
    pub mods: Mods,
}

impl Key {
    /// Builds a key in normal form: shift is dropped from characters (the character is already
    /// shifted), and a shifted lower-case letter becomes the upper-case letter.
    pub fn new(code: KeyCode, mods: Mods) -> Key {
        match code {
            KeyCode::Char(c) if mods.shift => Key {
                code: KeyCode::Char(c.to_ascii_uppercase()),
                mods: Mods { shift: false, ..mods },
            },
            _ => Key { code, mods },
        }
    }

    /// A character without modifiers.
    pub const fn char(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: Mods::NONE,
        }
    }

    /// A key with control held.
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: Mods::CTRL,
        }
    }

    /// A key without modifiers.
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            mods: Mods::NONE,
        }
    }

    /// Sort key for listings: fewer modifiers first, then characters before named keys
    /// (so a footer shows `q` before `ctrl-c`, and `j` before `down`).
    fn rank(&self) -> (u8, KeyCode) {
        let m = u8::from(self.mods.ctrl) + u8::from(self.mods.alt) + u8::from(self.mods.shift);
        (m, self.code)
    }
}

/// Why a key string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Nothing to parse.
    #[error("empty key")]
    Empty,
    /// A word that names no key (`escape` is fine, `hyper` is not).
    #[error("unknown key name `{0}`")]
    UnknownName(String),
    /// `shift-1` and the like: terminals send the shifted character instead.
    #[error("shift only combines with letters and named keys; write the character itself")]
    ShiftChar,
}

/// Names accepted for non-character keys, lower case. The first name of each key is canonical.
const NAMES: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("cr", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backspace", KeyCode::Backspace),
    ("bs", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("ins", KeyCode::Insert),
    ("space", KeyCode::Char(' ')),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pgup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("pgdn", KeyCode::PageDown),
];

fn code_from_name(name: &str) -> Result<KeyCode, KeyError> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Ok(KeyCode::Char(c));
    }
    let lower = name.to_ascii_lowercase();
    if let Some((_, code)) = NAMES.iter().find(|(n, _)| *n == lower) {
        return Ok(*code);
    }
    if lower == "backtab" {
        return Ok(KeyCode::Tab); // shift is added by the caller
    }
    if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok())
        && (1..=12).contains(&n)
    {
        return Ok(KeyCode::F(n));
    }
    Err(KeyError::UnknownName(name.to_string()))
}

/// Splits `ctrl-alt-x` (or vim's `C-A-x` inside `<…>`) into modifiers and the key name.
fn split_mods(mut s: &str, vim: bool) -> (Mods, &str) {
    let mut mods = Mods::NONE;
    while let Some((prefix, rest)) = s.split_once('-') {
        if rest.is_empty() {
            break; // `ctrl--` is ctrl + the `-` key; a lone `-` is the `-` key
        }
        let p = prefix.to_ascii_lowercase();
        match (vim, p.as_str()) {
            (false, "ctrl") | (true, "c") => mods.ctrl = true,
            (false, "alt") | (true, "a") | (true, "m") => mods.alt = true,
            (false, "shift") | (true, "s") => mods.shift = true,
            _ => break,
        }
        s = rest;
    }
    (mods, s)
}

impl FromStr for Key {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Key, KeyError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(KeyError::Empty);
        }
        let vim = s.len() > 2 && s.starts_with('<') && s.ends_with('>');
        let inner = if vim { &s[1..s.len() - 1] } else { s };
        let (mut mods, name) = split_mods(inner, vim);
        let code = code_from_name(name)?;
        if name.eq_ignore_ascii_case("backtab") {
            mods.shift = true;
        }
        if let KeyCode::Char(c) = code
            && mods.shift
            && !c.is_alphabetic()
        {
            return Err(KeyError::ShiftChar);
        }
        Ok(Key::new(code, mods))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.mods.alt {
            f.write_str("alt-")?;
        }
        if self.mods.shift {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Unknown => f.write_str("unknown"),
            code => {
                let name = NAMES
                    .iter()
                    .find(|(_, c)| *c == code)
                    .map_or("unknown", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

impl From<KeyEvent> for Key {
    fn from(ev: KeyEvent) -> Key {
        let mut mods = Mods {
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
            shift: ev.modifiers.contains(KeyModifiers::SHIFT),
        };
        let code = match ev.code {
            CtCode::Char(c) => KeyCode::Char(c),
            CtCode::Enter => KeyCode::Enter,
            CtCode::Esc => KeyCode::Esc,
            CtCode::Tab => KeyCode::Tab,
            CtCode::BackTab => {
                mods.shift = true;
                KeyCode::Tab
            }
            CtCode::Backspace => KeyCode::Backspace,
            CtCode::Delete => KeyCode::Delete,
            CtCode::Insert => KeyCode::Insert,
            CtCode::Up => KeyCode::Up,
            CtCode::Down => KeyCode::Down,
            CtCode::Left => KeyCode::Left,
            CtCode::Right => KeyCode::Right,
            CtCode::Home => KeyCode::Home,
            CtCode::End => KeyCode::End,
            CtCode::PageUp => KeyCode::PageUp,
            CtCode::PageDown => KeyCode::PageDown,
            CtCode::F(n) => KeyCode::F(n),
            _ => KeyCode::Unknown,
        };
        Key::new(code, mods)
    }
}

/// Parses a space-separated key sequence such as `"g g"` or `"<C-w> j"`.
pub fn parse_keys(s: &str) -> Result<Vec<Key>, KeyError> {
    let keys = s
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<Vec<Key>, _>>()?;
    if keys.is_empty() {
        return Err(KeyError::Empty);
    }
    Ok(keys)
}

/// Displays a key sequence canonically, keys separated by one space.
pub fn format_keys(keys: &[Key]) -> String {
    keys.iter().map(Key::to_string).collect::<Vec<_>>().join(" ")
}

/// What a key sequence means in a pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeymapResult {
    /// The sequence is bound to this action.
    Matched(Action),
    /// The sequence is the start of a longer binding: wait for the next key.
    Pending,
    /// Nothing is bound to the sequence.
    NoMatch,
}

/// A keymap name that is neither shipped nor a user file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    /// No `keymaps/<name>.toml` in the config dir and no shipped keymap of that name.
    #[error("unknown keymap `{0}` (expected {known} or a file keymaps/{0}.toml)", known = Keymap::BUILTIN.join(", "))]
    Unknown(String),
}

/// Key sequence → action (`None` = explicitly unbound).
type Section = BTreeMap<Vec<Key>, Option<Action>>;

/// The shipped keymaps: name and TOML source.
const SHIPPED: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("arrows", include_str!("../../keymaps/arrows.toml")),
];

/// The views that read a keymap section of their own, `[view.<name>]`, before the sections below
/// them (a pane's, `[global]`).
pub const VIEW_SECTIONS: &[&str] = &[
    "run-detail",
    "pipeline-detail",
    "model-detail",
    "training-detail",
    "experiment-detail",
    "viewer",
    "compare",
    "connections",
    "form",
    "yaml-editor",
    "notebook-form",
    "model-test",
    "test-history",
    "picker",
    "confirm",
    "help",
    "command",
    "filter",
    "search",
];

/// A section of a keymap: where a view looks a key up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Pane(PaneId),
    /// `[view.<name>]`, a name of [`VIEW_SECTIONS`].
    View(&'static str),
}

/// Key bindings: a `[global]` section, one section per pane and one per view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    global: Section,
    panes: BTreeMap<PaneId, Section>,
    views: BTreeMap<&'static str, Section>,
}

impl Default for Keymap {
    /// The shipped `default` keymap.
    fn default() -> Keymap {
        Keymap::builtin("default").unwrap_or_else(Keymap::empty)
    }
}

impl Keymap {
    /// Names of the keymaps shipped inside the binary.
    pub const BUILTIN: [&'static str; 2] = ["default", "arrows"];

    /// A keymap that binds nothing.
    pub fn empty() -> Keymap {
        Keymap {
            global: Section::new(),
            panes: BTreeMap::new(),
            views: BTreeMap::new(),
        }
    }

    /// The TOML source of a shipped keymap.
    pub fn builtin_source(name: &str) -> Option<&'static str> {
        SHIPPED.iter().find(|(n, _)| *n == name).map(|(_, src)| *src)
    }

    /// A shipped keymap, parsed by the same code as user files. Another shipped keymap than
    /// `default` takes its `[view.*]` sections from `default` where it does not write its own.
    pub fn builtin(name: &str) -> Option<Keymap> {
        let src = Keymap::builtin_source(name)?;
        let own = Keymap::parse(&builtin_path(name), src).0;
        if name == "default" {
            return Some(own);
        }
        let mut km = Keymap::builtin("default")?;
        km.global = Section::new();
        km.panes.clear();
        km.merge(own);
        Some(km)
    }

    /// Parses a keymap file. Bad entries are reported and skipped; the good ones are kept.
    pub fn parse(file: &Path, src: &str) -> (Keymap, Vec<Problem>) {
        let mut doc = Doc::new(file, src);
        let mut km = Keymap::empty();
        if let Some(root) = doc.parse() {
            for (k, v) in &root {
                match k.get_ref().as_ref() {
                    "global" => {
                        if let Some(t) = doc.table(v, "global") {
                            parse_section(&mut doc, "global", t, &mut km.global);
                        }
                    }
                    "pane" => {
                        let Some(t) = doc.table(v, "pane") else {
                            continue;
                        };
                        for (pk, pv) in t {
                            let name = pk.get_ref().as_ref();
                            let Some(pane) = PaneId::from_name(name) else {
                                let known: Vec<_> = PaneId::ALL.iter().map(|p| p.name()).collect();
                                let msg =
                                    format!("unknown pane `{name}`, expected one of {}", known.join(", "));
                                doc.problem(pk.span(), msg);
                                continue;
                            };
                            if let Some(t) = doc.table(pv, &format!("pane.{name}")) {
                                let section = km.panes.entry(pane).or_default();
                                parse_section(&mut doc, &format!("pane.{name}"), t, section);
                            }
                        }
                    }
                    "view" => {
                        let Some(t) = doc.table(v, "view") else {
                            continue;
                        };
                        for (vk, vv) in t {
                            let name = vk.get_ref().as_ref();
                            let Some(view) = VIEW_SECTIONS.iter().copied().find(|v| *v == name) else {
                                let msg = format!(
                                    "unknown view `{name}`, expected one of {}",
                                    VIEW_SECTIONS.join(", ")
                                );
                                doc.problem(vk.span(), msg);
                                continue;
                            };
                            if let Some(t) = doc.table(vv, &format!("view.{name}")) {
                                let section = km.views.entry(view).or_default();
                                parse_section(&mut doc, &format!("view.{name}"), t, section);
                            }
                        }
                    }
                    other => {
                        let msg = format!(
                            "unknown section `{other}`, expected `global`, `pane.<name>` or `view.<name>`"
                        );
                        doc.problem(k.span(), msg);
                    }
                }
            }
        }
        (km, doc.finish())
    }

    /// The keymap called `name`: the user's `<keymaps_dir>/<name>.toml` applied on top of the
    /// shipped keymap of that name (or `default`), else the shipped one. Problems in the user file
    /// are added to `problems`.
    pub fn load_named(
        keymaps_dir: &Path,
        name: &str,
        problems: &mut Vec<Problem>,
    ) -> Result<Keymap, KeymapError> {
        let path = keymaps_dir.join(format!("{name}.toml"));
        let user = super::read_optional(&path, problems);
        match (Keymap::builtin(name), user) {
            (None, None) => Err(KeymapError::Unknown(name.to_string())),
            (Some(shipped), None) => Ok(shipped),
            (shipped, Some(text)) => {
                let mut km = shipped.unwrap_or_default();
                let (overlay, p) = Keymap::parse(&path, &text);
                problems.extend(p);
                km.merge(overlay);
                Ok(km)
            }
        }
    }

    /// Applies `overlay` on top of `self`, key by key: its bindings replace ours and its
    /// `"none"` entries unbind.
    pub fn merge(&mut self, overlay: Keymap) {
        merge_section(&mut self.global, overlay.global);
        for (pane, section) in overlay.panes {
            merge_section(self.panes.entry(pane).or_default(), section);
        }
        for (view, section) in overlay.views {
            merge_section(self.views.entry(view).or_default(), section);
        }
    }

    fn section(&self, scope: Scope) -> Option<&Section> {
        match scope {
            Scope::Global => Some(&self.global),
            Scope::Pane(p) => self.panes.get(&p),
            Scope::View(v) => self.views.get(v),
        }
    }

    fn sections<'a>(&'a self, scopes: &'a [Scope]) -> impl Iterator<Item = &'a Section> + 'a {
        scopes.iter().filter_map(|s| self.section(*s))
    }

    /// Resolves the keys typed so far in `pane`: the pane's section first, then `[global]`.
    pub fn resolve(&self, pane: PaneId, keys: &[Key]) -> KeymapResult {
        self.resolve_in(&[Scope::Pane(pane), Scope::Global], keys)
    }

    /// Resolves the keys typed so far in the given sections, the first that knows them winning.
    pub fn resolve_in(&self, scopes: &[Scope], keys: &[Key]) -> KeymapResult {
        if keys.is_empty() {
            return KeymapResult::NoMatch;
        }
        for section in self.sections(scopes) {
            match section.get(keys) {
                Some(Some(action)) => return KeymapResult::Matched(*action),
                Some(None) => return KeymapResult::NoMatch,
                None => {}
            }
            let longer = section
                .iter()
                .any(|(seq, a)| a.is_some() && seq.len() > keys.len() && seq.starts_with(keys));
            if longer {
                return KeymapResult::Pending;
            }
        }
        KeymapResult::NoMatch
    }

    /// Effective bindings in `pane`, keys as displayed, ordered by action, then simplest key first.
    pub fn bindings(&self, pane: PaneId) -> Vec<(String, Action)> {
        self.bindings_in(&[Scope::Pane(pane), Scope::Global])
    }

    /// Effective bindings of the given sections, keys as displayed, ordered by action, then
    /// simplest key first.
    pub fn bindings_in(&self, scopes: &[Scope]) -> Vec<(String, Action)> {
        let mut seen = std::collections::BTreeSet::new();
        let mut out: Vec<(&Vec<Key>, Action)> = Vec::new();
        for section in self.sections(scopes) {
            for (seq, action) in section {
                if seen.insert(seq)
                    && let Some(a) = action
                {
                    out.push((seq, *a));
                }
            }
        }
        out.sort_by_key(|(seq, a)| (*a, seq.len(), seq.iter().map(Key::rank).collect::<Vec<_>>()));
        out.into_iter().map(|(seq, a)| (format_keys(seq), a)).collect()
    }

    /// The keys that trigger `action` in `pane`, simplest first (for footer hints and help).
    pub fn keys_for(&self, pane: PaneId, action: Action) -> Vec<String> {
        self.keys_in(&[Scope::Pane(pane), Scope::Global], action)
    }

    /// The keys that trigger `action` in the given sections, simplest first.
    pub fn keys_in(&self, scopes: &[Scope], action: Action) -> Vec<String> {
        self.bindings_in(scopes)
            .into_iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| k)
            .collect()
    }

    /// Bindings in `pane` that continue the pending `prefix`, shown as the keys still to type
    /// (for a which-key popup while [`KeymapResult::Pending`]).
    pub fn continuations(&self, pane: PaneId, prefix: &[Key]) -> Vec<(String, Action)> {
        self.continuations_in(&[Scope::Pane(pane), Scope::Global], prefix)
    }

    /// Bindings of the given sections that continue the pending `prefix`.
    pub fn continuations_in(&self, scopes: &[Scope], prefix: &[Key]) -> Vec<(String, Action)> {
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for section in self.sections(scopes) {
            for (seq, action) in section {
                if seq.len() > prefix.len()
                    && seq.starts_with(prefix)
                    && seen.insert(seq)
                    && let Some(a) = action
                {
                    out.push((format_keys(&seq[prefix.len()..]), *a));
                }
            }
        }
        out
    }
}

fn builtin_path(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("(built-in) keymaps/{name}.toml"))
}

/// Overlay entries replace base entries. An unbinding (`None`) is kept, not removed, so that a
/// pane's `"none"` also hides the global binding of that key in that pane.
fn merge_section(base: &mut Section, overlay: Section) {
    base.extend(overlay);
}

fn parse_section(doc: &mut Doc<'_>, section: &str, table: &DeTable<'_>, out: &mut Section) {
    // Visit entries in file order so a duplicate is reported where it appears second.
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    let mut lines: BTreeMap<Vec<Key>, (String, usize)> = BTreeMap::new();
    for (k, v) in entries {
        let text = k.get_ref().as_ref();
        let keys = match parse_keys(text) {
            Ok(keys) => keys,
            Err(e) => {
                doc.problem(k.span(), format!("bad key `{text}` in [{section}]: {e}"));
                continue;
            }
        };
        let action = match v.get_ref() {
            DeValue::String(s) if s == "none" => None,
            DeValue::String(s) => match Action::from_name(s) {
                Some(a) => Some(a),
                None => {
                    doc.problem(
                        v.span(),
                        format!("unknown action `{s}` for `{text}` in [{section}]"),
                    );
                    continue;
                }
            },
            _ => {
                let msg = format!("`{text}` in [{section}]: expected an action name or \"none\"");
                doc.problem(v.span(), msg);
                continue;
            }
        };
        if let Some((first, line)) = lines.get(&keys) {
            let msg = format!("`{text}` is bound twice in [{section}] (also as `{first}` on line {line})");
            doc.problem(k.span(), msg);
            continue;
        }
        lines.insert(keys.clone(), (text.to_string(), doc.line(k.span())));
        out.insert(keys, action);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        s.parse().unwrap()
    }

    fn keys(s: &str) -> Vec<Key> {
        parse_keys(s).unwrap()
    }

    fn parse_ok(src: &str) -> Keymap {
        let (km, problems) = Keymap::parse(Path::new("k.toml"), src);
        assert!(problems.is_empty(), "{problems:?}");
        km
    }

    #[test]
    fn keys_round_trip_canonically() {
        let cases = [
            ("ctrl-c", "ctrl-c"),
            ("<C-c>", "ctrl-c"),
            ("Ctrl-C", "ctrl-C"),
            ("alt-x", "alt-x"),
            ("<A-x>", "alt-x"),
            ("<M-x>", "alt-x"),
            ("shift-tab", "shift-tab"),
            ("<S-Tab>", "shift-tab"),
            ("backtab", "shift-tab"),
            ("enter", "enter"),
            ("<CR>", "enter"),
            ("esc", "esc"),
            ("<Esc>", "esc"),
            ("tab", "tab"),
            ("<Tab>", "tab"),
            ("space", "space"),
            ("<Space>", "space"),
            ("backspace", "backspace"),
            ("delete", "delete"),
            ("up", "up"),
            ("down", "down"),
            ("left", "left"),
            ("right", "right"),
            ("home", "home"),
            ("end", "end"),
            ("pageup", "pageup"),
            ("pgup", "pageup"),
            ("pagedown", "pagedown"),
            ("pgdn", "pagedown"),
            ("f1", "f1"),
            ("F12", "f12"),
            ("?", "?"),
            (":", ":"),
            ("/", "/"),
            ("G", "G"),
            ("shift-g", "G"),
            ("-", "-"),
            ("ctrl--", "ctrl--"),
            ("<", "<"),
            ("ctrl-alt-delete", "ctrl-alt-delete"),
        ];
        for (input, canonical) in cases {
            let k = key(input);
            assert_eq!(k.to_string(), canonical, "{input}");
            assert_eq!(key(canonical), k, "{canonical} parses back");
        }
        assert_eq!(key("G"), Key::char('G'));
        assert_eq!(format_keys(&keys("g  g")), "g g");
    }

    #[test]
    fn bad_keys_are_refused() {
        assert_eq!("".parse::<Key>(), Err(KeyError::Empty));
        assert_eq!(
            "hyper-x".parse::<Key>(),
            Err(KeyError::UnknownName("hyper-x".into()))
        );
        assert_eq!(
            "ctrl-foo".parse::<Key>(),
            Err(KeyError::UnknownName("foo".into()))
        );
        assert_eq!("f13".parse::<Key>(), Err(KeyError::UnknownName("f13".into())));
        assert_eq!("shift-1".parse::<Key>(), Err(KeyError::ShiftChar));
        assert_eq!(parse_keys("  "), Err(KeyError::Empty));
    }

    #[test]
    fn crossterm_events_are_normalised() {
        use crossterm::event::{KeyCode as C, KeyModifiers as M};
        let ev = |c, m| Key::from(KeyEvent::new(c, m));
        assert_eq!(ev(C::Char('G'), M::SHIFT), key("G"));
        assert_eq!(ev(C::Char('?'), M::SHIFT), key("?"));
        assert_eq!(ev(C::Char('c'), M::CONTROL), key("ctrl-c"));
        assert_eq!(ev(C::BackTab, M::SHIFT), key("shift-tab"));
        assert_eq!(ev(C::BackTab, M::NONE), key("shift-tab"));
        assert_eq!(ev(C::PageDown, M::NONE), key("pgdn"));
        assert_eq!(ev(C::CapsLock, M::NONE).code, KeyCode::Unknown);
    }

    #[test]
    fn sequences_are_pending_until_complete() {
        let km = parse_ok("[global]\n\"g g\" = \"top\"\n\"G\" = \"bottom\"\n");
        let p = PaneId::Runs;
        assert_eq!(km.resolve(p, &keys("g")), KeymapResult::Pending);
        assert_eq!(km.resolve(p, &keys("g g")), KeymapResult::Matched(Action::Top));
        assert_eq!(km.resolve(p, &keys("g x")), KeymapResult::NoMatch);
        assert_eq!(km.resolve(p, &keys("G")), KeymapResult::Matched(Action::Bottom));
        assert_eq!(km.resolve(p, &[]), KeymapResult::NoMatch);
        assert_eq!(
            km.continuations(p, &keys("g")),
            vec![("g".to_string(), Action::Top)]
        );
    }

    #[test]
    fn pane_section_wins_over_global() {
        let km =
            parse_ok("[global]\nl = \"next-pane\"\nx = \"quit\"\n[pane.runs]\nl = \"logs\"\nx = \"none\"\n");
        assert_eq!(
            km.resolve(PaneId::Runs, &keys("l")),
            KeymapResult::Matched(Action::Logs)
        );
        assert_eq!(
            km.resolve(PaneId::Logs, &keys("l")),
            KeymapResult::Matched(Action::NextPane)
        );
        assert_eq!(km.resolve(PaneId::Runs, &keys("x")), KeymapResult::NoMatch);
        assert_eq!(
            km.resolve(PaneId::Logs, &keys("x")),
            KeymapResult::Matched(Action::Quit)
        );
        assert_eq!(km.keys_for(PaneId::Runs, Action::Quit), Vec::<String>::new());
        assert_eq!(km.keys_for(PaneId::Logs, Action::Quit), vec!["x"]);
    }

    #[test]
    fn user_file_overrides_key_by_key_and_none_unbinds() {
        let mut km = Keymap::default();
        let user = parse_ok("[global]\nq = \"none\"\n\"<C-q>\" = \"quit\"\nk = \"down\"\n");
        km.merge(user);
        let p = PaneId::Pipelines;
        assert_eq!(km.resolve(p, &keys("q")), KeymapResult::NoMatch);
        assert_eq!(
            km.resolve(p, &keys("ctrl-q")),
            KeymapResult::Matched(Action::Quit)
        );
        assert_eq!(
            km.resolve(p, &keys("ctrl-c")),
            KeymapResult::Matched(Action::Quit)
        );
        assert_eq!(km.resolve(p, &keys("k")), KeymapResult::Matched(Action::Down));
        assert_eq!(km.resolve(p, &keys("j")), KeymapResult::Matched(Action::Down));
        assert_eq!(km.keys_for(p, Action::Quit), vec!["ctrl-c", "ctrl-q"]);
    }

    #[test]
    fn bad_entries_are_reported_and_skipped() {
        let src = "[global]\nq = \"qiut\"\n\"hyper-x\" = \"quit\"\nj = \"down\"\n\"<C-c>\" = \"quit\"\n\"ctrl-c\" = \"help\"\n[pane.nope]\nx = \"quit\"\n";
        let (km, problems) = Keymap::parse(Path::new("k.toml"), src);
        let got: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "k.toml:2: unknown action `qiut` for `q` in [global]",
                "k.toml:3: bad key `hyper-x` in [global]: unknown key name `hyper-x`",
                "k.toml:6: `ctrl-c` is bound twice in [global] (also as `<C-c>` on line 5)",
                "k.toml:7: unknown pane `nope`, expected one of pipelines, runs, logs, notebooks, models, training, experiments, cluster",
            ]
        );
        assert_eq!(
            km.resolve(PaneId::Runs, &keys("j")),
            KeymapResult::Matched(Action::Down)
        );
        assert_eq!(
            km.resolve(PaneId::Runs, &keys("ctrl-c")),
            KeymapResult::Matched(Action::Quit)
        );
    }

    /// Helix's `check_duplicate_keys_in_default_keymap`: the shipped files parse cleanly (the parser
    /// reports aliases bound twice in a section), and no binding hides a longer one.
    #[test]
    fn shipped_keymaps_parse_without_duplicates() {
        for name in Keymap::BUILTIN {
            let src = Keymap::builtin_source(name).unwrap();
            let (km, problems) = Keymap::parse(Path::new(name), src);
            assert!(problems.is_empty(), "{name}: {problems:?}");
            for section in std::iter::once(&km.global)
                .chain(km.panes.values())
                .chain(km.views.values())
            {
                for seq in section.keys() {
                    for other in section.keys() {
                        assert!(
                            !(other.len() > seq.len() && other.starts_with(seq)),
                            "{name}: `{}` hides `{}`",
                            format_keys(seq),
                            format_keys(other)
                        );
                    }
                }
            }
            // Every shipped keymap can navigate without letters and can always quit and get help.
            for k in [
                "up", "down", "pageup", "pagedown", "home", "end", "tab", "ctrl-c", "esc",
            ] {
                let r = km.resolve(PaneId::Runs, &keys(k));
                assert!(matches!(r, KeymapResult::Matched(_)), "{name}: {k} unbound");
            }
            assert!(
                !km.keys_for(PaneId::Runs, Action::Help).is_empty(),
                "{name}: no help key"
            );
        }
    }

    #[test]
    fn default_keymap_is_vim_flavoured() {
        let km = Keymap::default();
        let p = PaneId::Runs;
        let m = |s: &str| km.resolve(p, &keys(s));
        assert_eq!(m("j"), KeymapResult::Matched(Action::Down));
        assert_eq!(m("g g"), KeymapResult::Matched(Action::Top));
        assert_eq!(m("G"), KeymapResult::Matched(Action::Bottom));
        assert_eq!(m("ctrl-d"), KeymapResult::Matched(Action::PageDown));
        assert_eq!(m("7"), KeymapResult::Matched(Action::Experiments));
        assert_eq!(m("shift-tab"), KeymapResult::Matched(Action::PrevPane));
        assert_eq!(km.keys_for(p, Action::Quit), vec!["q", "ctrl-c"]);
        assert_eq!(km.keys_for(p, Action::Down), vec!["j", "down"]);
    }
}
