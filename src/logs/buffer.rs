//! A bounded ring of log lines with counts of what went through it.
//!
//! Lines are addressed by *position*: `evicted + index`, so a position stays valid while older
//! lines are evicted from the front. Memory is proportional to the lines held (the ring grows as
//! lines arrive, up to its capacity), never to what passed through.

use std::collections::VecDeque;

use super::line::LogLine;

/// Lines a view keeps by default.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// A bounded, position-addressed ring of [`LogLine`]s.
#[derive(Debug, Clone)]
pub struct LogBuffer {
    lines: VecDeque<LogLine>,
    capacity: usize,
    received: u64,
    evicted: u64,
    dropped: u64,
    heap_bytes: usize,
}

impl Default for LogBuffer {
    fn default() -> Self {
        LogBuffer::new(DEFAULT_CAPACITY)
    }
}

impl LogBuffer {
    /// An empty buffer holding at most `capacity` lines (at least 1).
    pub fn new(capacity: usize) -> LogBuffer {
        LogBuffer {
            lines: VecDeque::new(),
            capacity: capacity.max(1),
            received: 0,
            evicted: 0,
            dropped: 0,
            heap_bytes: 0,
        }
    }

    /// Lines held now.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether no line is held.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The most lines held at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Position of the oldest line held (= lines evicted so far).
    pub fn first_pos(&self) -> u64 {
        self.evicted
    }

    /// One past the position of the newest line.
    pub fn end_pos(&self) -> u64 {
        self.evicted + self.lines.len() as u64
    }

    /// The line at `pos`, if it is still held.
    pub fn get(&self, pos: u64) -> Option<&LogLine> {
        let i = pos.checked_sub(self.evicted)?;
        self.lines.get(usize::try_from(i).ok()?)
    }

    /// Lines from `from` (clamped to the oldest held) to the end, with their positions.
    pub fn iter_from(&self, from: u64) -> impl DoubleEndedIterator<Item = (u64, &LogLine)> {
        let start = from.max(self.evicted);
        let skip = usize::try_from(start - self.evicted)
            .unwrap_or(usize::MAX)
            .min(self.lines.len());
        self.lines
            .range(skip..)
            .enumerate()
            .map(move |(k, l)| (start + k as u64, l))
    }

    /// Every line held, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogLine> {
        self.lines.iter()
    }

    /// Lines ever received (pushed), evicted or not.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Lines evicted from the front to stay within capacity.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Lines lost before reaching the buffer (reported by the stream; shown, never silent).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Counts lines lost on the way.
    pub fn note_dropped(&mut self, n: u64) {
        self.dropped += n;
    }

    /// Appends one line, evicting the oldest if full. Returns how many were evicted.
    pub fn push(&mut self, line: LogLine) -> usize {
        self.append(line);
        self.evict_to_capacity()
    }

    /// Appends a line without evicting (callers evict with [`LogBuffer::evict_to_capacity`]).
    pub(crate) fn append(&mut self, line: LogLine) {
        self.received += 1;
        self.heap_bytes += line.heap_bytes();
        self.lines.push_back(line);
    }

    /// Takes the lines from `pos` to the end out of the buffer (they are put back by
    /// [`LogBuffer::put_back`]; neither counts as received or evicted).
    pub(crate) fn take_tail(&mut self, pos: u64) -> VecDeque<LogLine> {
        let i = usize::try_from(pos.saturating_sub(self.evicted))
            .unwrap_or(usize::MAX)
            .min(self.lines.len());
        let tail = self.lines.split_off(i);
        self.heap_bytes -= tail.iter().map(LogLine::heap_bytes).sum::<usize>();
        tail
    }

    /// Puts back a line taken by [`LogBuffer::take_tail`].
    pub(crate) fn put_back(&mut self, line: LogLine) {
        self.heap_bytes += line.heap_bytes();
        self.lines.push_back(line);
    }

    /// Evicts the oldest lines beyond capacity; returns how many.
    pub fn evict_to_capacity(&mut self) -> usize {
        let over = self.lines.len().saturating_sub(self.capacity);
        for line in self.lines.drain(..over) {
            self.heap_bytes -= line.heap_bytes();
        }
        self.evicted += over as u64;
        over
    }

    /// Changes the capacity, evicting if it shrank.
    pub fn set_capacity(&mut self, capacity: usize) -> usize {
        self.capacity = capacity.max(1);
        let evicted = self.evict_to_capacity();
        self.lines.shrink_to(self.capacity);
        evicted
    }

    /// Forgets every line (counts of received/evicted/dropped are kept; positions move on).
    pub fn clear(&mut self) {
        self.evicted += self.lines.len() as u64;
        self.lines = VecDeque::new();
        self.heap_bytes = 0;
    }

    /// Bytes held: the ring's slots plus every line's text and spans.
    pub fn bytes_held(&self) -> usize {
        std::mem::size_of::<Self>() + self.lines.capacity() * std::mem::size_of::<LogLine>() + self.heap_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(i: usize) -> LogLine {
        LogLine::new(0, None, &format!("line {i}"))
    }

    #[test]
    fn eviction_is_counted_and_positions_stay_stable() {
        let mut b = LogBuffer::new(3);
        for i in 0..5 {
            b.push(line(i));
        }
        assert_eq!((b.len(), b.received(), b.evicted()), (3, 5, 2));
        assert_eq!((b.first_pos(), b.end_pos()), (2, 5));
        assert_eq!(b.get(1), None);
        assert_eq!(b.get(2).map(LogLine::text), Some("line 2"));
        assert_eq!(b.get(4).map(LogLine::text), Some("line 4"));
        assert_eq!(b.get(5), None);
        let from: Vec<u64> = b.iter_from(3).map(|(p, _)| p).collect();
        assert_eq!(from, [3, 4]);
        let all: Vec<u64> = b.iter_from(0).map(|(p, _)| p).collect();
        assert_eq!(all, [2, 3, 4]);
        assert_eq!(b.set_capacity(1), 2);
        assert_eq!((b.first_pos(), b.evicted()), (4, 4));
        b.note_dropped(7);
        assert_eq!(b.dropped(), 7);
    }

    #[test]
    fn bytes_follow_what_is_held() {
        let mut b = LogBuffer::new(2);
        let base = b.bytes_held();
        b.push(line(1));
        b.push(line(2));
        let two = b.bytes_held();
        assert!(two > base);
        for i in 0..100 {
            b.push(line(i));
        }
        assert!(b.bytes_held() <= two + 16, "{} vs {two}", b.bytes_held());
        b.clear();
        assert_eq!(b.len(), 0);
        assert_eq!(b.first_pos(), 102);
    }

    /// The default buffer full of 200-byte lines must stay under 64 MB.
    #[test]
    fn a_full_default_buffer_of_200_byte_lines_stays_under_64_mb() {
        let mut b = LogBuffer::default();
        let body = "x".repeat(190);
        for i in 0..DEFAULT_CAPACITY + 1000 {
            let mut s = format!("{i:09} {body}");
            s.truncate(200);
            b.push(LogLine::new(i % 7, Some(crate::logs::Timestamp(i as i64)), &s));
        }
        assert_eq!(b.len(), DEFAULT_CAPACITY);
        let bytes = b.bytes_held();
        eprintln!(
            "full default buffer: {bytes} bytes ({:.1} MiB) for {} lines of 200 bytes",
            bytes as f64 / (1024.0 * 1024.0),
            b.len()
        );
        assert!(bytes < 64 * 1024 * 1024, "{bytes} bytes");
    }
}
