//! The Notebooks pane: Kubeflow Notebooks, live, with the status the Jupyter web app shows.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::Widget;

use crate::app::state::State;
use crate::config::theme::Role;
use crate::kube::resources::notebook::NotebookStatus;
use crate::ui::View;
use crate::ui::format::age;
use crate::ui::panes::table::{self, Col, Nouns};

pub struct NotebooksPane<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

/// The Role that colours a notebook status (the glyph and word carry it without colour).
pub fn status_role(status: NotebookStatus) -> Role {
    match status {
        NotebookStatus::Ready => Role::StatusRunning,
        NotebookStatus::Waiting => Role::StatusPending,
        NotebookStatus::Warning => Role::StatusFailed,
        NotebookStatus::Stopped => Role::StatusSkipped,
        NotebookStatus::Terminating => Role::StatusUnknown,
    }
}

impl Widget for NotebooksPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        let list = &self.state.notebooks;
        let nouns = Nouns {
            title: "Notebooks",
            plural: "notebooks",
            resource: "notebooks.kubeflow.org",
        };
        let Some(inner) = table::frame(list, &nouns, self.state, theme, area, buf) else {
            return;
        };
        let namespace = self.state.target.namespace.is_none();
        let mut columns = vec![Col::new("NAME", Constraint::Fill(2)).at_least(16)];
        if namespace {
            columns.push(
                Col::new("NAMESPACE", Constraint::Max(20))
                    .at_least(12)
                    .gives_way(4),
            );
        }
        columns.extend([
            Col::new("STATUS", Constraint::Length(13)),
            Col::new("TYPE", Constraint::Length(7)).gives_way(2),
            Col::new("IMAGE", Constraint::Fill(2)).at_least(16).gives_way(5),
            Col::new("CPU", Constraint::Length(5)).gives_way(3),
            Col::new("MEMORY", Constraint::Length(6)).gives_way(3),
            Col::new("GPU", Constraint::Length(3)).gives_way(3),
            Col::new("ACTIVITY", Constraint::Length(8)).gives_way(6),
            Col::new("AGE", Constraint::Length(6)).gives_way(1),
            Col::new("REASON", Constraint::Fill(2)).at_least(16).gives_way(7),
        ]);
        let now = self.state.now;
        table::table(list, columns, theme, inner, buf, |r, marked| {
            let mut cells = vec![table::name_line(&r.name, marked, theme)];
            if namespace {
                cells.push(Line::from(r.namespace.as_str()));
            }
            cells.push(Line::styled(
                format!("{} {}", r.status.glyph(), r.status.word()),
                theme.style(status_role(r.status)),
            ));
            cells.push(Line::from(r.server.word()));
            cells.extend([
                Line::from(r.image_short.as_str()),
                Line::from(r.cpu.as_str()),
                Line::from(r.memory.as_str()),
                Line::from(r.gpus.as_str()),
                Line::from(age(r.last_activity, now)),
                Line::from(age(r.created, now)),
            ]);
            let reason = if r.status == NotebookStatus::Ready {
                ""
            } else {
                r.reason.as_str()
            };
            cells.push(Line::styled(reason, theme.style(Role::Muted)));
            cells
        });
    }
}
