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
        let version = target
            .server_version
            .as_ref()
            .map(|v| Span::styled(format!(" │ {}", sanitize(v)), theme.style(Role::Muted)));
        // The markers are never cut: what they say changes what a key does. Where the line is
        // too long they take their short form and stand at the right.
        let markers = |short: bool| {
            let mut m = Vec::new();
            if target.demo {
                let text = if short { " │ demo" } else { " │ demo cluster" };
                m.push(Span::styled(text, theme.style(Role::Muted)));
            }
            if self.state.readonly {
                m.push(Span::styled(" │ read-only ", theme.style(Role::NoticeWarn)));
            }
            m
        };
        let width = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>();
        let long = markers(false);
        let room = usize::from(area.width);
        // The server's version gives way first, then the markers' long form.
        if let Some(v) = version.filter(|v| width(&spans) + v.width() + width(&long) <= room) {
            spans.push(v);
        }
        let markers = if width(&spans) + width(&long) <= room {
            long
        } else {
            markers(true)
        };
        let line = Line::from(spans.clone());
        if line.width() + width(&markers) <= usize::from(area.width) {
            spans.extend(markers);
            return Line::from(spans).render(area, buf);
        }
        let marker = Line::from(markers);
        let marker_width = u16::try_from(marker.width()).unwrap_or(u16::MAX).min(area.width);
        let left = Rect {
            width: area.width - marker_width,
            ..area
        };
        let right = Rect {
            x: area.x + left.width,
            width: marker_width,
            ..area
        };
        line.render(left, buf);
        marker.render(right, buf);
    }
}
