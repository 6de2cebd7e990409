//! The new-run form: one labelled input per field with its type, default and error; or the
//! full object in a YAML editor. Its keys are in the footer.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::app::form::{FormField, RunForm};
use crate::config::theme::{Role, Theme};
use crate::text::sanitize;

pub struct FormView<'a> {
    pub form: &'a RunForm,
    pub theme: &'a Theme,
}

const LABEL: u16 = 22;

impl FormView<'_> {
    fn footer(&self) -> Vec<Line<'static>> {
        let t = self.theme;
        let mut lines = Vec::new();
        if let Some(e) = &self.form.error {
            lines.push(Line::from(Span::styled(
                sanitize(e).into_owned(),
                t.style(Role::NoticeError),
            )));
        } else if self.form.submitting.is_some() {
            lines.push(Line::from(Span::styled(
                "creating the run…",
                t.style(Role::NoticeInfo),
            )));
        } else {
            let n = self.form.errors();
            lines.push(Line::from(Span::styled(
                match n {
                    0 => "ready to submit".to_string(),
                    1 => "1 field to fix".to_string(),
                    n => format!("{n} fields to fix"),
                },
                t.style(if n == 0 {
                    Role::NoticeInfo
                } else {
                    Role::NoticeWarn
                }),
            )));
        }
        lines
    }
}

impl Widget for FormView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let form = self.form;
        let title = format!(
            " New run · {} · in {} ",
            sanitize(&form.title),
            sanitize(&form.namespace)
        );
        let Some(inner) = form_frame(title, area, buf, t) else {
            return;
        };
        let footer = self.footer();
        let foot_h = footer.len() as u16;
        let body = Rect {
            height: inner.height - foot_h,
            ..inner
        };
        let foot = Rect {
            y: inner.y + inner.height - foot_h,
            height: foot_h,
            ..inner
        };
        Paragraph::new(footer).render(foot, buf);

        if let Some(editor) = &form.yaml {
            let mut editor = editor.clone();
            editor.set_style(t.style(Role::Text));
            editor.set_line_number_style(t.style(Role::Muted));
            editor.set_cursor_line_style(Style::default());
            editor.set_cursor_style(t.style(Role::Selection).add_modifier(Modifier::REVERSED));
            editor.render(body, buf);
            return;
        }

        render_fields(&form.fields, form.focus, body, buf, t);
    }
}

/// Two lines a field: the label and input, then its hint (type, default) or its error; the
/// focused field is kept in view.
/// A form's popup frame titled `title` over `area`; the room inside it, unless too small for a
/// form.
pub fn form_frame(title: String, area: Rect, buf: &mut Buffer, t: &Theme) -> Option<Rect> {
    Clear.render(area, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocused))
        .style(t.style(Role::Popup))
        .title(Span::styled(title, t.style(Role::Title)));
    let inner = block.inner(area);
    block.render(area, buf);
    (inner.height >= 4 && inner.width >= 20).then_some(inner)
}

pub fn render_fields(fields: &[FormField], focus: usize, body: Rect, buf: &mut Buffer, t: &Theme) {
    let per = 2u16;
    let fits = usize::from((body.height / per).max(1));
    let first = (focus + 1).saturating_sub(fits);
    let label_w = LABEL.min(body.width / 3);
    for (row, (i, f)) in fields.iter().enumerate().skip(first).take(fits).enumerate() {
        let y = body.y + row as u16 * per;
        let focused = i == focus;
        let label_style = if focused {
            t.style(Role::Title)
        } else {
            t.style(Role::Text)
        };
        let marker = if focused { "▸ " } else { "  " };
        let label: String = format!("{marker}{}", sanitize(&f.label))
            .chars()
            .take(usize::from(label_w.saturating_sub(1)))
            .collect();
        buf.set_stringn(body.x, y, &label, usize::from(label_w), label_style);
        let input_area = Rect {
            x: body.x + label_w,
            y,
            width: body.width - label_w,
            height: 1,
        };
        let mut input = f.input.clone();
        input.set_style(if focused {
            t.style(Role::Filter)
        } else {
            t.style(Role::Text)
        });
        input.set_cursor_line_style(Style::default());
        input.set_placeholder_style(t.style(Role::Muted));
        input.set_cursor_style(if focused {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default()
        });
        input.render(input_area, buf);
        if y + 1 < body.y + body.height {
            let (text, role) = match &f.error {
                Some(e) => (format!("✗ {e}"), Role::NoticeError),
                None => (f.hint.clone(), Role::Muted),
            };
            buf.set_stringn(
                body.x + label_w,
                y + 1,
                sanitize(&text),
                usize::from(body.width - label_w),
                t.style(role),
            );
        }
    }
}
