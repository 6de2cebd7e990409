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

const RUNS_HINTS: &[(Action, &str)] = &[
    (Action::Help, "help"),
    (Action::Filter, "filter"),
    (Action::Open, "open"),
    (Action::Tail, "logs"),
    (Action::NewRun, "new run"),
    (Action::Mark, "mark"),
    (Action::Command, "command"),
    (Action::Quit, "quit"),
];

const NOTEBOOKS_HINTS: &[(Action, &str)] = &[
    (Action::Help, "help"),
    (Action::Filter, "filter"),
    (Action::Connect, "connect"),
    (Action::NewNotebook, "new"),
    (Action::Stop, "stop"),
    (Action::Start, "start"),
    (Action::Tail, "logs"),
    (Action::Quit, "quit"),
];

const MODELS_HINTS: &[(Action, &str)] = &[
    (Action::Help, "help"),
    (Action::Open, "detail"),
    (Action::Test, "test"),
    (Action::Promote, "promote"),
    (Action::Rollback, "rollback"),
    (Action::Tail, "logs"),
    (Action::Quit, "quit"),
];

const PIPELINES_HINTS: &[(Action, &str)] = &[
    (Action::Help, "help"),
    (Action::Filter, "filter"),
    (Action::Open, "open"),
    (Action::NewRun, "new run"),
    (Action::PipelineRuns, "runs"),
    (Action::Recurring, "recurring"),
    (Action::Quit, "quit"),
];

const RECURRING_HINTS: &[(Action, &str)] = &[
    (Action::Help, "help"),
    (Action::Filter, "filter"),
    (Action::Resume, "enable"),
    (Action::SuspendRun, "disable"),
    (Action::Recurring, "pipelines"),
    (Action::Quit, "quit"),
];

const PIPELINE_HINTS: &[(Action, &str)] = &[
    (Action::Cancel, "back"),
    (Action::NewRun, "new run"),
    (Action::PipelineRuns, "runs"),
    (Action::Layout, "graph/tree"),
    (Action::Delete, "delete"),
];

const LOG_HINTS: &[(Action, &str)] = &[
    (Action::Filter, "search"),
    (Action::Grep, "grep"),
    (Action::Follow, "follow"),
    (Action::Wrap, "wrap"),
    (Action::Timestamps, "time"),
    (Action::Save, "save"),
    (Action::Previous, "previous"),
    (Action::Container, "container"),
];

const DETAIL_HINTS: &[(Action, &str)] = &[
    (Action::Cancel, "back"),
    (Action::Tail, "step logs"),
    (Action::Yaml, "pod yaml"),
    (Action::Describe, "pod events"),
    (Action::Layout, "graph/tree"),
    (Action::Stop, "stop"),
    (Action::Retry, "retry"),
    (Action::CloneRun, "clone"),
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
            _ if self.state.form.as_ref().is_some_and(|f| f.yaml.is_some()) => {
                vec![("ctrl-s".into(), "submit"), ("esc".into(), "back to the form")]
            }
            _ if self.state.form.is_some() => vec![
                ("tab/↓".into(), "next"),
                ("shift-tab/↑".into(), "previous"),
                ("ctrl-s".into(), "submit"),
                ("ctrl-e".into(), "edit full YAML"),
                ("esc".into(), "cancel"),
            ],
            _ if self.state.notebook_form.is_some() => vec![
                ("tab/↓".into(), "next"),
                ("shift-tab/↑".into(), "previous"),
                ("ctrl-n/p".into(), "image"),
                ("ctrl-s".into(), "create"),
                ("esc".into(), "cancel"),
            ],
            _ if self.state.connections.open => vec![
                ("enter".into(), "copy URL"),
                ("D".into(), "close connection"),
                ("esc".into(), "back"),
            ],
            _ if self.state.compare.is_some() => {
                vec![
                    ("esc".into(), "close"),
                    ("j/k".into(), "scroll"),
                    ("h/l".into(), "more runs"),
                ]
            }
            Mode::Normal if self.state.viewer.is_some() => self.bound(VIEWER_HINTS),
            Mode::Normal
                if self.state.pane == crate::app::pane::PaneId::Runs && self.state.detail.is_some() =>
            {
                self.bound(DETAIL_HINTS)
            }
            Mode::Normal
                if self.state.pane == crate::app::pane::PaneId::Logs && self.state.logs.is_some() =>
            {
                self.bound(LOG_HINTS)
            }
            Mode::Normal if self.state.pane == crate::app::pane::PaneId::Pipelines => {
                if self.state.pipeline.is_some() {
                    self.bound(PIPELINE_HINTS)
                } else if self.state.show_recurring {
                    self.bound(RECURRING_HINTS)
                } else {
                    self.bound(PIPELINES_HINTS)
                }
            }
            Mode::Normal if self.state.pane == crate::app::pane::PaneId::Runs => self.bound(RUNS_HINTS),
            Mode::Normal if self.state.pane == crate::app::pane::PaneId::Notebooks => {
                self.bound(NOTEBOOKS_HINTS)
            }
            Mode::Normal
                if self.state.pane == crate::app::pane::PaneId::Models
                    && self.state.model.open.is_none()
                    && self.state.model.test.is_none() =>
            {
                self.bound(MODELS_HINTS)
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
