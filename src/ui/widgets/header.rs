//! The header: context, namespace, API server version and connection state.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::state::{ConnState, State};
use crate::config::theme::Role;
use crate::text::sanitize;
use crate::ui::View;

pub struct Header<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        let target = &self.state.target;
        let ns = target.namespace.as_deref().unwrap_or("all namespaces");
        let (conn_glyph, conn_text, conn_role) = match &target.conn {
            ConnState::Connecting => ("○", "connecting".to_string(), Role::StatusPending),
            ConnState::Connected => ("●", "connected".to_string(), Role::StatusSucceeded),
            ConnState::Reconnecting { attempt, last_error } => (
                "◍",
                format!("reconnecting (attempt {attempt}: {})", sanitize(last_error)),
                Role::StatusRunning,
            ),
            ConnState::Offline { .. } => ("✗", "offline".to_string(), Role::StatusFailed),
        };
        let mut spans = vec![
            Span::styled(" kftui ", theme.style(Role::Title)),
            Span::styled("│ ctx ", theme.style(Role::Muted)),
            Span::styled(sanitize(&target.context).into_owned(), theme.style(Role::Header)),
            Span::styled(" │ ns ", theme.style(Role::Muted)),
            Span::styled(sanitize(ns).into_owned(), theme.style(Role::Header)),
            Span::styled(" │ ", theme.style(Role::Muted)),
            Span::styled(format!("{conn_glyph} {conn_text}"), theme.style(conn_role)),
        ];
        if let Some(v) = &target.server_version {
            spans.push(Span::styled(
                format!(" │ {}", sanitize(v)),
                theme.style(Role::Muted),
            ));
        }
        if target.demo {
            spans.push(Span::styled(" │ demo cluster", theme.style(Role::Muted)));
        }
        if self.state.readonly {
            spans.push(Span::styled(" │ read-only", theme.style(Role::NoticeWarn)));
        }
        Line::from(spans).render(area, buf);
    }
}
