//! The log engine: pure and synchronous, no IO and no clock.
//!
//! Bytes from a pod's log stream go through [`ingest::LineSplitter`] (split on `\n` with memchr,
//! invalid UTF-8 → U+FFFD, the API server's RFC 3339 timestamp parsed off) and [`ansi`] (SGR colour
//! kept as compact style spans, every other control or escape sequence made visible), once, on
//! arrival. The resulting [`LogLine`]s land in a bounded [`buffer::LogBuffer`], merged in time order
//! across sources by [`merge`]. [`view::LogView`] is the pane's state (follow, scroll, wrap,
//! timestamps, [`search`] and filter) and lays out only the lines the screen shows.
//!
//! Streams (`crate::kube::logs`) talk to the app in [`LogEvent`]s.

pub mod ansi;
pub mod buffer;
pub mod ingest;
pub mod line;
pub mod merge;
pub mod resume;
pub mod search;
pub mod view;

pub use buffer::{DEFAULT_CAPACITY, LogBuffer};
pub use ingest::{IngestOptions, LineSplitter};
pub use line::{LogLine, Timestamp};
pub use resume::ResumePoint;
pub use view::{LogView, StreamState};

/// News from a log stream for one source of one view. The app wraps it in its `Msg` and hands it
/// to [`LogView::apply`].
#[derive(Debug, Clone, PartialEq)]
pub enum LogEvent {
    /// A batch of lines, in the order the source wrote them.
    Lines {
        /// The view the stream feeds (its [`LogView::id`]).
        view: u64,
        /// Which source of the view (index from [`LogView::add_source`]).
        source: usize,
        lines: Vec<LogLine>,
    },
    /// The stream's state changed (waiting, streaming, reconnecting, ended, failed).
    State {
        view: u64,
        source: usize,
        state: StreamState,
    },
    /// Lines were lost on the way (never expected; counted and shown, never silent).
    Dropped { view: u64, source: usize, count: u64 },
}

impl LogEvent {
    /// The view this event is for.
    pub fn view(&self) -> u64 {
        match self {
            LogEvent::Lines { view, .. } | LogEvent::State { view, .. } | LogEvent::Dropped { view, .. } => {
                *view
            }
        }
    }
}
