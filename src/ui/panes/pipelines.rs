//! The Pipelines pane: KFP pipelines and Argo templates in one list; an open pipeline shows its
//! task graph (the run graph's widget), parameters, versions and component images.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use crate::app::pipelines::OpenPipeline;
use crate::app::state::State;
use crate::config::theme::{Role, Theme};
use crate::kube::pipelines::PipelineDetail;
use crate::text::sanitize;
use crate::ui::View;
use crate::ui::format::age;
use crate::ui::layout::run_detail_areas;
use crate::ui::panes::table::{self, Col, Nouns};
use crate::ui::widgets::graph::GraphWidget;

pub struct PipelinesPane<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

impl Widget for PipelinesPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if let Some(open) = &self.state.pipeline {
            return PipelineDetailPane {
                open,
                state: self.state,
                theme: self.view.theme,
            }
            .render(area, buf);
        }
        if self.state.show_recurring {
            return RecurringTable {
                state: self.state,
                view: self.view,
            }
            .render(area, buf);
        }
        let theme = self.view.theme;
        let list = &self.state.pipelines;
        let nouns = Nouns {
            title: "Pipelines",
            plural: "pipelines",
            resource: "KFP pipelines and Argo templates",
        };
        let Some(inner) = table::frame(list, &nouns, self.state, theme, area, buf) else {
            return;
        };
        let namespace = self.state.target.namespace.is_none();
        let mut columns = vec![Col::new("NAME", Constraint::Fill(2)).at_least(20)];
        if namespace {
            columns.push(
                Col::new("NAMESPACE", Constraint::Max(20))
                    .at_least(12)
                    .gives_way(3),
            );
        }
        columns.extend([
            Col::new("SOURCE", Constraint::Length(12)).gives_way(2),
            Col::new("VERSIONS", Constraint::Length(8)).gives_way(2),
            Col::new("LATEST", Constraint::Fill(1)).at_least(12).gives_way(2),
            Col::new("DESCRIPTION", Constraint::Fill(2))
                .at_least(20)
                .gives_way(4),
            Col::new("AGE", Constraint::Length(6)).gives_way(1),
        ]);
        let now = self.state.now;
        table::table(list, columns, theme, inner, buf, |r, marked| {
            let mut cells = vec![table::name_line(&r.display_name, marked, theme)];
            if namespace {
                cells.push(Line::from(r.namespace.as_str()));
            }
            let source = match r.source {
                crate::kube::resources::pipeline::PipelineSource::ClusterWorkflowTemplate => "ClusterWFT",
                crate::kube::resources::pipeline::PipelineSource::WorkflowTemplate => "WorkflowTmpl",
                other => other.word(),
            };
            cells.push(Line::styled(source, theme.style(Role::Muted)));
            cells.push(Line::from(r.versions.map(|v| v.to_string()).unwrap_or_default()));
            cells.push(Line::from(r.latest_version.as_str()));
            cells.push(Line::styled(r.description.as_str(), theme.style(Role::Muted)));
            cells.push(Line::from(age(r.created, now)));
            cells
        });
    }
}

struct PipelineDetailPane<'a> {
    open: &'a OpenPipeline,
    state: &'a State,
    theme: &'a Theme,
}

impl Widget for PipelineDetailPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let row = &self.open.row;
        let (graph_area, side_area) = run_detail_areas(area);
        let title = Line::from(vec![
            Span::styled(format!(" {} ", sanitize(&row.display_name)), t.style(Role::Title)),
            Span::styled(format!("{} ", row.source.word()), t.style(Role::Muted)),
            Span::styled(
                format!("[{}] ", self.open.view.mode().word()),
                t.style(Role::Muted),
            ),
        ]);
        let graph_block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::BorderFocused))
            .title(title);
        let side_block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::Border))
            .title(Span::styled(" Pipeline ", t.style(Role::Title)));
        let graph_inner = graph_block.inner(graph_area);
        let side_inner = side_block.inner(side_area);
        graph_block.render(graph_area, buf);
        side_block.render(side_area, buf);
        match &self.open.detail {
            None => Paragraph::new(format!("Reading {}…", sanitize(&row.display_name)))
                .style(t.style(Role::Muted))
                .render(graph_inner, buf),
            Some(Err(e)) => Paragraph::new(format!(
                "Cannot read {}: {}",
                sanitize(&row.display_name),
                sanitize(e)
            ))
            .style(t.style(Role::NoticeError))
            .wrap(Wrap { trim: true })
            .render(graph_inner, buf),
            Some(Ok(d)) => {
                match &self.open.graph {
                    Some(g) if !g.nodes.is_empty() => GraphWidget {
                        graph: g,
                        view: &self.open.view,
                        theme: t,
                        now: self.state.now,
                    }
                    .render(graph_inner, buf),
                    _ => Paragraph::new("No tasks in this pipeline's spec.")
                        .style(t.style(Role::Muted))
                        .render(graph_inner, buf),
                }
                crate::ui::widgets::scrolled_text(
                    side_lines(row, d, t, self.state.now),
                    usize::from(self.open.view.detail_scroll()),
                    side_inner,
                    buf,
                );
            }
        }
    }
}

fn side_lines<'a>(
    row: &'a crate::kube::resources::pipeline::PipelineRow,
    d: &'a PipelineDetail,
    t: &Theme,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Line<'a>> {
    let head = |s: &'static str| Line::from(Span::styled(s, t.style(Role::Header)));
    let kv = |k: &'static str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<12}"), t.style(Role::Muted)),
            Span::styled(sanitize(&v).into_owned(), t.style(Role::Text)),
        ])
    };
    let mut lines = vec![
        kv("Source", row.source.word().to_string()),
        kv(
            "Namespace",
            if row.namespace.is_empty() {
                "(shared / cluster)".into()
            } else {
                row.namespace.clone()
            },
        ),
    ];
    if !row.description.is_empty() {
        lines.push(kv("Description", row.description.clone()));
    }
    if !d.spec_of.is_empty() {
        lines.push(kv("Spec of", d.spec_of.clone()));
    }
    lines.push(Line::raw(""));
    lines.push(head("PARAMETERS"));
    if d.params.is_empty() {
        lines.push(Line::from(Span::styled("  none", t.style(Role::Muted))));
    }
    for p in &d.params {
        let mut spans = vec![
            Span::styled(format!("  {}", sanitize(&p.name)), t.style(Role::Text)),
            Span::styled(format!("  {}", p.ty.word()), t.style(Role::Muted)),
        ];
        if let Some(def) = &p.default {
            spans.push(Span::styled(
                format!(" = {}", sanitize(def)),
                t.style(Role::Muted),
            ));
        } else if !p.optional {
            spans.push(Span::styled("  required", t.style(Role::NoticeWarn)));
        }
        lines.push(Line::from(spans));
    }
    if !d.versions.is_empty() {
        lines.push(Line::raw(""));
        lines.push(head("VERSIONS (newest first)"));
        for v in &d.versions {
            lines.push(Line::from(vec![
                Span::styled(format!("  {}", sanitize(&v.name)), t.style(Role::Text)),
                Span::styled(format!("  {}", age(v.created, now)), t.style(Role::Muted)),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(head("TASKS AND IMAGES"));
    if d.tasks.is_empty() {
        lines.push(Line::from(Span::styled("  none", t.style(Role::Muted))));
    }
    for (name, image, _) in &d.tasks {
        lines.push(Line::from(vec![
            Span::styled(format!("  {}", sanitize(name)), t.style(Role::Text)),
            Span::styled(format!("  {}", sanitize(image)), t.style(Role::Muted)),
        ]));
    }
    lines
}

/// The recurring runs, in place of the pipelines (`R` switches).
struct RecurringTable<'a> {
    state: &'a State,
    view: &'a View<'a>,
}

impl Widget for RecurringTable<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        let list = &self.state.recurring;
        let nouns = Nouns {
            title: "Recurring runs",
            plural: "recurring runs",
            resource: "scheduledworkflows.kubeflow.org and cronworkflows.argoproj.io",
        };
        let Some(inner) = table::frame(list, &nouns, self.state, theme, area, buf) else {
            return;
        };
        let columns = vec![
            Col::new("NAME", Constraint::Fill(2)).at_least(16),
            Col::new("SOURCE", Constraint::Length(12)).gives_way(3),
            Col::new("SCHEDULE", Constraint::Fill(2)).at_least(12),
            Col::new("ENABLED", Constraint::Length(8)),
            Col::new("LAST", Constraint::Length(6)).gives_way(2),
            Col::new("NEXT IN", Constraint::Length(7))
                .gives_way(2)
                .sorts("next"),
            Col::new("STARTS", Constraint::Fill(2)).at_least(20).gives_way(4),
            Col::new("AGE", Constraint::Length(6)).gives_way(1),
        ];
        let now = self.state.now;
        table::table(list, columns, theme, inner, buf, |r, marked| {
            let (enabled, role) = if r.enabled {
                ("● yes", Role::StatusRunning)
            } else {
                ("‖ no", Role::StatusSkipped)
            };
            let next = match r.next {
                Some(t) if t > now => crate::ui::format::human_duration(t - now),
                Some(_) => "due".to_string(),
                None => "—".to_string(),
            };
            vec![
                table::name_line(&r.name, marked, theme),
                Line::styled(r.source.word(), theme.style(Role::Muted)),
                Line::from(r.schedule.as_str()),
                Line::styled(enabled, theme.style(role)),
                Line::from(age(r.last, now)),
                Line::from(next),
                Line::styled(r.target.as_str(), theme.style(Role::Muted)),
                Line::from(age(r.created, now)),
            ]
        });
    }
}
