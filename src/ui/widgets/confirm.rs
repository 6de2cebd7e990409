//! The confirmation popup of a verb: what will happen to which runs, and y/n.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use crate::app::state::Confirm;
use crate::config::theme::{Role, Theme};
use crate::text::sanitize;
use crate::ui::widgets::picker::centered;

pub struct ConfirmPopup<'a> {
    pub confirm: &'a Confirm,
    pub theme: &'a Theme,
}

const SHOWN: usize = 8;

impl Widget for ConfirmPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let c = self.confirm;
        let n = c.targets.len();
        let verb = c.verb.name();
        let question = if n == 1 {
            format!(
                "{} {} {}?",
                capitalise(verb),
                c.verb.noun(),
                sanitize(&c.targets[0].display)
            )
        } else {
            format!("{} {n} {}s?", capitalise(verb), c.verb.noun())
        };
        let mut lines = vec![
            Line::from(Span::styled(question, theme.style(Role::Title))),
            Line::from(Span::styled(
                format!("{}.", capitalise(c.effect())),
                theme.style(Role::Text),
            )),
            Line::raw(""),
        ];
        for t in c.targets.iter().take(SHOWN) {
            lines.push(Line::from(vec![
                Span::styled("  • ", theme.style(Role::Muted)),
                Span::styled(sanitize(&t.name).into_owned(), theme.style(Role::Text)),
                Span::styled(
                    format!("  ({})", sanitize(&t.namespace)),
                    theme.style(Role::Muted),
                ),
            ]));
        }
        if n > SHOWN {
            lines.push(Line::from(Span::styled(
                format!("  … and {} more", n - SHOWN),
                theme.style(Role::Muted),
            )));
        }
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled(" y ", theme.style(Role::KeyHint)),
            Span::styled(format!("{verb}   "), theme.style(Role::Text)),
            Span::styled(" n/esc ", theme.style(Role::KeyHint)),
            Span::styled("cancel", theme.style(Role::Text)),
        ]));
        let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
        let popup = centered(area, 76, height);
        Clear.render(popup, buf);
        let role = if c.verb.is_destructive() {
            Role::NoticeError
        } else {
            Role::BorderFocused
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(role))
            .style(theme.style(Role::Popup))
            .title(Span::styled(" Confirm ", theme.style(Role::Title)));
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .render(popup, buf);
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
