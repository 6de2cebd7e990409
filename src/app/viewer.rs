//! A scrollable, searchable text view: YAML and describe output of any object.

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::filter::contains_ignore_case;
use crate::app::state::LineInput;
use crate::app::state::State;
pub use crate::kube::fetch::ViewKind;

/// Where the view's text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewBody {
    Loading,
    Text(Vec<String>),
    Error(String),
}

/// The open text view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextView {
    /// Matches the fetch it waits for; a late answer to another request is dropped.
    pub request: u64,
    pub kind: ViewKind,
    /// `kind/name` of the object, sanitised.
    pub title: String,
    pub body: ViewBody,
    pub scroll: usize,
    pub search: LineInput,
    /// The search bar is taking keys.
    pub searching: bool,
    /// Lines that contain the search text.
    pub matches: Vec<usize>,
    /// Which of `matches` n/N last jumped to.
    pub current: usize,
    /// Long lines wrap instead of running off the right edge.
    pub wrap: bool,
    /// Columns scrolled to the right (when not wrapping).
    pub hscroll: usize,
}

impl TextView {
    pub fn loading(request: u64, kind: ViewKind, title: String) -> TextView {
        TextView {
            request,
            kind,
            title,
            body: ViewBody::Loading,
            scroll: 0,
            search: LineInput::default(),
            searching: false,
            matches: Vec::new(),
            current: 0,
            wrap: false,
            hscroll: 0,
        }
    }

    pub fn lines(&self) -> &[String] {
        match &self.body {
            ViewBody::Text(lines) => lines,
            _ => &[],
        }
    }

    /// Scrolls by `delta` lines, keeping a page of text on screen.
    pub fn scroll_by(&mut self, delta: isize, height: usize) {
        let max = self.lines().len().saturating_sub(height.max(1));
        let target = (self.scroll as isize).saturating_add(delta);
        self.scroll = target.clamp(0, max as isize) as usize;
    }

    /// Recomputes the matches of the search text (smart case) and jumps to the first one at or
    /// after the current scroll position.
    pub fn research(&mut self, height: usize) {
        let needle = self.search.text.clone();
        if needle.is_empty() {
            self.matches.clear();
            return;
        }
        let case_sensitive = needle.chars().any(char::is_uppercase);
        let lower = needle.to_lowercase();
        self.matches = self
            .lines()
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                if case_sensitive {
                    l.contains(&needle)
                } else {
                    contains_ignore_case(l, &lower)
                }
            })
            .map(|(i, _)| i)
            .collect();
        self.current = self.matches.iter().position(|m| *m >= self.scroll).unwrap_or(0);
        if let Some(line) = self.matches.get(self.current).copied() {
            self.center_on(line, height);
        }
    }

    /// Jumps to the next (or previous) match, wrapping around.
    pub fn next_match(&mut self, forward: bool, height: usize) {
        if self.matches.is_empty() {
            return;
        }
        let n = self.matches.len();
        self.current = if forward {
            (self.current + 1) % n
        } else {
            (self.current + n - 1) % n
        };
        if let Some(line) = self.matches.get(self.current).copied() {
            self.center_on(line, height);
        }
    }

    fn center_on(&mut self, line: usize, height: usize) {
        let third = height.max(1) / 3;
        self.scroll = line.saturating_sub(third);
        self.scroll_by(0, height);
    }
}

/// An action while the YAML or describe view is open; what is not its own is the app's.
pub fn view_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    let height = state.list_height + 1;
    let Some(view) = state.viewer.as_mut() else {
        return;
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
        Action::Wrap => {
            view.wrap = !view.wrap;
            view.hscroll = 0;
        }
        Action::ScrollRight => view.hscroll += 8,
        Action::ScrollLeft => view.hscroll = view.hscroll.saturating_sub(8),
        Action::Cancel => state.viewer = None,
        Action::Yaml | Action::Describe => {
            let kind = if action == Action::Yaml {
                ViewKind::Yaml
            } else {
                ViewKind::Describe
            };
            if view.kind != kind {
                state.viewer = None;
                crate::app::update::apply(state, action, effects);
            }
        }
        Action::Reveal => {
            state.viewer = None;
            crate::app::update::open_viewer(state, ViewKind::Revealed, effects);
        }
        other => crate::app::update::apply(state, other, effects),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(n: usize) -> TextView {
        let mut v = TextView::loading(1, ViewKind::Yaml, "workflow/x".into());
        v.body = ViewBody::Text(
            (0..n)
                .map(|i| format!("line {i} {}", if i % 10 == 0 { "Phase" } else { "x" }))
                .collect(),
        );
        v
    }

    #[test]
    fn scrolling_stays_inside_the_text() {
        let mut v = view(100);
        v.scroll_by(1000, 20);
        assert_eq!(v.scroll, 80);
        v.scroll_by(-1000, 20);
        assert_eq!(v.scroll, 0);
    }

    #[test]
    fn search_finds_lines_and_cycles_through_them() {
        let mut v = view(100);
        v.search.insert_str("phase");
        v.research(21);
        assert_eq!(v.matches.len(), 10);
        assert_eq!(v.scroll, 0);
        v.next_match(true, 21);
        assert_eq!(v.scroll, 3, "line 10 sits a third down the screen");
        v.next_match(false, 21);
        assert_eq!(v.scroll, 0);
        v.next_match(false, 21);
        assert_eq!(v.scroll, 79, "wraps to the last match, clamped to the end");
        v.search.clear();
        v.search.insert_str("PHASE");
        v.research(21);
        assert!(v.matches.is_empty(), "upper case makes the search case-sensitive");
    }
}
