//! The Logs pane before any logs are open: how to open some.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use crate::app::pane::PaneId;
use crate::config::theme::Role;
use crate::ui::View;

pub struct NoLogsPane<'a> {
    pub view: &'a View<'a>,
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

impl Widget for NoLogsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::BorderFocused))
            .title(Span::styled(
                format!(" {} ", PaneId::Logs.title()),
                theme.style(Role::Title),
            ));
        Paragraph::new(no_logs_yet(self.view))
            .block(block)
            .wrap(Wrap { trim: true })
            .render(area, buf);
    }
}
