//! The new-notebook form: one labelled input per field with its hint or error.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::app::notebook_form::NotebookForm;
use crate::config::theme::{Role, Theme};
use crate::text::sanitize;
use crate::ui::widgets::form::{form_frame, render_fields};

pub struct NotebookFormView<'a> {
    pub form: &'a NotebookForm,
    pub theme: &'a Theme,
}

impl Widget for NotebookFormView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let form = self.form;
        let title = format!(" New notebook · in {} ", sanitize(&form.namespace));
        let Some(inner) = form_frame(title, area, buf, t) else {
            return;
        };
        let footer = if let Some(e) = &form.error {
            Line::from(Span::styled(sanitize(e).into_owned(), t.style(Role::NoticeError)))
        } else if form.submitting.is_some() {
            Line::from(Span::styled("creating the notebook…", t.style(Role::NoticeInfo)))
        } else {
            let n = form.errors();
            let (text, role) = match n {
                0 => (
                    "ready: ctrl-s or enter on the last field creates it".to_string(),
                    Role::NoticeInfo,
                ),
                1 => ("1 field to fix".to_string(), Role::NoticeWarn),
                n => (format!("{n} fields to fix"), Role::NoticeWarn),
            };
            Line::from(Span::styled(text, t.style(role)))
        };
        let body = Rect {
            height: inner.height - 1,
            ..inner
        };
        let foot = Rect {
            y: inner.y + inner.height - 1,
            height: 1,
            ..inner
        };
        Paragraph::new(footer).render(foot, buf);
        render_fields(&form.fields, form.focus, body, buf, t);
    }
}
