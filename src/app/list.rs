//! The list panes' common machinery: rows of any kind, filtered, sorted, selected and marked.
//! Each kind of row says how it is searched and compared; everything else is shared.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::app::filter::Filter;
use crate::app::state::{LineInput, Sort, SourceState, VerbTarget};
pub use crate::kube::row::ListRow;

/// Newest first, then namespace and name: the tie-breaker every order ends with.
pub fn newest_first<R: ListRow>(a: &R, b: &R) -> Ordering {
    b.created()
        .cmp(&a.created())
        .then_with(|| a.namespace().cmp(b.namespace()))
        .then_with(|| a.name().cmp(b.name()))
}

/// A list pane's rows and the view over them.
#[derive(Debug, Clone)]
pub struct ListView<R> {
    /// Every row from the source, in arrival order.
    pub rows: Arc<[R]>,
    /// Indices into `rows` that pass the filter, in display order.
    pub visible: Vec<usize>,
    /// Every index into `rows`, in the sort order: a filter keystroke filters this instead of
    /// sorting again (`None`: the rows or the order changed since).
    order: Option<Vec<usize>>,
    /// The searchable text of the rows in `order`, one after another, with where each ends:
    /// a substring filter scans it instead of visiting every row (built at the first such
    /// filter after the order changed).
    haystack: Option<(String, Vec<usize>)>,
    /// Index into `visible` of the selected row.
    pub selected: usize,
    /// Index into `visible` of the first row on screen.
    pub offset: usize,
    /// The active filter text (the bar may be open or closed).
    pub filter: LineInput,
    pub source: SourceState,
    pub sort: Sort,
    /// The committed filter's label selector, applied by the API server.
    pub selector: Option<String>,
    /// Rows marked for a bulk verb, by uid.
    pub marked: BTreeSet<String>,
}

impl<R> Default for ListView<R> {
    fn default() -> Self {
        ListView {
            rows: Arc::from(Vec::new()),
            visible: Vec::new(),
            order: None,
            haystack: None,
            selected: 0,
            offset: 0,
            filter: LineInput::default(),
            source: SourceState::Loading,
            sort: Sort::default(),
            selector: None,
            marked: BTreeSet::new(),
        }
    }
}

impl<R: ListRow> ListView<R> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn selected_row(&self) -> Option<&R> {
        self.visible.get(self.selected).and_then(|i| self.rows.get(*i))
    }

    /// The visible rows, in order.
    pub fn visible_rows(&self) -> impl Iterator<Item = &R> {
        self.visible.iter().filter_map(|i| self.rows.get(*i))
    }

    /// Replaces the rows, keeping the selection on the same object when it is still there.
    pub fn set_rows(&mut self, rows: Arc<[R]>, height: usize, now: DateTime<Utc>) {
        let selected = self.selected_row().map(|r| r.uid().to_string());
        self.rows = rows;
        self.recompute(now);
        if let Some(pos) = selected.and_then(|uid| self.position_of(&uid)) {
            self.selected = pos;
        }
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
        self.clamp(height);
        if self.source != SourceState::Listing {
            self.source = SourceState::Live;
        }
    }

    fn position_of(&self, uid: &str) -> Option<usize> {
        self.visible
            .iter()
            .position(|i| self.rows.get(*i).is_some_and(|r| r.uid() == uid))
    }

    /// Sorts every row again and recomputes which pass the filter.
    pub fn recompute(&mut self, now: DateTime<Utc>) {
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        let column = R::SORT_COLUMNS.get(self.sort.column).copied().unwrap_or("");
        let (rows, descending) = (&self.rows, self.sort.descending);
        order.sort_by(|a, b| match (rows.get(*a), rows.get(*b)) {
            (Some(x), Some(y)) => {
                let o = x.compare(y, column, now).then_with(|| newest_first(x, y));
                if descending { o.reverse() } else { o }
            }
            _ => Ordering::Equal,
        });
        self.order = Some(order);
        self.haystack = None;
        self.apply_filter(now);
    }

    /// The rows' searchable text in `order`, from `cache`, built there if it is not.
    fn haystack<'a>(
        cache: &'a mut Option<(String, Vec<usize>)>,
        rows: &[R],
        order: &[usize],
    ) -> &'a (String, Vec<usize>) {
        cache.get_or_insert_with(|| {
            let mut text = String::new();
            let mut ends = Vec::with_capacity(order.len());
            for i in order {
                if let Some(r) = rows.get(*i) {
                    for f in r.search_fields() {
                        text.push_str(f);
                        // A control character: never in a typed filter, so no match spans two fields.
                        text.push('\u{1f}');
                    }
                }
                ends.push(text.len());
            }
            (text, ends)
        })
    }

    /// Recomputes which rows pass the filter, keeping the sort order already computed.
    fn apply_filter(&mut self, now: DateTime<Utc>) {
        let Some(order) = self.order.as_ref().filter(|o| o.len() == self.rows.len()) else {
            return self.recompute(now);
        };
        let filter = Filter::parse(&self.filter.text).unwrap_or(Filter::All);
        if let Filter::All = filter {
            self.visible = order.clone();
            return;
        }
        if let Filter::Substring { .. } = filter {
            // One pass over contiguous text, not a visit to every row.
            let (text, ends) = Self::haystack(&mut self.haystack, &self.rows, order);
            let mut start = 0;
            let mut visible = Vec::new();
            for (i, end) in order.iter().zip(ends) {
                if filter.matches([&text[start..*end]]) {
                    visible.push(*i);
                }
                start = *end;
            }
            self.visible = visible;
            return;
        }
        let rows = &self.rows;
        self.visible = order
            .iter()
            .copied()
            .filter(|i| {
                rows.get(*i)
                    .is_some_and(|r| filter.matches_row(r.search_fields(), r.labels()))
            })
            .collect();
    }

    /// Keeps the selected row on screen.
    pub fn clamp(&mut self, height: usize) {
        self.offset = window_offset(self.selected, self.offset, self.visible.len(), height);
    }

    /// The marked rows that are still listed, else the selected one.
    pub fn targets(&self) -> Vec<VerbTarget> {
        if self.marked.is_empty() {
            return self.selected_target().into_iter().collect();
        }
        self.rows
            .iter()
            .filter(|r| self.marked.contains(r.uid()))
            .map(target_of)
            .collect()
    }

    pub fn selected_target(&self) -> Option<VerbTarget> {
        self.selected_row().map(target_of)
    }
}

pub fn target_of<R: ListRow>(r: &R) -> VerbTarget {
    VerbTarget {
        kind: r.kind(),
        namespace: r.namespace().to_string(),
        name: r.name().to_string(),
        display: r.display().to_string(),
    }
}

/// What update does to any list, whatever its rows.
pub trait AnyList {
    fn filter_input(&mut self) -> &mut LineInput;
    fn filter_text(&self) -> &str;
    /// The filter being typed, with its cursor.
    fn filter_line(&self) -> &LineInput;
    fn refilter(&mut self, now: DateTime<Utc>);
    fn move_by(&mut self, delta: isize, height: usize);
    fn clamp_to(&mut self, height: usize);
    fn sort_columns(&self) -> &'static [&'static str];
    fn sort_state(&self) -> Sort;
    /// Sorts by a column; choosing the sorted column again (with no direction) reverses it.
    fn sort_by(&mut self, column: usize, descending: Option<bool>, now: DateTime<Utc>, height: usize);
    fn set_selector(&mut self, selector: Option<String>);
    fn toggle_mark(&mut self);
    fn mark_all(&mut self);
    fn unmark_all(&mut self);
    /// Marks the rows whose name matches; returns how many matched.
    fn mark_matching(&mut self, filter: &Filter) -> usize;
    fn marked_count(&self) -> usize;
    fn verb_targets(&self) -> Vec<VerbTarget>;
    fn selected(&self) -> Option<VerbTarget>;
    fn visible_len(&self) -> usize;
    fn total_len(&self) -> usize;
    fn set_source(&mut self, source: SourceState);
    fn source(&self) -> &SourceState;
    /// Forgets the rows (another namespace or context is coming), keeping filter and sort.
    fn reset(&mut self);
    /// Whether a clock tick changes what the visible rows show.
    fn live_on_screen(&self, now: DateTime<Utc>, height: usize) -> bool;
}

impl<R: ListRow> AnyList for ListView<R> {
    fn filter_input(&mut self) -> &mut LineInput {
        &mut self.filter
    }

    fn filter_line(&self) -> &LineInput {
        &self.filter
    }

    fn filter_text(&self) -> &str {
        &self.filter.text
    }

    fn refilter(&mut self, now: DateTime<Utc>) {
        self.apply_filter(now);
        self.selected = 0;
        self.offset = 0;
    }

    fn move_by(&mut self, delta: isize, height: usize) {
        let len = self.visible.len();
        if len == 0 {
            return;
        }
        let target = (self.selected as isize).saturating_add(delta);
        self.selected = target.clamp(0, len as isize - 1) as usize;
        self.clamp(height);
    }

    fn clamp_to(&mut self, height: usize) {
        self.clamp(height);
    }

    fn sort_columns(&self) -> &'static [&'static str] {
        R::SORT_COLUMNS
    }

    fn sort_state(&self) -> Sort {
        self.sort
    }

    fn sort_by(&mut self, column: usize, descending: Option<bool>, now: DateTime<Utc>, height: usize) {
        let descending = descending.unwrap_or(self.sort.column == column && !self.sort.descending);
        self.sort = Sort { column, descending };
        let selected = self.selected_row().map(|r| r.uid().to_string());
        self.recompute(now);
        if let Some(pos) = selected.and_then(|uid| self.position_of(&uid)) {
            self.selected = pos;
        }
        self.clamp(height);
    }

    fn set_selector(&mut self, selector: Option<String>) {
        self.selector = selector;
    }

    fn toggle_mark(&mut self) {
        if let Some(uid) = self.selected_row().map(|r| r.uid().to_string())
            && !self.marked.remove(&uid)
        {
            self.marked.insert(uid);
        }
    }

    fn mark_all(&mut self) {
        let uids: Vec<String> = self.visible_rows().map(|r| r.uid().to_string()).collect();
        self.marked.extend(uids);
    }

    fn unmark_all(&mut self) {
        self.marked.clear();
    }

    fn mark_matching(&mut self, filter: &Filter) -> usize {
        let uids: Vec<String> = self
            .visible_rows()
            .filter(|r| filter.matches_row([r.display(), r.name()], r.labels()))
            .map(|r| r.uid().to_string())
            .collect();
        let n = uids.len();
        self.marked.extend(uids);
        n
    }

    fn marked_count(&self) -> usize {
        self.marked.len()
    }

    fn verb_targets(&self) -> Vec<VerbTarget> {
        self.targets()
    }

    fn selected(&self) -> Option<VerbTarget> {
        self.selected_target()
    }

    fn visible_len(&self) -> usize {
        self.visible.len()
    }

    fn total_len(&self) -> usize {
        self.rows.len()
    }

    fn set_source(&mut self, source: SourceState) {
        self.source = source;
    }

    fn source(&self) -> &SourceState {
        &self.source
    }

    fn reset(&mut self) {
        *self = ListView {
            filter: std::mem::take(&mut self.filter),
            sort: self.sort,
            selector: self.selector.take(),
            ..ListView::default()
        };
    }

    fn live_on_screen(&self, now: DateTime<Utc>, height: usize) -> bool {
        let young = chrono::Duration::minutes(2);
        self.visible
            .iter()
            .skip(self.offset)
            .take(height.max(1))
            .filter_map(|i| self.rows.get(*i))
            .any(|r| r.is_live() || r.created().is_some_and(|c| now - c < young))
    }
}

/// The first row shown of `len` rows in a window of `height`, moved as little as possible from
/// `offset` so that row `selected` is inside it.
pub fn window_offset(selected: usize, offset: usize, len: usize, height: usize) -> usize {
    let height = height.max(1);
    let offset = if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    };
    offset.min(len.saturating_sub(height))
}
