//! The footer: the keys that matter here, read from the live keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::state::State;
use crate::config::theme::Role;
use crate::ui::View;

pub struct Footer<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

impl Widget for Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        // The top view's binding table: what a key does here is what the footer says.
        let hints: Vec<(String, &str)> = crate::app::views::footer(self.state, self.view.keymap)
            .into_iter()
            .map(|(keys, label)| {
                let keys: Vec<&str> = keys.iter().map(|k| crate::app::views::glyph(k)).collect();
                (keys.join("/"), label)
            })
            .collect();
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
