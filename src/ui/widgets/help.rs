//! The help overlay, built from the live keymap: every action, its keys here, its command.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::app::state::State;
use crate::config::theme::Role;
use crate::ui::View;

pub struct Help<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

/// The help text's lines: what works here, view by view from the top, keys first; an action
/// with no key is reached by its `:` command.
pub fn lines<'a>(state: &State, view: &View<'a>) -> Vec<Line<'a>> {
    let theme = view.theme;
    let groups = crate::app::views::help(state, view.keymap);
    let rows = groups.iter().flat_map(|(_, b)| b.iter());
    let key_width = rows
        .clone()
        .map(|b| b.keys.join(", ").chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let name_width = rows.map(|b| b.action.name().len() + 1).max().unwrap_or(0);
    let mut out = vec![Line::from(Span::styled(
        "What works here, and its command (type : then the name)",
        theme.style(Role::Header),
    ))];
    for (v, bindings) in &groups {
        out.push(Line::raw(""));
        out.push(Line::from(Span::styled(
            format!("In {}", v.title()),
            theme.style(Role::Title),
        )));
        for b in bindings {
            let keys = if b.keys.is_empty() {
                "—".to_string()
            } else {
                b.keys.join(", ")
            };
            out.push(Line::from(vec![
                Span::styled(format!("{keys:<key_width$}  "), theme.style(Role::KeyHint)),
                Span::styled(
                    format!(":{:<name_width$} ", b.action.name()),
                    theme.style(Role::Command),
                ),
                Span::styled(b.action.help(), theme.style(Role::Text)),
            ]));
        }
    }
    out
}

impl Widget for Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        let [_, mid, _] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1)]).areas(area);
        let [_, popup, _] =
            Layout::horizontal([Constraint::Length(2), Constraint::Fill(1), Constraint::Length(2)])
                .areas(mid);
        Clear.render(popup, buf);
        let lines = lines(self.state, self.view);
        let visible = usize::from(popup.height.saturating_sub(2));
        let max_scroll = lines.len().saturating_sub(visible);
        let scroll = self.state.help_scroll.min(max_scroll);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::BorderFocused))
            .style(theme.style(Role::Popup))
            .title(Span::styled(" Help ", theme.style(Role::Title)));
        Paragraph::new(lines)
            .block(block)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
            .render(popup, buf);
    }
}
