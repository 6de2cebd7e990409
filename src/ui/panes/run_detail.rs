//! The run detail: the run's header line, its step graph and the selected step's detail.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use crate::app::detail::RunDetail;
use crate::app::state::State;
use crate::config::theme::Role;
use crate::runs::model::Phase;
use crate::text::sanitize;
use crate::ui::View;
use crate::ui::format::human_duration;
use crate::ui::layout::run_detail_areas;
use crate::ui::widgets::graph::{GraphWidget, NodeDetail, phase_glyph, phase_role};

pub struct RunDetailPane<'a> {
    pub detail: &'a RunDetail,
    pub state: &'a State,
    pub view: &'a View<'a>,
}

impl Widget for RunDetailPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        let d = self.detail;
        let now = self.state.now;
        let (graph_area, detail_area) = run_detail_areas(area);
        let mut title = vec![Span::styled(
            format!(" {} ", sanitize(&d.display)),
            theme.style(Role::Title),
        )];
        if let Some(g) = d.graph() {
            title.push(Span::styled(
                format!("{} {} ", phase_glyph(g.phase), g.phase.word()),
                theme.style(phase_role(g.phase)),
            ));
            let (done, total) = g.progress();
            let duration = g
                .started_at
                .map(|s| human_duration(g.finished_at.unwrap_or(now) - s))
                .unwrap_or_default();
            // A run that has not started has no duration yet.
            let progress = if duration.is_empty() {
                format!("{done}/{total} ")
            } else {
                format!("{done}/{total} · {duration} ")
            };
            title.push(Span::styled(progress, theme.style(Role::Muted)));
            title.push(Span::styled(
                format!("[{}] ", d.view.mode().word()),
                theme.style(Role::Muted),
            ));
        }
        let graph_block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::BorderFocused))
            .title(Line::from(title));
        let detail_block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::Border))
            .title(Span::styled(" Step ", theme.style(Role::Title)));
        let graph_inner = graph_block.inner(graph_area);
        let detail_inner = detail_block.inner(detail_area);
        graph_block.render(graph_area, buf);
        detail_block.render(detail_area, buf);
        match &d.graph {
            None => Paragraph::new(format!("Loading workflow {}…", sanitize(&d.name)))
                .style(theme.style(Role::Muted))
                .render(graph_inner, buf),
            Some(Err(e)) => Paragraph::new(format!(
                "Cannot show the steps of {}: {}",
                sanitize(&d.name),
                sanitize(e)
            ))
            .style(theme.style(Role::NoticeError))
            .wrap(Wrap { trim: true })
            .render(graph_inner, buf),
            Some(Ok(g)) => {
                let [graph_body, message] = if g.phase == Phase::Failed || g.phase == Phase::Error {
                    Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(graph_inner)
                } else {
                    [graph_inner, Rect::default()]
                };
                GraphWidget {
                    graph: g,
                    view: &d.view,
                    theme,
                    now,
                }
                .render(graph_body, buf);
                if let Some(m) = &g.message {
                    Line::from(Span::styled(
                        sanitize(m).into_owned(),
                        theme.style(Role::NoticeError),
                    ))
                    .render(message, buf);
                }
                NodeDetail {
                    graph: g,
                    view: &d.view,
                    theme,
                    now,
                    tz: self.view.tz,
                }
                .render(detail_inner, buf);
            }
        }
    }
}
