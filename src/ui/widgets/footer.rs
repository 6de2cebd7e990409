//! The footer: the keys that matter here, read from the live keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::action::Action;
use crate::app::state::{Mode, State};
use crate::config::theme::Role;
use crate::ui::View;

pub struct Footer<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

const LIST_HINTS: &[(Action, &str)] = &[
    (Action::Help, "help"),
    (Action::Filter, "filter"),
    (Action::Command, "command"),
    (Action::Describe, "describe"),
    (Action::NextPane, "next pane"),
    (Action::Quit, "quit"),
];

const LOG_HINTS: &[(Action, &str)] = &[
    (Action::Filter, "search"),
    (Action::Grep, "grep"),
    (Action::Follow, "follow"),
    (Action::Wrap, "wrap"),
    (Action::Timestamps, "time"),
    (Action::Save, "save"),
    (Action::Previous, "previous"),
];

const VIEWER_HINTS: &[(Action, &str)] = &[
    (Action::Cancel, "close"),
    (Action::Filter, "search"),
    (Action::NextMatch, "next"),
    (Action::Yaml, "yaml"),
    (Action::Describe, "describe"),
];

impl Footer<'_> {
    /// The first key bound to each action, with its label; unbound actions are left out.
    fn bound(&self, actions: &[(Action, &'static str)]) -> Vec<(String, &'static str)> {
        actions
            .iter()
            .filter_map(|(a, label)| {
                let key = self
                    .view
                    .keymap
                    .keys_for(self.state.pane, *a)
                    .into_iter()
                    .next()?;
                Some((key, *label))
            })
            .collect()
    }
}

impl Widget for Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        let hints: Vec<(String, &str)> = match self.state.mode {
            Mode::Filter => vec![
                ("enter".into(), "keep filter"),
                ("esc".into(), "clear"),
                ("↑↓".into(), "move"),
            ],
            Mode::Command => vec![
                ("enter".into(), "run"),
                ("tab".into(), "complete"),
                ("esc".into(), "cancel"),
            ],
            Mode::Help => vec![("esc".into(), "close"), ("↑↓".into(), "scroll")],
            Mode::Normal if self.state.viewer.is_some() => self.bound(VIEWER_HINTS),
            Mode::Normal
                if self.state.pane == crate::app::pane::PaneId::Logs && self.state.logs.is_some() =>
            {
                self.bound(LOG_HINTS)
            }
            Mode::Normal => self.bound(LIST_HINTS),
        };
        let mut spans = Vec::new();
        for (key, label) in hints {
            spans.push(Span::styled(format!(" {key}"), theme.style(Role::KeyHint)));
            spans.push(Span::styled(format!(" {label} "), theme.style(Role::Muted)));
        }
        if !self.state.pending.is_empty() {
            let typed: Vec<String> = self.state.pending.iter().map(|k| k.to_string()).collect();
            spans.push(Span::styled(
                format!("  {} …", typed.join(" ")),
                theme.style(Role::KeyHint),
            ));
        }
        Line::from(spans).render(area, buf);
    }
}
