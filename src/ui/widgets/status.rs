//! The status line: the filter bar or command line while typing, otherwise the latest notice.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::filter::Filter;
use crate::app::state::{Level, LineInput, Mode, State};
use crate::config::theme::Role;
use crate::ui::View;

/// Draws the status line; returns where the text cursor belongs while typing.
pub fn render(state: &State, view: &View<'_>, area: Rect, buf: &mut Buffer) -> Option<Position> {
    let theme = view.theme;
    let input_line = |prefix: &str, input: &LineInput, role: Role, extra: Option<Span<'static>>| {
        let mut spans = vec![
            Span::styled(prefix.to_string(), theme.style(role)),
            Span::styled(input.text.clone(), theme.style(role)),
        ];
        if let Some(extra) = extra {
            spans.push(extra);
        }
        Line::from(spans)
    };
    match state.mode {
        Mode::Filter => {
            // The filter of the list on screen, not always the runs'.
            let list = state.list(state.pane)?;
            let input = list.filter_line();
            let extra = match Filter::parse(&input.text) {
                Err(e) => Span::styled(format!("   {e}"), theme.style(Role::NoticeError)),
                Ok(_) => Span::styled(
                    format!("   {} of {}", list.visible_len(), list.total_len()),
                    theme.style(Role::Muted),
                ),
            };
            input_line("/", input, Role::Filter, Some(extra)).render(area, buf);
            Some(cursor_at(area, input))
        }
        Mode::Command => {
            // What tab found to complete, after the line.
            let extra = state.notice.as_ref().map(|n| {
                Span::styled(
                    format!("   {}", crate::text::sanitized(&n.text)),
                    theme.style(Role::Muted),
                )
            });
            input_line(":", &state.command, Role::Command, extra).render(area, buf);
            Some(cursor_at(area, &state.command))
        }
        Mode::Normal if state.viewer.as_ref().is_some_and(|v| v.searching) => {
            let search = state.viewer.as_ref().map(|v| &v.search)?;
            input_line("/", search, Role::Filter, None).render(area, buf);
            Some(cursor_at(area, search))
        }
        Mode::Normal | Mode::Help => {
            if let Some(n) = &state.notice {
                let role = match n.level {
                    Level::Info => Role::NoticeInfo,
                    Level::Warn => Role::NoticeWarn,
                    Level::Error => Role::NoticeError,
                };
                Line::from(Span::styled(crate::text::sanitized(&n.text), theme.style(role)))
                    .render(area, buf);
            } else if !state.runs.filter.text.is_empty() {
                input_line(
                    "filter: ",
                    &state.runs.filter,
                    Role::Filter,
                    Some(Span::styled("   (esc clears)", theme.style(Role::Muted))),
                )
                .render(area, buf);
            }
            None
        }
    }
}

fn cursor_at(area: Rect, input: &LineInput) -> Position {
    let before: String = input.text.chars().take(input.cursor).collect();
    let x = 1 + unicode_width::UnicodeWidthStr::width(before.as_str());
    Position::new(
        area.x
            .saturating_add(x as u16)
            .min(area.right().saturating_sub(1)),
        area.y,
    )
}
