//! Panes whose lists are not built yet say, in words, what they will show and from where; the
//! Logs pane, before any logs are open, says how to open some.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use crate::app::pane::PaneId;
use crate::app::state::State;
use crate::config::theme::Role;
use crate::ui::View;

pub struct PlannedPane<'a> {
    pub pane: PaneId,
    pub state: &'a State,
    pub view: &'a View<'a>,
}

/// What a pane that is not built yet will show, and the resources it will read.
pub fn description(pane: PaneId) -> Option<(&'static str, &'static str)> {
    match pane {
        PaneId::Pipelines => Some((
            "Pipelines and their versions, parameters and task graphs, with a form to start a run.",
            "KFP REST /apis/v2beta1/pipelines through the API server's service proxy; pipelines.kubeflow.org/v2beta1 Pipeline and PipelineVersion; Argo WorkflowTemplate and ClusterWorkflowTemplate.",
        )),
        PaneId::Runs
        | PaneId::Logs
        | PaneId::Notebooks
        | PaneId::Models
        | PaneId::Training
        | PaneId::Experiments => None,
    }
}

/// The Logs pane before any logs are opened: how to open some.
fn no_logs_yet<'a>(view: &View<'_>) -> Vec<Line<'a>> {
    let theme = view.theme;
    let key = view
        .keymap
        .keys_for(PaneId::Runs, crate::app::action::Action::Tail)
        .into_iter()
        .next()
        .unwrap_or_else(|| ":tail".into());
    vec![
        Line::from(Span::styled("No logs are open.", theme.style(Role::Header))),
        Line::raw(""),
        Line::raw(format!(
            "Select a run in the Runs pane and press {key} to follow every step's logs, merged; in a run's step graph, {key} follows the selected step. In the Notebooks and Models panes, {key} follows the selected notebook or model."
        )),
        Line::raw(""),
        Line::raw(
            "Or type :logs KIND/NAME with pod/NAME [CONTAINER], workflow/, notebook/, isvc/, trainjob/ or trial/NAME.",
        ),
    ]
}

impl Widget for PlannedPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::BorderFocused))
            .title(Span::styled(
                format!(" {} ", self.pane.title()),
                theme.style(Role::Title),
            ));
        let ns = self.state.target.namespace.as_deref().unwrap_or("all namespaces");
        let Some((what, from)) = description(self.pane) else {
            let text = if self.pane == PaneId::Logs {
                no_logs_yet(self.view)
            } else {
                Vec::new()
            };
            Paragraph::new(text)
                .block(block)
                .wrap(Wrap { trim: true })
                .render(area, buf);
            return;
        };
        let text = vec![
            Line::from(Span::styled(
                "This pane is not available in this version of kftui yet.",
                theme.style(Role::NoticeWarn),
            )),
            Line::raw(""),
            Line::from(vec![
                Span::styled("It will show: ", theme.style(Role::Header)),
                Span::raw(what),
            ]),
            Line::raw(""),
            Line::from(vec![
                Span::styled("Read from: ", theme.style(Role::Header)),
                Span::raw(from),
            ]),
            Line::raw(""),
            Line::from(Span::styled(
                format!(
                    "Namespace: {}. The Runs pane is live now.",
                    crate::text::sanitize(ns)
                ),
                theme.style(Role::Muted),
            )),
        ];
        Paragraph::new(text)
            .block(block)
            .wrap(Wrap { trim: true })
            .render(area, buf);
    }
}
