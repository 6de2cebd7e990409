//! The context / namespace / container picker popup.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::app::picker::{Picker, PickerKind};
use crate::config::theme::{Role, Theme};
use crate::text::sanitize;

pub struct PickerPopup<'a> {
    pub picker: &'a Picker,
    pub theme: &'a Theme,
}

/// A centred rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [_, row, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(h.min(area.height)),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [_, rect, _] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(w.min(area.width)),
        Constraint::Fill(1),
    ])
    .areas(row);
    rect
}

impl Widget for PickerPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let p = self.picker;
        let title = match p.kind {
            PickerKind::Namespace => " Namespace — type to filter ",
            PickerKind::Context => " Context — type to filter ",
            PickerKind::Container => " Container — type to filter ",
            PickerKind::RunSource => " New run from — type to filter ",
            PickerKind::ForwardPort => " Port to forward — type to filter ",
        };
        let popup = centered(area, 72, area.height.saturating_sub(4).max(8));
        Clear.render(popup, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::BorderFocused))
            .style(theme.style(Role::Popup))
            .title(Span::styled(title, theme.style(Role::Title)));
        let inner = block.inner(popup);
        block.render(popup, buf);
        let [input, list, note] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1)])
                .areas(inner);
        Line::from(vec![
            Span::styled("> ", theme.style(Role::Filter)),
            Span::styled(p.filter.text.as_str(), theme.style(Role::Filter)),
        ])
        .render(input, buf);

        let height = usize::from(list.height).max(1);
        let offset = p.selected.saturating_sub(height - 1);
        let label_w = p
            .items
            .iter()
            .map(|i| i.label.chars().count())
            .max()
            .unwrap_or(0)
            .min(40);
        let lines: Vec<Line> = p
            .visible
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .filter_map(|(pos, i)| p.items.get(*i).map(|it| (pos, it)))
            .map(|(pos, it)| {
                let style = if pos == p.selected {
                    theme.style(Role::Selection)
                } else {
                    theme.style(Role::Text)
                };
                Line::from(vec![
                    Span::styled(format!(" {:<label_w$}  ", sanitize(&it.label)), style),
                    Span::styled(sanitize(&it.detail).into_owned(), theme.style(Role::Muted)),
                ])
            })
            .collect();
        Paragraph::new(lines).render(list, buf);
        let status = if p.loading {
            "loading…".to_string()
        } else if let Some(n) = &p.note {
            n.clone()
        } else if p.visible.is_empty() && !p.filter.text.is_empty() {
            "no match: enter uses the typed name".to_string()
        } else {
            format!("{} of {}", p.visible.len(), p.items.len())
        };
        Line::from(Span::styled(
            sanitize(&status).into_owned(),
            theme.style(Role::Muted),
        ))
        .render(note, buf);
    }
}
