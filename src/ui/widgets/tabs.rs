//! The tab bar: one tab per pane, with its number key.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::pane::PaneId;
use crate::app::state::State;
use crate::config::theme::Role;
use crate::ui::View;

pub struct Tabs<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

impl Widget for Tabs<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        let mut labels = Vec::with_capacity(PaneId::ALL.len());
        let mut bare = Vec::with_capacity(PaneId::ALL.len());
        for pane in PaneId::ALL {
            let active = pane == self.state.pane;
            let key = self
                .view
                .keymap
                .keys_for(self.state.pane, pane.action())
                .into_iter()
                .find(|k| k.chars().count() == 1)
                .unwrap_or_default();
            // The resource view's tab names the kind it shows.
            let title = match pane {
                PaneId::Cluster => self.state.cluster.kind.title(),
                p => p.title().to_string(),
            };
            let label = if key.is_empty() {
                title
            } else {
                format!("{key} {title}")
            };
            let role = if active { Role::TabActive } else { Role::Tab };
            labels.push(Span::styled(format!(" {label} "), theme.style(role)));
            bare.push(Span::styled(label, theme.style(role)));
        }
        // Padded tabs with a space between where they fit, else without the padding: at 80
        // columns every tab still shows whole.
        let room = usize::from(area.width);
        let width: usize = labels.iter().map(Span::width).sum::<usize>() + labels.len();
        if width > room && labels.iter().map(Span::width).sum::<usize>() > room {
            labels = bare;
        }
        let mut width: usize = labels.iter().map(Span::width).sum::<usize>() + labels.len();
        // Still too wide: the last tab (the resource view's, named by its kind) is shortened.
        if width > room
            && let Some(last) = labels.last_mut()
        {
            let keep = last.width().saturating_sub(width - room).max(3);
            let short: String = last.content.chars().take(keep.saturating_sub(1)).collect();
            last.content = format!("{short}…").into();
            width = labels.iter().map(Span::width).sum::<usize>() + labels.len();
        }
        let gap = if width <= room { " " } else { "" };
        let mut spans = Vec::with_capacity(labels.len() * 2);
        for label in labels {
            spans.push(label);
            spans.push(Span::raw(gap));
        }
        Line::from(spans).render(area, buf);
    }
}
