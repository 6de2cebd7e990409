//! The Runs pane: Argo Workflows (and the KFP runs they carry), live.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Widget, Wrap};

use crate::app::list::ListRow;
use crate::app::state::{SourceState, State};
use crate::config::theme::{Role, Theme};
use crate::kube::resources::workflow::{RunPhase, RunRow};
use crate::ui::View;
use crate::ui::format::{age, human_duration, started};

pub struct RunsPane<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

/// The Role that colours a run phase.
pub fn phase_role(phase: RunPhase) -> Role {
    match phase {
        RunPhase::Pending => Role::StatusPending,
        RunPhase::Running | RunPhase::Stopping => Role::StatusRunning,
        RunPhase::Suspended => Role::StatusSkipped,
        RunPhase::Succeeded => Role::StatusSucceeded,
        RunPhase::Failed => Role::StatusFailed,
        RunPhase::Error => Role::StatusError,
        RunPhase::Unknown => Role::StatusUnknown,
    }
}

/// Which optional columns fit.
struct Columns {
    namespace: bool,
    pipeline: bool,
    message: bool,
}

impl Columns {
    fn for_width(width: u16, all_namespaces: bool) -> Columns {
        Columns {
            namespace: all_namespaces && width >= 110,
            pipeline: width >= 100,
            message: width >= 150,
        }
    }
}

impl Widget for RunsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        let runs = &self.state.runs;
        let stale = matches!(runs.source, SourceState::Stale { .. });
        let mut title = vec![Span::styled(" Runs ", theme.style(Role::Title))];
        let count = if runs.filter.text.is_empty() {
            format!("({}) ", runs.rows.len())
        } else {
            format!("({} of {}) ", runs.visible.len(), runs.rows.len())
        };
        title.push(Span::styled(count, theme.style(Role::Muted)));
        if stale {
            title.push(Span::styled(" stale: reconnecting ", theme.style(Role::Stale)));
        }
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::BorderFocused))
            .title(Line::from(title));
        let inner = block.inner(area);
        block.render(area, buf);

        if runs.rows.is_empty() || runs.visible.is_empty() {
            let ns = self
                .state
                .target
                .namespace
                .as_deref()
                .map_or("any namespace".to_string(), |n| format!("namespace {n}"));
            let (text, role) = match &runs.source {
                SourceState::Loading => (
                    format!("Loading runs (workflows.argoproj.io) in {ns}…"),
                    Role::Muted,
                ),
                SourceState::NotInstalled { what } => (
                    format!("{what} is not installed in this cluster: no workflows.argoproj.io API."),
                    Role::NoticeWarn,
                ),
                SourceState::Forbidden { message } => {
                    (format!("Not allowed to list runs: {message}"), Role::NoticeError)
                }
                SourceState::Failed { message } => {
                    (format!("Cannot list runs: {message}"), Role::NoticeError)
                }
                SourceState::Stale { error } => {
                    (format!("Reconnecting to the API server: {error}"), Role::Stale)
                }
                SourceState::Live if runs.rows.is_empty() => (format!("No runs in {ns}."), Role::Muted),
                SourceState::Live => (
                    "No runs match the filter. Esc clears it.".to_string(),
                    Role::Muted,
                ),
            };
            Paragraph::new(crate::text::sanitized(&text))
                .style(theme.style(role))
                .wrap(Wrap { trim: true })
                .render(inner, buf);
            return;
        }

        let cols = Columns::for_width(area.width, self.state.target.namespace.is_none());
        let mut header = vec!["NAME"];
        let sorted = RunRow::SORT_COLUMNS
            .get(runs.sort.column)
            .copied()
            .unwrap_or("age")
            .to_uppercase();
        let arrow = if runs.sort.descending { "▼" } else { "▲" };
        let mut widths = vec![Constraint::Fill(2)];
        if cols.namespace {
            header.push("NAMESPACE");
            widths.push(Constraint::Max(24));
        }
        if cols.pipeline {
            header.push("PIPELINE");
            widths.push(Constraint::Fill(1));
        }
        header.extend(["STATUS", "PROGRESS", "STARTED", "DURATION", "AGE"]);
        widths.extend([
            Constraint::Length(11),
            Constraint::Length(8),
            Constraint::Length(12),
            Constraint::Length(8),
            Constraint::Length(6),
        ]);
        if cols.message {
            header.push("MESSAGE");
            widths.push(Constraint::Fill(2));
        }

        let height = usize::from(inner.height.saturating_sub(1));
        let now = self.state.now;
        let rows = runs
            .visible
            .iter()
            .enumerate()
            .skip(runs.offset)
            .take(height)
            .filter_map(|(pos, i)| runs.rows.get(*i).map(|r| (pos, r)))
            .map(|(pos, r)| {
                let row = run_row(r, &cols, theme, now, self.view.tz, runs.marked.contains(&r.uid));
                let mut style = if stale {
                    theme.style(Role::Stale)
                } else {
                    Style::default()
                };
                if pos == runs.selected {
                    style = style.patch(theme.style(Role::Selection));
                }
                row.style(style)
            });
        let header: Vec<String> = header
            .into_iter()
            .map(|h| {
                if h == sorted {
                    format!("{h}{arrow}")
                } else {
                    h.to_string()
                }
            })
            .collect();
        Table::new(rows, widths)
            .header(Row::new(header).style(theme.style(Role::Header)))
            .column_spacing(1)
            .render(inner, buf);
    }
}

fn run_row<'a>(
    r: &'a RunRow,
    cols: &Columns,
    theme: &Theme,
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono::FixedOffset,
    marked: bool,
) -> Row<'a> {
    let mut name = Vec::with_capacity(3);
    if marked {
        name.push(Span::styled("* ", theme.style(Role::Filter)));
    }
    let marker = r.origin.marker();
    if !marker.is_empty() {
        name.push(Span::styled(format!("{marker} "), theme.style(Role::Muted)));
    }
    name.push(Span::raw(r.display_name.as_str()));
    let name = Line::from(name);
    let mut cells = vec![Cell::from(name)];
    if cols.namespace {
        cells.push(Cell::from(r.namespace.as_str()));
    }
    if cols.pipeline {
        cells.push(Cell::from(r.pipeline.as_str()));
    }
    let progress = r.progress.map(|(d, t)| format!("{d}/{t}")).unwrap_or_default();
    cells.extend([
        Cell::from(format!("{} {}", r.phase.glyph(), r.phase.word())).style(theme.style(phase_role(r.phase))),
        Cell::from(progress),
        Cell::from(started(r.started, now, tz)),
        Cell::from(r.duration(now).map(human_duration).unwrap_or_default()),
        Cell::from(age(r.created, now)),
    ]);
    if cols.message {
        cells.push(Cell::from(r.message.as_str()).style(theme.style(Role::Muted)));
    }
    Row::new(cells)
}
