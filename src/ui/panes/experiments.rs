//! The Experiments pane: Katib experiments, live, and an experiment's detail: its trials as a
//! sortable table (a column per parameter and metric, the best trial marked), a chart of the
//! objective over the trials, and the current optimal trial's parameters.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Cell, Chart, Dataset, GraphType, Paragraph, Row, Table, Widget, Wrap,
};

use crate::app::experiments::{Column, ExperimentDetail, columns, open_row};
use crate::app::state::{SourceState, State};
use crate::config::theme::{Role, Theme};
use crate::kube::resources::experiment::{ExperimentRow, ExperimentStatus, TrialStatus, number};
use crate::layout::experiment_areas;
pub use crate::layout::trials_height;
use crate::ui::View;
use crate::ui::format::{age, human_duration};
use crate::ui::panes::table::{self, Col, Nouns};

pub struct ExperimentsPane<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

pub fn status_role(s: ExperimentStatus) -> Role {
    match s {
        ExperimentStatus::Running => Role::StatusRunning,
        ExperimentStatus::Restarting => Role::StatusError,
        ExperimentStatus::Created => Role::StatusPending,
        ExperimentStatus::Failed => Role::StatusFailed,
        ExperimentStatus::Succeeded => Role::StatusSucceeded,
    }
}

pub fn trial_role(s: TrialStatus) -> Role {
    match s {
        TrialStatus::Running => Role::StatusRunning,
        TrialStatus::Created => Role::StatusPending,
        TrialStatus::Succeeded => Role::StatusSucceeded,
        TrialStatus::EarlyStopped | TrialStatus::Killed => Role::StatusSkipped,
        TrialStatus::MetricsUnavailable => Role::StatusUnknown,
        TrialStatus::Failed => Role::StatusFailed,
    }
}

impl Widget for ExperimentsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if let Some(d) = &self.state.experiment {
            DetailView {
                state: self.state,
                detail: d,
                theme: self.view.theme,
            }
            .render(area, buf);
            return;
        }
        let theme = self.view.theme;
        let list = &self.state.experiments;
        let nouns = Nouns {
            title: "Experiments",
            plural: "experiments",
            resource: "experiments.kubeflow.org",
        };
        let Some(inner) = table::frame(list, &nouns, self.state, theme, area, buf) else {
            return;
        };
        let namespace = self.state.target.namespace.is_none();
        let algorithm = area.width >= 100;
        let mut columns =
            vec![Col::new("NAME", Constraint::Fill(if algorithm { 2 } else { 1 })).at_least(16)];
        if namespace {
            columns.push(
                Col::new("NAMESPACE", Constraint::Max(20))
                    .at_least(12)
                    .gives_way(3),
            );
        }
        columns.extend([
            Col::new("STATUS", Constraint::Length(11)),
            Col::new("OBJECTIVE", Constraint::Fill(1))
                .at_least(12)
                .gives_way(2),
            Col::new("ALGORITHM", Constraint::Length(10)).gives_way(4),
            Col::new("BEST", Constraint::Fill(1)).at_least(8).gives_way(2),
            Col::new("BEST TRIAL", Constraint::Fill(2))
                .at_least(20)
                .gives_way(5),
            Col::new("TRIALS", Constraint::Length(14)).gives_way(2),
            Col::new("AGE", Constraint::Length(5)).gives_way(1),
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
            cells.push(Line::from(r.objective_text()));
            cells.push(Line::from(r.algorithm.as_str()));
            cells.push(Line::from(r.best.as_str()));
            cells.push(Line::styled(r.best_trial.as_str(), theme.style(Role::Muted)));
            cells.push(Line::from(r.trials_text()));
            cells.push(Line::from(age(r.created, now)));
            cells
        });
    }
}

struct DetailView<'a> {
    state: &'a State,
    detail: &'a ExperimentDetail,
    theme: &'a Theme,
}

fn cell_width(title: &str, values: impl Iterator<Item = usize>) -> u16 {
    let widest = values.max().unwrap_or(0).max(title.chars().count() + 1);
    u16::try_from(widest.clamp(6, 12)).unwrap_or(12)
}

impl DetailView<'_> {
    fn summary(&self, exp: Option<&ExperimentRow>, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let Some(e) = exp else {
            if self.state.experiments.source != SourceState::Live {
                Paragraph::new("Loading…")
                    .style(theme.style(Role::Muted))
                    .render(area, buf);
                return;
            }
            Paragraph::new(
                "This experiment is no longer listed: it was deleted, or the filter hides it. Esc goes back.",
            )
            .style(theme.style(Role::NoticeWarn))
            .wrap(Wrap { trim: true })
            .render(area, buf);
            return;
        };
        let label = |s: &'static str| Span::styled(s, theme.style(Role::Header));
        let mut first = vec![
            label("objective "),
            Span::raw(format!("{} ({})", e.objective_text(), e.direction())),
            label("  algorithm "),
            Span::raw(e.algorithm.clone()),
            label("  trials "),
            Span::raw(e.trials_text()),
        ];
        if let Some(p) = e.parallel {
            first.push(Span::styled(
                format!(" ({p} at a time)"),
                theme.style(Role::Muted),
            ));
        }
        let mut lines = vec![Line::from(first)];
        let mut best = vec![label("best ")];
        if e.best_trial.is_empty() {
            best.push(Span::styled(
                "no trial has reported the objective yet",
                theme.style(Role::Muted),
            ));
        } else {
            best.push(Span::styled(
                format!("★ {} ", e.best_trial),
                theme.style(Role::StatusSucceeded),
            ));
            best.push(Span::raw(format!("{}={}", e.metric, e.best)));
            if area.width < 120 {
                let params: Vec<String> = e.best_params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                best.push(Span::styled(
                    format!("  {}", params.join(" ")),
                    theme.style(Role::Muted),
                ));
            }
        }
        lines.push(Line::from(best));
        if area.height >= 3 {
            let space: Vec<String> = e
                .parameters
                .iter()
                .map(|p| format!("{} {} [{}]", p.name, p.type_, p.space))
                .collect();
            lines.push(Line::from(vec![
                label("search space "),
                Span::styled(space.join("  "), theme.style(Role::Muted)),
            ]));
        }
        Paragraph::new(lines).render(area, buf);
    }

    fn table(&self, exp: Option<&ExperimentRow>, cols: &[Column], area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let d = self.detail;
        if d.trials.is_empty() {
            let text = match &d.source {
                SourceState::Loading | SourceState::Listing => "Loading trials…".to_string(),
                SourceState::Live => "No trials yet.".to_string(),
                SourceState::Stale { error } => format!("Reconnecting: {error}"),
                SourceState::NotInstalled { .. } => "Katib's Trial API is not served here.".to_string(),
                SourceState::Forbidden { message } => format!("Not allowed to list trials: {message}"),
                SourceState::Failed { message } => format!("Cannot list trials: {message}"),
            };
            Paragraph::new(text)
                .style(theme.style(Role::Muted))
                .wrap(Wrap { trim: true })
                .render(area, buf);
            return;
        }
        let narrow = area.width < 120;
        // At narrow widths DURATION gives way, unless the trials are sorted by it.
        let hide_duration = narrow && cols.get(d.sort.column) != Some(&Column::Duration);
        let best = exp.map(|e| e.best_trial.as_str()).unwrap_or("");
        let arrow = if d.sort.descending { "▼" } else { "▲" };
        let mut header = Vec::new();
        let mut widths = Vec::new();
        for (i, c) in cols.iter().enumerate() {
            if hide_duration && *c == Column::Duration {
                continue;
            }
            let mut title = match c {
                Column::Status if narrow => "ST".to_string(),
                _ => c.name().to_uppercase(),
            };
            if i == d.sort.column {
                // The arrow stays when a long name is cut to its column's width.
                if matches!(c, Column::Param(_) | Column::Metric(_)) && title.chars().count() > 11 {
                    title = title.chars().take(10).chain(['…']).collect();
                }
                title.push_str(arrow);
            }
            let width = match c {
                Column::Trial => Constraint::Fill(1),
                Column::Status if narrow => Constraint::Length(3),
                Column::Status => Constraint::Length(12),
                Column::Param(p) => Constraint::Length(cell_width(
                    &title,
                    d.trials.iter().map(|t| t.param(p).unwrap_or("").chars().count()),
                )),
                Column::Metric(m) => Constraint::Length(cell_width(
                    &title,
                    d.trials.iter().map(|t| t.metric(m).unwrap_or("").chars().count()),
                )),
                Column::Duration => Constraint::Length(9),
            };
            header.push(title);
            widths.push(width);
        }
        let height = usize::from(area.height.saturating_sub(1));
        let rows = d
            .ordered()
            .enumerate()
            .skip(d.offset)
            .take(height)
            .map(|(pos, t)| {
                let is_best = !best.is_empty() && t.name == best;
                let cells: Vec<Cell> = cols
                    .iter()
                    .filter(|c| !(hide_duration && **c == Column::Duration))
                    .map(|c| match c {
                        Column::Trial => {
                            let mark = if is_best { "★ " } else { "  " };
                            Cell::from(format!("{mark}{}", t.name))
                        }
                        Column::Status if narrow => {
                            Cell::from(t.status.glyph()).style(theme.style(trial_role(t.status)))
                        }
                        Column::Status => Cell::from(format!("{} {}", t.status.glyph(), t.status.word()))
                            .style(theme.style(trial_role(t.status))),
                        Column::Param(p) => Cell::from(t.param(p).unwrap_or("").to_string()),
                        Column::Metric(m) => Cell::from(t.metric(m).unwrap_or("").to_string()),
                        Column::Duration => Cell::from(match (t.started, t.finished) {
                            (Some(s), Some(f)) => human_duration(f - s),
                            (Some(s), None) => human_duration(self.state.now - s),
                            _ => String::new(),
                        }),
                    })
                    .collect();
                let mut style = if is_best {
                    theme.style(Role::StatusSucceeded).add_modifier(Modifier::BOLD)
                } else {
                    ratatui::style::Style::default()
                };
                if pos == d.selected {
                    style = style.patch(theme.style(Role::Selection));
                }
                Row::new(cells).style(style)
            });
        Table::new(rows, widths)
            .header(Row::new(header).style(theme.style(Role::Header)))
            .column_spacing(1)
            .render(area, buf);
    }

    fn chart(&self, exp: Option<&ExperimentRow>, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let Some(e) = exp else {
            return;
        };
        let trials = self.detail.chronological();
        let points: Vec<(f64, f64, bool)> = trials
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                number(t.metric(&e.metric)?).map(|v| ((i + 1) as f64, v, t.name == e.best_trial))
            })
            .collect();
        let better = if e.maximize { "↑ better" } else { "↓ better" };
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(theme.style(Role::Border))
            .title(Span::styled(
                format!(" {} over {} trials ({better}) ", e.metric, points.len()),
                theme.style(Role::Title),
            ));
        if points.is_empty() {
            Paragraph::new("No trial has reported the objective metric yet.")
                .style(theme.style(Role::Muted))
                .block(block)
                .render(area, buf);
            return;
        }
        let all: Vec<(f64, f64)> = points.iter().map(|(x, y, _)| (*x, *y)).collect();
        let mut best_so_far = Vec::with_capacity(all.len());
        let mut run: Option<f64> = None;
        for (x, y) in &all {
            let b = match run {
                Some(b) if (e.maximize && b >= *y) || (!e.maximize && b <= *y) => b,
                _ => *y,
            };
            run = Some(b);
            best_so_far.push((*x, b));
        }
        let best: Vec<(f64, f64)> = points.iter().filter(|p| p.2).map(|(x, y, _)| (*x, *y)).collect();
        let (lo, hi) = all
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, y)| {
                (lo.min(*y), hi.max(*y))
            });
        let pad = ((hi - lo) * 0.05).max(1e-9);
        let (lo, hi) = (lo - pad, hi + pad);
        let n = trials.len().max(2) as f64;
        let show_labels = area.height >= 8;
        let mut datasets = vec![
            Dataset::default()
                .name("best so far")
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.style(Role::Muted))
                .data(&best_so_far),
            Dataset::default()
                .name("trial")
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(theme.style(Role::StatusRunning))
                .data(&all),
        ];
        if !best.is_empty() {
            datasets.push(
                Dataset::default()
                    .name("★ best")
                    .marker(Marker::Block)
                    .graph_type(GraphType::Scatter)
                    .style(theme.style(Role::StatusSucceeded))
                    .data(&best),
            );
        }
        let mut x_axis = Axis::default().bounds([1.0, n]);
        let mut y_axis = Axis::default().bounds([lo, hi]);
        if show_labels {
            x_axis = x_axis
                .style(theme.style(Role::Muted))
                .labels([Span::raw("1"), Span::raw(format!("{}", trials.len()))]);
            y_axis = y_axis
                .style(theme.style(Role::Muted))
                .labels([Span::raw(format!("{lo:.4}")), Span::raw(format!("{hi:.4}"))]);
        }
        let mut chart = Chart::new(datasets).block(block).x_axis(x_axis).y_axis(y_axis);
        if !show_labels {
            chart = chart.hidden_legend_constraints((Constraint::Length(0), Constraint::Length(0)));
        }
        chart.render(area, buf);
    }

    fn best(&self, exp: Option<&ExperimentRow>, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let block = Block::default()
            .borders(Borders::TOP | Borders::LEFT)
            .border_style(theme.style(Role::Border))
            .title(Span::styled(" Current optimal trial ", theme.style(Role::Title)));
        let mut lines = Vec::new();
        match exp {
            Some(e) if !e.best_trial.is_empty() => {
                lines.push(Line::from(Span::styled(
                    format!("★ {}", e.best_trial),
                    theme.style(Role::StatusSucceeded),
                )));
                for (k, v) in &e.best_params {
                    lines.push(Line::from(vec![
                        Span::styled(format!("{k:<14}"), theme.style(Role::Header)),
                        Span::raw(v.clone()),
                    ]));
                }
                for m in &e.best_metrics {
                    lines.push(Line::from(vec![
                        Span::styled(format!("{:<14}", m.name), theme.style(Role::Header)),
                        Span::raw(m.latest.clone()),
                        Span::styled(format!("  min {} max {}", m.min, m.max), theme.style(Role::Muted)),
                    ]));
                }
            }
            _ => lines.push(Line::from(Span::styled("none yet", theme.style(Role::Muted)))),
        }
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: true })
            .render(area, buf);
    }
}

impl Widget for DetailView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let d = self.detail;
        let exp = open_row(self.state);
        let mut title = vec![Span::styled(
            format!(" experiment/{} ", d.name),
            theme.style(Role::Title),
        )];
        if let Some(e) = exp {
            title.push(Span::styled(
                format!("{} {} ", e.status.glyph(), e.status.word()),
                theme.style(status_role(e.status)),
            ));
        }
        title.push(Span::styled(
            format!("({} trials) ", d.trials.len()),
            theme.style(Role::Muted),
        ));
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::BorderFocused))
            .title(Line::from(title))
            .render(area, buf);
        let areas = experiment_areas(area);
        let cols = columns(exp, &d.trials);
        self.summary(exp, areas.summary, buf);
        self.table(exp, &cols, areas.table, buf);
        self.chart(exp, areas.chart, buf);
        if let Some(best) = areas.best {
            self.best(exp, best, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_never_go_below_a_readable_width() {
        assert_eq!(cell_width("LR", [1usize, 2].into_iter()), 6);
        assert_eq!(cell_width("MOMENTUM", [8usize].into_iter()), 9);
        assert_eq!(cell_width("X", [200usize].into_iter()), 12);
    }
}
