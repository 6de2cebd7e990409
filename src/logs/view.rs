//! The log pane's state and its pure operations: what `update` calls on keys and stream events,
//! and the layout of the visible lines that render draws.
//!
//! Positions are buffer positions (see [`LogBuffer`]). The screen shows either every line or, with
//! a filter, the matching ones (the *display sequence*). Following shows the newest lines; any
//! scroll up pauses, keeping the top line fixed while new lines are counted; [`LogView::bottom`]
//! (`G`) or [`LogView::toggle_follow`] (`f`) resumes. Layout touches only the lines on screen.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Write};
use std::ops::Range;

use unicode_width::UnicodeWidthChar;

use super::LogEvent;
use super::buffer::{DEFAULT_CAPACITY, LogBuffer};
use super::line::LogLine;
use super::merge::merge_batch;
use super::search::{MatchSet, Query, QueryError};

/// The state of one source's stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StreamState {
    /// Not connected yet.
    #[default]
    Connecting,
    /// The container has not started (`ContainerCreating`, `PodInitializing`, an image pull
    /// error, …); the stream starts when it runs.
    Waiting { reason: String },
    /// Lines are arriving.
    Streaming,
    /// The stream was cut (network, API server); it resumes by itself from the last timestamp.
    Reconnecting { reason: String },
    /// The stream ended for good (`container exited`, `pod deleted`).
    Ended { reason: String },
    /// The stream cannot be had (forbidden, no such container, …).
    Failed { reason: String },
}

impl StreamState {
    /// Whether lines may still arrive.
    pub fn is_live(&self) -> bool {
        !matches!(self, StreamState::Ended { .. } | StreamState::Failed { .. })
    }
}

impl fmt::Display for StreamState {
    /// `waiting: ContainerCreating`, `streaming`, `reconnecting`, `ended: container exited`, …
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamState::Connecting => f.write_str("connecting"),
            StreamState::Waiting { reason } => write!(f, "waiting: {reason}"),
            StreamState::Streaming => f.write_str("streaming"),
            StreamState::Reconnecting { .. } => f.write_str("reconnecting"),
            StreamState::Ended { reason } => write!(f, "ended: {reason}"),
            StreamState::Failed { reason } => write!(f, "failed: {reason}"),
        }
    }
}

/// One source of a view: a pod (or one container of it), with its display name and colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Shown before each of its lines when the view has several sources (a step's display name).
    pub name: String,
    /// Index into the pane's palette of source colours.
    pub color: u8,
    pub state: StreamState,
}

/// Where the screen's top is when not following: a line and a row within it (wrapped lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Anchor {
    pos: u64,
    row: usize,
}

/// Search state: the prompt being typed, the compiled query and its matches.
#[derive(Debug, Clone, Default)]
pub struct Search {
    input: String,
    editing: bool,
    /// Query and position before `/`, restored by Esc.
    saved: Option<Saved>,
    set: Option<MatchSet>,
    error: Option<QueryError>,
    current: Option<u64>,
}

impl Search {
    /// The query text (as being typed, or as committed).
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Whether the `/` prompt is open.
    pub fn editing(&self) -> bool {
        self.editing
    }

    /// The compiled query, if the input is a valid, non-empty one.
    pub fn query(&self) -> Option<&Query> {
        self.set.as_ref().map(MatchSet::query)
    }

    /// Why the input is not a valid query.
    pub fn error(&self) -> Option<&QueryError> {
        self.error.as_ref()
    }

    /// The matching lines.
    pub fn matches(&self) -> Option<&MatchSet> {
        self.set.as_ref()
    }

    /// Position of the current match (n/N move it).
    pub fn current(&self) -> Option<u64> {
        self.current
    }

    /// The current match's rank (1-based) and the number of matching lines.
    pub fn position(&self) -> Option<(usize, usize)> {
        let set = self.set.as_ref()?;
        let cur = self.current?;
        Some((set.index_at_or_after(cur) + 1, set.len()))
    }
}

/// What `/` saves for Esc to restore.
#[derive(Debug, Clone)]
struct Saved {
    input: String,
    current: Option<u64>,
    follow: bool,
    anchor: Anchor,
}

/// The sequence of positions shown: every line, or a filter's matches.
#[derive(Clone, Copy)]
enum Seq<'a> {
    All { first: u64, len: usize },
    Only(&'a VecDeque<u64>),
}

impl Seq<'_> {
    fn len(&self) -> usize {
        match self {
            Seq::All { len, .. } => *len,
            Seq::Only(v) => v.len(),
        }
    }

    fn at(&self, i: usize) -> u64 {
        match self {
            Seq::All { first, .. } => first + i as u64,
            Seq::Only(v) => v.get(i).copied().unwrap_or(u64::MAX),
        }
    }

    /// Index of the first position at or after `pos`, clamped to the last one (len ≥ 1).
    fn index_of(&self, pos: u64) -> usize {
        let i = match self {
            Seq::All { first, .. } => usize::try_from(pos.saturating_sub(*first)).unwrap_or(usize::MAX),
            Seq::Only(v) => v.partition_point(|&p| p < pos),
        };
        i.min(self.len().saturating_sub(1))
    }
}

/// One screen row of the log body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<'a> {
    /// Position of the line in the buffer.
    pub pos: u64,
    pub line: &'a LogLine,
    /// Whether this is the line's first row (the gutter shows source and time only there).
    pub first: bool,
    /// The part of the line shown, as a byte range of its text followed by its cut marker
    /// ([`LogView::cut_marker`]): offsets past the text's end index into the marker.
    pub range: Range<usize>,
}

/// The rows on screen, top to bottom.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window<'a> {
    pub rows: Vec<Row<'a>>,
}

/// Widest source name shown in the prefix.
pub const MAX_PREFIX_NAME: usize = 24;
/// Columns of the timestamp gutter: `HH:MM:SS.mmm `.
pub const TIMESTAMP_COLUMNS: usize = 13;
/// What separates the source name from the line.
pub const PREFIX_SEPARATOR: &str = " │ ";

/// The state of one log pane.
#[derive(Debug, Clone)]
pub struct LogView {
    id: u64,
    title: String,
    buffer: LogBuffer,
    sources: Vec<Source>,
    follow: bool,
    anchor: Anchor,
    new_lines: u64,
    wrap: bool,
    timestamps: bool,
    utc: bool,
    hscroll: usize,
    search: Search,
    filter: Option<MatchSet>,
    viewport: (u16, u16),
}

impl LogView {
    /// An empty view keeping the default 100,000 lines, following, wrapping, without timestamps.
    pub fn new(id: u64, title: impl Into<String>) -> LogView {
        LogView::with_capacity(id, title, DEFAULT_CAPACITY)
    }

    /// An empty view keeping at most `capacity` lines.
    pub fn with_capacity(id: u64, title: impl Into<String>, capacity: usize) -> LogView {
        LogView {
            id,
            title: crate::text::sanitized(&title.into()),
            buffer: LogBuffer::new(capacity),
            sources: Vec::new(),
            follow: true,
            anchor: Anchor::default(),
            new_lines: 0,
            wrap: true,
            timestamps: false,
            utc: false,
            hscroll: 0,
            search: Search::default(),
            filter: None,
            viewport: (80, 20),
        }
    }

    /// The id streams address this view by.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// What the view shows (`run train-xyz`, `pod/NAME`), for the pane title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The lines held and their counts.
    pub fn buffer(&self) -> &LogBuffer {
        &self.buffer
    }

    // ---- sources and stream events ------------------------------------------------------

    /// Adds a source (a step or container joining); returns its index for [`LogEvent`]s.
    pub fn add_source(&mut self, name: impl Into<String>) -> usize {
        let i = self.sources.len();
        self.sources.push(Source {
            name: crate::text::sanitized(&name.into()),
            color: u8::try_from(i % 256).unwrap_or(0),
            state: StreamState::Connecting,
        });
        i
    }

    /// The sources, by index.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// Sets a source's stream state (unknown indices are ignored).
    pub fn set_state(&mut self, source: usize, state: StreamState) {
        if let Some(s) = self.sources.get_mut(source) {
            s.state = state;
        }
    }

    /// Applies a stream event meant for this view; returns whether it was (events for other views
    /// are left alone).
    pub fn apply(&mut self, event: LogEvent) -> bool {
        if event.view() != self.id {
            return false;
        }
        match event {
            LogEvent::Lines { source, lines, .. } => self.push_lines(source, lines),
            LogEvent::State { source, state, .. } => self.set_state(source, state),
            LogEvent::Dropped { count, .. } => self.buffer.note_dropped(count),
        }
        true
    }

    /// Takes in a batch of one source's lines: merged by time with the other sources, kept within
    /// capacity, searched and filtered as they land. While paused the screen does not move and
    /// the new lines are counted.
    pub fn push_lines(&mut self, source: usize, mut lines: Vec<LogLine>) {
        if lines.is_empty() {
            return;
        }
        for line in &mut lines {
            line.set_source(source);
        }
        let added = lines.len() as u64;
        let mut tracked = [self.anchor.pos, self.search.current.unwrap_or(0)];
        let merged = merge_batch(&mut self.buffer, lines, &mut tracked);
        self.anchor.pos = tracked[0];
        if self.search.current.is_some() {
            self.search.current = Some(tracked[1]);
        }
        let shown_before = self.filter.as_ref().map(MatchSet::len);
        if let Some(set) = &mut self.search.set {
            set.apply_merge(&self.buffer, &merged);
        }
        if let Some(f) = &mut self.filter {
            f.apply_merge(&self.buffer, &merged);
        }
        if !self.follow {
            self.new_lines += match (shown_before, &self.filter) {
                (Some(before), Some(f)) => f.len().saturating_sub(before) as u64,
                _ => added,
            };
        }
        if self.buffer.evict_to_capacity() > 0 {
            let first = self.buffer.first_pos();
            if let Some(set) = &mut self.search.set {
                set.evict_before(first);
            }
            if let Some(f) = &mut self.filter {
                f.evict_before(first);
            }
            if self.search.current.is_some_and(|c| c < first) {
                self.search.current = self.search.set.as_ref().and_then(|s| s.lines().front().copied());
            }
        }
    }

    /// An empty view with another id and title that keeps this one's settings: capacity, wrap,
    /// timestamps and their zone, the viewport, the search and the filter. For restarting the
    /// streams with other options: the old streams' late lines carry the old id and are ignored.
    pub fn renewed(&self, id: u64, title: impl Into<String>) -> LogView {
        let mut v = LogView::with_capacity(id, title, self.buffer.capacity());
        v.wrap = self.wrap;
        v.timestamps = self.timestamps;
        v.utc = self.utc;
        v.viewport = self.viewport;
        if let Some(f) = &self.filter {
            // The text parsed before, so it parses again.
            let _ = v.set_filter(f.query().text());
        }
        if self.search.query().is_some() {
            v.search_set(&self.search.input);
        }
        v
    }

    /// Forgets every line (e.g. before restarting the streams with other options).
    pub fn clear(&mut self) {
        self.buffer.clear();
        let first = self.buffer.first_pos();
        if let Some(s) = &mut self.search.set {
            s.evict_before(first);
        }
        if let Some(f) = &mut self.filter {
            f.evict_before(first);
        }
        self.search.current = None;
        self.new_lines = 0;
        self.follow = true;
    }

    // ---- viewport and scrolling ---------------------------------------------------------

    /// Tells the view the size of the log body it is drawn in (see `LogsPane::body_area`), so
    /// scrolling moves by rows and pages as they will show.
    pub fn set_viewport(&mut self, width: u16, height: u16) {
        self.viewport = (width, height);
    }

    /// The body size last given to [`LogView::set_viewport`].
    pub fn viewport(&self) -> (u16, u16) {
        self.viewport
    }

    /// Whether the view follows new lines.
    pub fn is_following(&self) -> bool {
        self.follow
    }

    /// Lines that arrived (and would show) since following was paused.
    pub fn new_lines(&self) -> u64 {
        self.new_lines
    }

    /// Scrolls up `n` rows; pauses following.
    pub fn scroll_up(&mut self, n: usize) {
        let (w, h) = self.viewport_usize();
        let seq = self.seq();
        let Some((mut i, mut row)) = self.effective_top(seq, w, h) else {
            self.pause();
            return;
        };
        let mut n = n;
        while n > 0 {
            if row >= n {
                row -= n;
                break;
            }
            n -= row + 1;
            if i == 0 {
                row = 0;
                break;
            }
            i -= 1;
            row = self.rows_of(seq.at(i), w) - 1;
        }
        let anchor = Anchor { pos: seq.at(i), row };
        self.pause();
        self.anchor = anchor;
    }

    /// Scrolls down `n` rows (stops at the bottom; following stays paused until `G`/`f`).
    pub fn scroll_down(&mut self, n: usize) {
        if self.follow {
            return;
        }
        let (w, h) = self.viewport_usize();
        let seq = self.seq();
        let Some((mut i, mut row)) = self.effective_top(seq, w, h) else {
            return;
        };
        let mut n = n;
        while n > 0 {
            let rows = self.rows_of(seq.at(i), w);
            if row + n < rows {
                row += n;
                break;
            }
            n -= rows - row;
            if i + 1 >= seq.len() {
                row = rows - 1;
                break;
            }
            i += 1;
            row = 0;
        }
        let pos = seq.at(i);
        self.anchor = Anchor { pos, row };
        let seq = self.seq();
        if let Some((i, row)) = self.effective_top(seq, w, h) {
            let pos = seq.at(i);
            self.anchor = Anchor { pos, row };
        }
    }

    /// Up one screen (less one row of context).
    pub fn page_up(&mut self) {
        self.scroll_up(self.page());
    }

    /// Down one screen (less one row of context).
    pub fn page_down(&mut self) {
        self.scroll_down(self.page());
    }

    /// Jumps to the oldest line held; pauses following.
    pub fn top(&mut self) {
        let seq = self.seq();
        let pos = if seq.len() > 0 {
            seq.at(0)
        } else {
            self.buffer.first_pos()
        };
        self.pause();
        self.anchor = Anchor { pos, row: 0 };
    }

    /// Jumps to the newest line and follows again.
    pub fn bottom(&mut self) {
        self.follow = true;
        self.new_lines = 0;
    }

    /// Pauses following where the screen is, or resumes it.
    pub fn toggle_follow(&mut self) {
        if self.follow {
            self.pause_here();
        } else {
            self.bottom();
        }
    }

    /// Scrolls long lines right by `n` columns (when not wrapping).
    pub fn scroll_right(&mut self, n: usize) {
        if !self.wrap {
            self.hscroll = self
                .hscroll
                .saturating_add(n)
                .min(super::ingest::DEFAULT_MAX_LINE_BYTES);
        }
    }

    /// Scrolls back left by `n` columns.
    pub fn scroll_left(&mut self, n: usize) {
        self.hscroll = self.hscroll.saturating_sub(n);
    }

    /// Columns scrolled right.
    pub fn hscroll(&self) -> usize {
        self.hscroll
    }

    // ---- display options ----------------------------------------------------------------

    /// Wraps long lines, or cuts them at the edge (then `scroll_left/right` move sideways).
    pub fn toggle_wrap(&mut self) {
        let keep = self.pause_anchor_if_paused();
        self.wrap = !self.wrap;
        self.hscroll = 0;
        self.anchor = keep;
    }

    /// Whether long lines wrap.
    pub fn wrap(&self) -> bool {
        self.wrap
    }

    /// Shows or hides the server's timestamps.
    pub fn toggle_timestamps(&mut self) {
        self.timestamps = !self.timestamps;
    }

    /// Whether timestamps show.
    pub fn timestamps(&self) -> bool {
        self.timestamps
    }

    /// Shows timestamps in UTC or in local time.
    pub fn toggle_utc(&mut self) {
        self.utc = !self.utc;
    }

    /// Whether timestamps show in UTC (else local time).
    pub fn utc(&self) -> bool {
        self.utc
    }

    // ---- search -------------------------------------------------------------------------

    /// The search state (prompt, query, matches, current match).
    pub fn search(&self) -> &Search {
        &self.search
    }

    /// Opens the `/` prompt with an empty query; the old one is restored by
    /// [`LogView::search_cancel`].
    pub fn search_start(&mut self) {
        self.search.saved = Some(Saved {
            input: std::mem::take(&mut self.search.input),
            current: self.search.current,
            follow: self.follow,
            anchor: self.anchor,
        });
        self.search.editing = true;
        self.refresh_search();
    }

    /// Types a character into the prompt; the search runs as you type.
    pub fn search_input(&mut self, c: char) {
        if !c.is_control() {
            self.search.input.push(c);
            self.refresh_search();
        }
    }

    /// Deletes the prompt's last character.
    pub fn search_backspace(&mut self) {
        if self.search.input.pop().is_some() {
            self.refresh_search();
        }
    }

    /// Replaces the query (e.g. from a `:search` command or a paste).
    pub fn search_set(&mut self, text: &str) {
        self.search.input = text.chars().filter(|c| !c.is_control()).collect();
        self.refresh_search();
    }

    /// Enter: closes the prompt, keeping the query and the position.
    pub fn search_commit(&mut self) {
        self.search.editing = false;
        self.search.saved = None;
    }

    /// Esc: closes the prompt and puts back the previous query and position.
    pub fn search_cancel(&mut self) {
        self.search.editing = false;
        if let Some(saved) = self.search.saved.take() {
            self.search.input = saved.input;
            self.rebuild_search(None);
            self.search.current = saved.current.filter(|_| self.search.set.is_some());
            self.follow = saved.follow;
            self.anchor = saved.anchor;
        }
    }

    /// Removes the search and its highlights.
    pub fn search_clear(&mut self) {
        self.search = Search::default();
    }

    /// `n`: the next match below the current one (wrapping around).
    pub fn search_next(&mut self) {
        self.step_match(true);
    }

    /// `N`: the previous match above the current one (wrapping around).
    pub fn search_prev(&mut self) {
        self.step_match(false);
    }

    // ---- filter -------------------------------------------------------------------------

    /// The filter, if the view shows only matching lines.
    pub fn filter(&self) -> Option<&MatchSet> {
        self.filter.as_ref()
    }

    /// `&`: shows only the lines matching the current search, or all lines again. Returns whether
    /// a filter is on afterwards (off when there is no search to filter by).
    pub fn toggle_filter(&mut self) -> bool {
        if self.filter.is_some() {
            self.filter = None;
        } else if let Some(set) = &self.search.set {
            self.filter = Some(set.clone());
        }
        self.filter.is_some()
    }

    /// Shows only lines matching `input` (empty: all lines).
    pub fn set_filter(&mut self, input: &str) -> Result<(), QueryError> {
        self.filter = Query::parse(input)?.map(|q| MatchSet::new(q, &self.buffer));
        Ok(())
    }

    // ---- layout -------------------------------------------------------------------------

    /// Columns before a line's text on its first row: the source name (when there are several
    /// sources) and the timestamp.
    pub fn gutter_width(&self) -> usize {
        self.prefix_width() + if self.timestamps { TIMESTAMP_COLUMNS } else { 0 }
    }

    /// Columns of the source prefix (name padded, and the separator), 0 with one source.
    pub fn prefix_width(&self) -> usize {
        if self.sources.len() <= 1 {
            return 0;
        }
        let widest = self
            .sources
            .iter()
            .map(|s| display_width(&s.name))
            .max()
            .unwrap_or(0);
        widest.min(MAX_PREFIX_NAME) + display_width(PREFIX_SEPARATOR)
    }

    /// What is shown after a cut line's text (`" ✂ line cut, 1048576 bytes"`).
    pub fn cut_marker(line: &LogLine) -> Option<String> {
        line.received_len().map(|n| format!(" ✂ line cut, {n} bytes"))
    }

    /// The rows of a body `width` × `height` as they show now: only the lines on screen are
    /// looked at.
    pub fn window(&self, width: u16, height: u16) -> Window<'_> {
        let (w, h) = (usize::from(width), usize::from(height));
        let seq = self.seq();
        let Some((mut i, skip)) = self.effective_top(seq, w, h) else {
            return Window::default();
        };
        let text_w = self.text_width(w);
        let mut rows = Vec::with_capacity(h);
        let mut ranges = Vec::new();
        let mut skip = skip;
        while rows.len() < h && i < seq.len() {
            let pos = seq.at(i);
            let Some(line) = self.buffer.get(pos) else { break };
            ranges.clear();
            self.line_ranges(line, text_w, &mut ranges);
            for (k, range) in ranges.drain(..).enumerate().skip(skip) {
                if rows.len() == h {
                    break;
                }
                rows.push(Row {
                    pos,
                    line,
                    first: k == 0,
                    range,
                });
            }
            skip = 0;
            i += 1;
        }
        Window { rows }
    }

    /// Writes the lines (all, or only the filtered ones) as plain text: timestamp (RFC 3339, UTC)
    /// when shown, source name when there are several, then the sanitised text. Returns the
    /// number of lines written.
    pub fn write_to(&self, out: &mut dyn Write, filtered: bool) -> io::Result<u64> {
        let seq = if filtered { self.seq() } else { self.all() };
        let multi = self.sources.len() > 1;
        let mut n = 0;
        for i in 0..seq.len() {
            let Some(line) = self.buffer.get(seq.at(i)) else {
                continue;
            };
            if self.timestamps
                && let Some(ts) = line.timestamp()
            {
                write!(out, "{} ", ts.to_rfc3339())?;
            }
            if multi && let Some(src) = self.sources.get(line.source()) {
                write!(out, "{}{PREFIX_SEPARATOR}", src.name)?;
            }
            out.write_all(line.text().as_bytes())?;
            out.write_all(b"\n")?;
            n += 1;
        }
        Ok(n)
    }

    // ---- internals ----------------------------------------------------------------------

    fn all(&self) -> Seq<'_> {
        Seq::All {
            first: self.buffer.first_pos(),
            len: self.buffer.len(),
        }
    }

    fn seq(&self) -> Seq<'_> {
        match &self.filter {
            Some(f) => Seq::Only(f.lines()),
            None => self.all(),
        }
    }

    fn viewport_usize(&self) -> (usize, usize) {
        (usize::from(self.viewport.0), usize::from(self.viewport.1))
    }

    fn page(&self) -> usize {
        usize::from(self.viewport.1).saturating_sub(1).max(1)
    }

    fn pause(&mut self) {
        if self.follow {
            self.follow = false;
            self.new_lines = 0;
        }
    }

    /// Pauses with the screen exactly where following had it.
    fn pause_here(&mut self) {
        let (w, h) = self.viewport_usize();
        let seq = self.seq();
        let top = self
            .effective_top(seq, w, h)
            .map(|(i, row)| Anchor { pos: seq.at(i), row });
        self.pause();
        if let Some(anchor) = top {
            self.anchor = anchor;
        }
    }

    /// The anchor to keep across a layout change: the top line, at its first row.
    fn pause_anchor_if_paused(&self) -> Anchor {
        if self.follow {
            return self.anchor;
        }
        let (w, h) = self.viewport_usize();
        let seq = self.seq();
        match self.effective_top(seq, w, h) {
            Some((i, _)) => Anchor {
                pos: seq.at(i),
                row: 0,
            },
            None => self.anchor,
        }
    }

    fn text_width(&self, width: usize) -> usize {
        width.saturating_sub(self.gutter_width()).max(1)
    }

    /// Screen rows of the line at `pos` for a body `width` wide (1 when not wrapping).
    fn rows_of(&self, pos: u64, width: usize) -> usize {
        if !self.wrap {
            return 1;
        }
        match self.buffer.get(pos) {
            Some(line) => wrapped_rows(line, self.text_width(width)),
            None => 1,
        }
    }

    /// The row ranges of `line` in a text column `text_w` wide.
    fn line_ranges(&self, line: &LogLine, text_w: usize, out: &mut Vec<Range<usize>>) {
        let marker = LogView::cut_marker(line).unwrap_or_default();
        if self.wrap {
            wrap_ranges(line.text(), &marker, text_w, out);
        } else {
            out.push(clip_range(line.text(), &marker, self.hscroll, text_w));
        }
    }

    /// The top of the screen as (index in `seq`, row in that line), clamped so that the screen
    /// is full whenever there is enough to fill it.
    fn effective_top(&self, seq: Seq<'_>, w: usize, h: usize) -> Option<(usize, usize)> {
        if seq.len() == 0 {
            return None;
        }
        if self.follow {
            return Some(self.bottom_top(seq, w, h));
        }
        let i = seq.index_of(self.anchor.pos);
        let row = if seq.at(i) == self.anchor.pos {
            self.anchor.row.min(self.rows_of(seq.at(i), w) - 1)
        } else {
            0
        };
        let mut rows = 0;
        let mut j = i;
        while j < seq.len() && rows < h + row {
            rows += self.rows_of(seq.at(j), w);
            j += 1;
        }
        if rows < h + row {
            return Some(self.bottom_top(seq, w, h));
        }
        Some((i, row))
    }

    /// The top when the last line sits on the last row.
    fn bottom_top(&self, seq: Seq<'_>, w: usize, h: usize) -> (usize, usize) {
        let mut need = h.max(1);
        let mut i = seq.len();
        while i > 0 {
            i -= 1;
            let r = self.rows_of(seq.at(i), w);
            if r >= need {
                return (i, r - need);
            }
            need -= r;
        }
        (0, 0)
    }

    /// Recompiles the search after the prompt changed and moves to the best match.
    fn refresh_search(&mut self) {
        let previous = self.search.set.take();
        self.rebuild_search(previous);
        if let Some(saved) = &self.search.saved {
            self.follow = saved.follow;
            self.anchor = saved.anchor;
        }
        let reference = self.bottom_pos_of(self.follow, self.anchor);
        let Some(set) = &self.search.set else {
            self.search.current = None;
            return;
        };
        let visible = |p: u64| self.filter.as_ref().is_none_or(|f| f.contains(p));
        let before = set.index_at_or_after(reference.saturating_add(1));
        let current = set
            .lines()
            .range(..before)
            .rev()
            .copied()
            .find(|&p| visible(p))
            .or_else(|| set.lines().range(before..).copied().find(|&p| visible(p)));
        self.search.current = current;
        if let Some(pos) = current {
            self.reveal(pos);
        }
    }

    /// Compiles the input; `previous` (the last match set) narrows the scan when it can.
    fn rebuild_search(&mut self, previous: Option<MatchSet>) {
        self.search.error = None;
        self.search.set = match Query::parse(&self.search.input) {
            Ok(Some(q)) => Some(match previous {
                Some(prev) if q.narrows(prev.query()) => MatchSet::narrowed(q, &prev, &self.buffer),
                _ => MatchSet::new(q, &self.buffer),
            }),
            Ok(None) => None,
            Err(e) => {
                self.search.error = Some(e);
                None
            }
        };
        let still = |c: u64| self.search.set.as_ref().is_some_and(|s| s.contains(c));
        if !self.search.current.is_some_and(still) {
            self.search.current = None;
        }
    }

    /// Position of the last line on screen for a given follow/anchor state.
    fn bottom_pos_of(&mut self, follow: bool, anchor: Anchor) -> u64 {
        let saved = (self.follow, self.anchor);
        (self.follow, self.anchor) = (follow, anchor);
        let (w, h) = self.viewport;
        let pos = self.window(w, h).rows.last().map(|r| r.pos);
        (self.follow, self.anchor) = saved;
        pos.unwrap_or_else(|| self.buffer.end_pos().saturating_sub(1))
    }

    fn step_match(&mut self, forward: bool) {
        let Some(set) = &self.search.set else { return };
        let lines = set.lines();
        if lines.is_empty() {
            return;
        }
        let visible = |p: &u64| self.filter.as_ref().is_none_or(|f| f.contains(*p));
        let cur = self.search.current;
        let next = match (forward, cur) {
            (true, Some(c)) => {
                let i = set.index_at_or_after(c.saturating_add(1));
                lines
                    .range(i..)
                    .find(|p| visible(p))
                    .or_else(|| lines.range(..i).find(|p| visible(p)))
            }
            (false, Some(c)) => {
                let i = set.index_at_or_after(c);
                lines
                    .range(..i)
                    .rev()
                    .find(|p| visible(p))
                    .or_else(|| lines.range(i..).rev().find(|p| visible(p)))
            }
            (true, None) => lines.iter().find(|p| visible(p)),
            (false, None) => lines.iter().rev().find(|p| visible(p)),
        }
        .copied();
        self.search.current = next;
        if let Some(pos) = next {
            self.reveal(pos);
        }
    }

    /// Makes the line at `pos` visible: nothing if it is on screen, else pause with it a third
    /// of the way down.
    fn reveal(&mut self, pos: u64) {
        let (w, h) = self.viewport;
        if self.window(w, h).rows.iter().any(|r| r.pos == pos) {
            return;
        }
        let seq = self.seq();
        if seq.len() == 0 {
            return;
        }
        let pos = seq.at(seq.index_of(pos));
        self.pause();
        self.anchor = Anchor { pos, row: 0 };
        self.scroll_up(usize::from(h) / 3);
    }
}

/// Display width of a string (each char's width; control characters never occur here).
pub fn display_width(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Rows a line takes when wrapped at `width` columns.
fn wrapped_rows(line: &LogLine, width: usize) -> usize {
    let marker = LogView::cut_marker(line);
    let marker = marker.as_deref().unwrap_or("");
    let text = line.text();
    if text.is_ascii() && marker.is_ascii() {
        return (text.len() + marker.len()).div_ceil(width.max(1)).max(1);
    }
    let mut out = Vec::new();
    wrap_ranges(text, marker, width, &mut out);
    out.len()
}

/// Characters of `text` then `marker`, with their offsets in the concatenation.
fn chars_of<'a>(text: &'a str, marker: &'a str) -> impl Iterator<Item = (usize, char)> + 'a {
    let n = text.len();
    text.char_indices()
        .chain(marker.char_indices().map(move |(i, c)| (i + n, c)))
}

/// Splits `text` + `marker` into rows of at most `width` columns (a wide character that does
/// not fit starts the next row). Always at least one row.
fn wrap_ranges(text: &str, marker: &str, width: usize, out: &mut Vec<Range<usize>>) {
    let total = text.len() + marker.len();
    let width = width.max(1);
    if text.is_ascii() && marker.is_ascii() {
        let mut start = 0;
        loop {
            let end = (start + width).min(total);
            out.push(start..end);
            if end >= total {
                return;
            }
            start = end;
        }
    }
    let mut start = 0;
    let mut col = 0;
    for (i, c) in chars_of(text, marker) {
        let w = c.width().unwrap_or(0);
        if col + w > width && col > 0 {
            out.push(start..i);
            start = i;
            col = 0;
        }
        col += w;
    }
    out.push(start..total);
}

/// The part of `text` + `marker` visible from column `from` in `width` columns (no wrapping).
fn clip_range(text: &str, marker: &str, from: usize, width: usize) -> Range<usize> {
    let total = text.len() + marker.len();
    let mut col = 0;
    let mut start = None;
    for (i, c) in chars_of(text, marker) {
        let w = c.width().unwrap_or(0);
        match start {
            None if col >= from => {
                start = Some(i);
                col = 0;
            }
            None => {
                col += w;
                continue;
            }
            Some(_) => {}
        }
        if col + w > width {
            return start.unwrap_or(i)..i;
        }
        col += w;
    }
    let s = start.unwrap_or(total);
    s..total
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;
