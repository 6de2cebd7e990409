//! The Models pane: KServe InferenceServices, live: readiness and why not, URL, model, traffic.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::Widget;

use crate::app::state::State;
use crate::config::theme::Role;
use crate::kube::resources::inference_service::{IsvcRow, Readiness};
use crate::ui::View;
use crate::ui::format::age;
use crate::ui::panes::table::{self, Col, Nouns};

pub struct ModelsPane<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

/// The Role that colours readiness (the glyph and word carry it without colour).
pub fn ready_role(ready: Readiness) -> Role {
    match ready {
        Readiness::Ready => Role::StatusSucceeded,
        Readiness::Pending => Role::StatusPending,
        Readiness::NotReady => Role::StatusFailed,
        Readiness::Stopped => Role::StatusSkipped,
    }
}

/// The ready cell: glyph and word; a model asked to stop that still serves says "Stopping".
pub fn ready_text(r: &IsvcRow) -> String {
    if r.stopped && r.ready != Readiness::Stopped {
        "◍ Stopping".to_string()
    } else {
        format!("{} {}", r.ready.glyph(), r.ready.word())
    }
}

impl Widget for ModelsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        if self.state.model.test.is_some() {
            let pane = crate::ui::panes::model_detail::TestPane {
                state: self.state,
                theme,
            };
            return pane.render(area, buf);
        }
        if self.state.model.open.is_some() {
            let pane = crate::ui::panes::model_detail::ModelDetail {
                state: self.state,
                theme,
            };
            return pane.render(area, buf);
        }
        let list = &self.state.models;
        let nouns = Nouns {
            title: "Models",
            plural: "models",
            resource: "inferenceservices.serving.kserve.io",
        };
        let Some(inner) = table::frame(list, &nouns, self.state, theme, area, buf) else {
            return;
        };
        let namespace = self.state.target.namespace.is_none();
        let runtime = area.width >= 120;
        let mut columns = vec![Col::new("NAME", Constraint::Fill(1)).at_least(16)];
        if namespace {
            columns.push(
                Col::new("NAMESPACE", Constraint::Max(20))
                    .at_least(12)
                    .gives_way(4),
            );
        }
        columns.extend([
            Col::new("READY", Constraint::Length(10)),
            Col::new("REASON", Constraint::Min(15)).gives_way(2),
            Col::new("MODEL", Constraint::Fill(1))
                .at_least(16)
                .gives_way(1)
                .sorts("format"),
            Col::new("TRAFFIC", Constraint::Length(9)).gives_way(3),
            Col::new("MODE", Constraint::Length(13)).gives_way(6),
            Col::new("URL", Constraint::Fill(2)).at_least(20).gives_way(5),
            Col::new("STORAGE", Constraint::Fill(2)).at_least(20).gives_way(7),
            Col::new("AGE", Constraint::Length(6)).gives_way(1),
        ]);
        let now = self.state.now;
        table::table(list, columns, theme, inner, buf, |r, marked| {
            let mut cells = vec![table::name_line(&r.name, marked, theme)];
            if namespace {
                cells.push(Line::from(r.namespace.as_str()));
            }
            cells.extend([
                Line::styled(ready_text(r), theme.style(ready_role(r.ready))),
                Line::styled(r.reason.as_str(), theme.style(Role::Muted)),
                Line::from(if runtime {
                    r.format_runtime()
                } else {
                    r.format.clone()
                }),
                Line::from(r.traffic_text()),
                Line::from(r.mode.as_str()),
                Line::from(r.url.as_str()),
                Line::from(r.storage_uri.as_str()),
                Line::from(age(r.created, now)),
            ]);
            cells
        });
    }
}
