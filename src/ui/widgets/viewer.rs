//! The YAML / describe view: a scrollable text with search highlights.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};

use crate::app::viewer::{TextView, ViewBody};
use crate::config::theme::{Role, Theme};

pub struct Viewer<'a> {
    pub view: &'a TextView,
    pub theme: &'a Theme,
}

/// Splits `line` into spans with every case-insensitive occurrence of `needle` highlighted.
fn highlight<'a>(line: &'a str, needle: &str, base: Style, hit: Style) -> Line<'a> {
    if needle.is_empty() {
        return Line::from(Span::styled(line, base));
    }
    let case_sensitive = needle.chars().any(char::is_uppercase);
    let (hay, pat) = if case_sensitive {
        (line.to_string(), needle.to_string())
    } else {
        (line.to_lowercase(), needle.to_lowercase())
    };
    // Lower-casing can change byte lengths outside ASCII; highlight only when it did not.
    if hay.len() != line.len() {
        return Line::from(Span::styled(line, base));
    }
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(found) = hay[at..].find(&pat) {
        let start = at + found;
        let end = start + pat.len();
        if !line.is_char_boundary(start) || !line.is_char_boundary(end) {
            break;
        }
        spans.push(Span::styled(&line[at..start], base));
        spans.push(Span::styled(&line[start..end], hit));
        at = end;
    }
    spans.push(Span::styled(&line[at..], base));
    Line::from(spans)
}

/// Styles a YAML line: the key before `:` as a header, the rest as text.
fn yaml_line<'a>(line: &'a str, theme: &Theme) -> Line<'a> {
    let trimmed = line.trim_start_matches([' ', '-']);
    match trimmed
        .find(": ")
        .or_else(|| trimmed.strip_suffix(':').map(|t| t.len()))
    {
        Some(colon) if !trimmed.starts_with('#') => {
            let split = line.len() - trimmed.len() + colon;
            Line::from(vec![
                Span::styled(&line[..split], theme.style(Role::Header)),
                Span::styled(&line[split..], theme.style(Role::Text)),
            ])
        }
        _ => Line::from(Span::styled(line, theme.style(Role::Text))),
    }
}

impl Widget for Viewer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let v = self.view;
        let mut title = vec![Span::styled(
            format!(" {} — {} ", v.kind.label(), v.title),
            theme.style(Role::Title),
        )];
        if v.wrap {
            title.push(Span::styled(" wrap ", theme.style(Role::Muted)));
        } else if v.hscroll > 0 {
            title.push(Span::styled(
                format!(" →{} ", v.hscroll),
                theme.style(Role::Muted),
            ));
        }
        if !v.search.text.is_empty() {
            title.push(Span::styled(
                format!(" /{}  {} matches ", v.search.text, v.matches.len()),
                theme.style(Role::Filter),
            ));
        }
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::BorderFocused))
            .title(Line::from(title));
        let inner = block.inner(area);
        block.render(area, buf);
        let lines: Vec<Line> = match &v.body {
            ViewBody::Loading => vec![Line::from(Span::styled("Loading…", theme.style(Role::Muted)))],
            ViewBody::Error(e) => vec![Line::from(Span::styled(
                e.as_str(),
                theme.style(Role::NoticeError),
            ))],
            ViewBody::Text(text) => {
                let hit = theme.style(Role::Selection).add_modifier(Modifier::BOLD);
                text.iter()
                    .skip(v.scroll)
                    .take(usize::from(inner.height))
                    .map(|l| {
                        if v.search.text.is_empty() {
                            match v.kind {
                                crate::app::viewer::ViewKind::Yaml
                                | crate::app::viewer::ViewKind::Revealed => yaml_line(l, theme),
                                crate::app::viewer::ViewKind::Describe => Line::from(l.as_str()),
                            }
                        } else {
                            highlight(l, &v.search.text, theme.style(Role::Text), hit)
                        }
                    })
                    .collect()
            }
        };
        let text = Paragraph::new(lines);
        if v.wrap {
            text.wrap(ratatui::widgets::Wrap { trim: false })
                .render(inner, buf);
        } else {
            let x = u16::try_from(v.hscroll).unwrap_or(u16::MAX);
            text.scroll((0, x)).render(inner, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlight_marks_each_occurrence() {
        let base = Style::default();
        let hit = Style::default().add_modifier(Modifier::REVERSED);
        let line = highlight("phase: Running, Phase", "phase", base, hit);
        let hits: Vec<&str> = line
            .spans
            .iter()
            .filter(|s| s.style == hit)
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(hits, ["phase", "Phase"]);
    }
}
