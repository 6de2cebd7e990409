//! What the list panes share: the titled block, the sentence an empty list shows, the header
//! with its sort arrow, and row styling.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, Widget, Wrap};

use crate::app::list::{ListRow, ListView};
use crate::app::state::{SourceState, State};
use crate::config::theme::{Role, Theme};

/// How a pane names its rows in sentences.
pub struct Nouns {
    /// Pane title.
    pub title: &'static str,
    /// Plural for sentences ("notebooks").
    pub plural: &'static str,
    /// The API resource ("notebooks.kubeflow.org").
    pub resource: &'static str,
}

/// Draws the block and, when there is nothing to list, the sentence saying why.
/// Returns the area for the table, or `None` when the sentence was drawn.
pub fn frame<R: ListRow>(
    list: &ListView<R>,
    nouns: &Nouns,
    state: &State,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) -> Option<Rect> {
    let stale = matches!(list.source, SourceState::Stale { .. });
    let mut title = vec![Span::styled(
        format!(" {} ", nouns.title),
        theme.style(Role::Title),
    )];
    let count = if list.filter.text.is_empty() {
        format!("({}) ", list.rows.len())
    } else {
        format!("({} of {}) ", list.visible.len(), list.rows.len())
    };
    title.push(Span::styled(count, theme.style(Role::Muted)));
    if !list.marked.is_empty() {
        title.push(Span::styled(
            format!(" {} marked ", list.marked.len()),
            theme.style(Role::Filter),
        ));
    }
    if stale {
        title.push(Span::styled(" stale: reconnecting ", theme.style(Role::Stale)));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::BorderFocused))
        .title(Line::from(title));
    let inner = block.inner(area);
    block.render(area, buf);
    if !list.rows.is_empty() && !list.visible.is_empty() {
        return Some(inner);
    }
    let ns = state
        .target
        .namespace
        .as_deref()
        .map_or("any namespace".to_string(), |n| format!("namespace {n}"));
    let (plural, resource) = (nouns.plural, nouns.resource);
    let (text, role) = match &list.source {
        SourceState::Loading => (format!("Loading {plural} ({resource}) in {ns}…"), Role::Muted),
        SourceState::NotInstalled { what } => (
            format!("{what} is not installed in this cluster: no {resource} API."),
            Role::NoticeWarn,
        ),
        SourceState::Forbidden { message } => (
            format!("Not allowed to list {plural}: {message}"),
            Role::NoticeError,
        ),
        SourceState::Failed { message } => (format!("Cannot list {plural}: {message}"), Role::NoticeError),
        SourceState::Stale { error } => (format!("Reconnecting to the API server: {error}"), Role::Stale),
        SourceState::Live if list.rows.is_empty() => (format!("No {plural} in {ns}."), Role::Muted),
        SourceState::Live => (
            format!("No {plural} match the filter. Esc clears it."),
            Role::Muted,
        ),
    };
    Paragraph::new(crate::text::sanitized(&text))
        .style(theme.style(role))
        .wrap(Wrap { trim: true })
        .render(inner, buf);
    None
}

/// Draws the table of the visible rows that fit, with the selection, marks and sort arrow.
pub fn table<'a, R: ListRow>(
    list: &'a ListView<R>,
    columns: Vec<(&'static str, Constraint)>,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
    mut row: impl FnMut(&'a R, bool) -> Row<'a>,
) {
    let stale = matches!(list.source, SourceState::Stale { .. });
    let sorted = R::SORT_COLUMNS
        .get(list.sort.column)
        .copied()
        .unwrap_or("age")
        .to_uppercase();
    let arrow = if list.sort.descending { "▼" } else { "▲" };
    let (header, widths): (Vec<String>, Vec<Constraint>) = columns
        .into_iter()
        .map(|(h, w)| {
            let h = if h == sorted {
                format!("{h}{arrow}")
            } else {
                h.to_string()
            };
            (h, w)
        })
        .unzip();
    let height = usize::from(area.height.saturating_sub(1));
    let rows = list
        .visible
        .iter()
        .enumerate()
        .skip(list.offset)
        .take(height)
        .filter_map(|(pos, i)| list.rows.get(*i).map(|r| (pos, r)))
        .map(|(pos, r)| {
            let mut style = if stale {
                theme.style(Role::Stale)
            } else {
                Style::default()
            };
            if pos == list.selected {
                style = style.patch(theme.style(Role::Selection));
            }
            row(r, list.marked.contains(r.uid())).style(style)
        });
    Table::new(rows, widths)
        .header(Row::new(header).style(theme.style(Role::Header)))
        .column_spacing(1)
        .render(area, buf);
}

/// The name cell: a mark when marked, then the name.
pub fn name_line<'a>(name: &'a str, marked: bool, theme: &Theme) -> Line<'a> {
    let mut spans = Vec::with_capacity(2);
    if marked {
        spans.push(Span::styled("* ", theme.style(Role::Filter)));
    }
    spans.push(Span::raw(name));
    Line::from(spans)
}
