//! What the list panes share: the titled block, the sentence an empty list shows, the header
//! with its sort arrow, and row styling.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Widget, Wrap};

use crate::app::list::{ListRow, ListView};
use crate::app::state::{SourceState, State};
use crate::config::theme::{Role, Theme};

/// How a pane names its rows in sentences.
pub struct Nouns<'a> {
    /// Pane title.
    pub title: &'a str,
    /// Plural for sentences ("notebooks").
    pub plural: &'a str,
    /// The API resource ("notebooks.kubeflow.org").
    pub resource: &'a str,
}

/// Draws the block and, when there is nothing to list, the sentence saying why.
/// Returns the area for the table, or `None` when the sentence was drawn.
pub fn frame<R: ListRow>(
    list: &ListView<R>,
    nouns: &Nouns<'_>,
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
    if list.source == SourceState::Listing {
        title.push(Span::styled(" listing… ", theme.style(Role::Muted)));
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
        SourceState::Loading | SourceState::Listing => {
            (format!("Loading {plural} ({resource}) in {ns}…"), Role::Muted)
        }
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

/// A list column: its header, how it sizes, and how readily it gives way on a narrow terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Col<'a> {
    /// The header.
    pub title: &'a str,
    /// How it sizes when it is shown.
    pub width: Constraint,
    /// The narrowest it is worth showing; when the columns' minimums do not fit, some give way.
    pub min: u16,
    /// 0 never gives way; a higher number gives way sooner (the rightmost first among equals).
    pub priority: u8,
    /// The sort column (one of `ListRow::SORT_COLUMNS`) this column shows; the title's own word
    /// when empty.
    pub key: &'a str,
}

impl<'a> Col<'a> {
    /// A column that never gives way, as narrow as its constraint allows.
    pub fn new(title: &'a str, width: Constraint) -> Col<'a> {
        let header = u16::try_from(title.chars().count() + 1).unwrap_or(u16::MAX);
        let min = match width {
            Constraint::Length(n) | Constraint::Min(n) => n,
            Constraint::Max(n) => n.min(header.max(8)),
            _ => header.max(8),
        };
        Col {
            title,
            width,
            min,
            priority: 0,
            key: "",
        }
    }

    /// Gives way at this priority (higher gives way sooner).
    pub fn gives_way(mut self, priority: u8) -> Col<'a> {
        self.priority = priority;
        self
    }

    /// The narrowest this column is worth showing.
    pub fn at_least(mut self, min: u16) -> Col<'a> {
        self.min = min;
        self
    }

    /// The sort column this column shows, when it is not the title's own word.
    pub fn sorts(mut self, key: &'a str) -> Col<'a> {
        self.key = key;
        self
    }

    fn shows(&self, sort_key: &str) -> bool {
        let key = if self.key.is_empty() { self.title } else { self.key };
        key.eq_ignore_ascii_case(sort_key)
    }
}

/// Which columns are shown in `width`: while the shown columns' minimums (and the spaces between
/// them) do not fit, one gives way: an empty column first, then the one of the highest
/// `priority` number, the rightmost among equals; the sorted column (`sorted`) gives way last,
/// and a column of priority 0 never does.
pub fn fit_columns(
    columns: &[Col<'_>],
    width: u16,
    sorted: Option<usize>,
    mut empty: impl FnMut() -> Vec<bool>,
) -> Vec<bool> {
    let mut keep = vec![true; columns.len()];
    let need = |keep: &[bool]| -> usize {
        let shown: Vec<&Col> = columns
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(c, _)| c)
            .collect();
        shown.iter().map(|c| usize::from(c.min)).sum::<usize>() + shown.len().saturating_sub(1)
    };
    if need(&keep) <= usize::from(width) {
        return keep;
    }
    let empty = empty();
    while need(&keep) > usize::from(width) {
        let candidate = |only_empty: bool, allow_sorted: bool| {
            columns
                .iter()
                .enumerate()
                .filter(|(i, c)| {
                    keep[*i]
                        && c.priority > 0
                        && (allow_sorted || Some(*i) != sorted)
                        && (!only_empty || empty.get(*i).copied().unwrap_or(false))
                })
                .max_by_key(|(i, c)| (c.priority, *i))
                .map(|(i, _)| i)
        };
        let Some(drop) = candidate(true, false)
            .or_else(|| candidate(false, false))
            .or_else(|| candidate(false, true))
        else {
            break;
        };
        keep[drop] = false;
    }
    keep
}

/// `s` in at most `width` cells: whole when it fits, else its start and its end around `…`, the
/// end kept the longer (names differ at their end: `run-of-image-…(ed8f1)`).
pub fn truncate_middle(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let room = width - 1;
    let head_room = room / 2;
    let tail_room = room - head_room;
    let mut head = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > head_room {
            break;
        }
        used += w;
        head.push(c);
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > tail_room {
            break;
        }
        used += w;
        tail.push(c);
    }
    head.push('…');
    head.extend(tail.into_iter().rev());
    head
}

/// A name cell in `width` cells: the spans before the last (a mark, a marker) stay, the last
/// (the name) is shortened in its middle.
fn fit_name(mut line: Line<'_>, width: u16) -> Line<'_> {
    let width = usize::from(width);
    if line.width() <= width {
        return line;
    }
    let Some(last) = line.spans.pop() else {
        return line;
    };
    let before: usize = line.spans.iter().map(Span::width).sum();
    let room = width.saturating_sub(before);
    let name = truncate_middle(&last.content, room);
    line.spans.push(Span::styled(name, last.style));
    line
}

/// A header cell in `width` cells that keeps the sort arrow when the title is shortened.
fn fit_header(title: &str, arrow: Option<&str>, width: u16) -> String {
    let Some(arrow) = arrow else {
        return title.to_string();
    };
    let width = usize::from(width);
    let room = width.saturating_sub(1);
    if title.chars().count() <= room {
        return format!("{title}{arrow}");
    }
    let short: String = title.chars().take(room).collect();
    format!("{short}{arrow}")
}

/// Rows looked at to decide that a column is empty.
const EMPTY_SCAN: usize = 500;

/// Draws the table of the visible rows that fit, with the selection, marks and sort arrow.
/// `row` gives one line per column of `columns`, in order; the columns that do not fit give way
/// (see [`fit_columns`]) and the first column (the name) is shortened in its middle. When the
/// sorted column is not shown, the bottom border says what the list is sorted by.
pub fn table<'a, R: ListRow>(
    list: &'a ListView<R>,
    columns: Vec<Col<'_>>,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
    mut row: impl FnMut(&'a R, bool) -> Vec<Line<'a>>,
) {
    let stale = matches!(list.source, SourceState::Stale { .. });
    let sort_key = R::SORT_COLUMNS.get(list.sort.column).copied().unwrap_or("age");
    let arrow = if list.sort.descending { "▼" } else { "▲" };
    let sorted = columns.iter().position(|c| c.shows(sort_key));
    let keep = fit_columns(&columns, area.width, sorted, || {
        let mut seen = vec![false; columns.len()];
        // The first rows tell (a column empty in all of 50,000 pods need not be drawn 50,000
        // times a frame to know it).
        for r in list
            .visible
            .iter()
            .take(EMPTY_SCAN)
            .filter_map(|i| list.rows.get(*i))
        {
            for (s, line) in seen.iter_mut().zip(row(r, false)) {
                *s |= line.width() > 0;
            }
            if seen.iter().all(|s| *s) {
                break;
            }
        }
        seen.into_iter().map(|s| !s).collect()
    });
    let shown: Vec<(usize, Col)> = columns
        .iter()
        .copied()
        .enumerate()
        .filter(|(i, _)| keep.get(*i).copied().unwrap_or(false))
        .collect();
    let widths: Vec<Constraint> = shown.iter().map(|(_, c)| c.width).collect();
    let cells: Vec<u16> = Layout::horizontal(widths.iter().copied())
        .flex(Flex::Start)
        .spacing(1)
        .split(Rect::new(0, 0, area.width, 1))
        .iter()
        .map(|r| r.width)
        .collect();
    let header: Vec<String> = shown
        .iter()
        .zip(&cells)
        .map(|((i, c), w)| fit_header(c.title, (Some(*i) == sorted).then_some(arrow), *w))
        .collect();
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
            let lines = row(r, list.marked.contains(r.uid()));
            let kept = lines
                .into_iter()
                .enumerate()
                .filter(|(i, _)| keep.get(*i).copied().unwrap_or(false))
                .zip(&cells)
                .map(|((i, line), w)| if i == 0 { fit_name(line, *w) } else { line });
            Row::new(kept.map(Cell::from)).style(style)
        });
    Table::new(rows, widths)
        .header(Row::new(header).style(theme.style(Role::Header)))
        .column_spacing(1)
        .render(area, buf);
    if sorted.is_none_or(|i| !keep.get(i).copied().unwrap_or(false)) {
        let note = format!(" sorted by {}{arrow} ", sort_key.to_uppercase());
        let w = u16::try_from(note.chars().count()).unwrap_or(u16::MAX);
        let y = area.bottom();
        if w < area.width && y < buf.area.bottom() {
            let x = area.right().saturating_sub(w);
            buf.set_string(x, y, note, theme.style(Role::Muted));
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shortened_in_the_middle_keeping_their_end() {
        assert_eq!(
            truncate_middle("Run of image-classifier (ed8f1)", 28),
            "Run of image-…sifier (ed8f1)"
        );
        let line = fit_name(
            Line::from(vec![
                Span::raw("* "),
                Span::raw("Run of image-classifier (e1184)"),
            ]),
            20,
        );
        assert_eq!(line.to_string(), "* Run of i…r (e1184)");
        assert_eq!(truncate_middle("short", 28), "short");
    }
}
