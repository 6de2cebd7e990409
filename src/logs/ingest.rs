//! Turning a log stream's byte chunks into [`LogLine`]s.
//!
//! Lines are split on `\n` with memchr; a partial trailing line waits for the next chunk (or
//! [`LineSplitter::finish`] at the end of the stream). A `\r` before the `\n` is dropped; any other
//! `\r` is shown as `␍`. With `timestamps`, the API server's RFC 3339 prefix and its space are
//! parsed off. A line longer than `max_line_bytes` is cut (and marked so) without ever holding more
//! than that much of it, so a 1 MB line costs one scan and 64 KiB.

use memchr::memchr;

use super::ansi::{self, StyleSpan};
use super::line::{LogLine, parse_rfc3339_prefix};

/// Default cap on the stored bytes of one line.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 * 1024;

/// How a stream's bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestOptions {
    /// Each line starts with an RFC 3339 timestamp and a space (`timestamps=true`).
    pub timestamps: bool,
    /// Bytes of a line kept at most; the rest is dropped and the line marked as cut.
    pub max_line_bytes: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            timestamps: false,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// Splits one stream's chunks into lines, keeping a partial line between chunks.
#[derive(Debug)]
pub struct LineSplitter {
    opts: IngestOptions,
    source: usize,
    /// The start of a partial line (at most `max_line_bytes` plus a few bytes to stay on a char
    /// boundary and see a trailing `\r`).
    partial: Vec<u8>,
    /// Bytes of the partial line received so far, including those not kept.
    partial_len: usize,
    text: String,
    spans: Vec<StyleSpan>,
}

impl LineSplitter {
    /// A splitter for lines of `source`.
    pub fn new(source: usize, opts: IngestOptions) -> LineSplitter {
        LineSplitter {
            opts,
            source,
            partial: Vec::new(),
            partial_len: 0,
            text: String::new(),
            spans: Vec::new(),
        }
    }

    /// Feeds a chunk; every line it completes is appended to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<LogLine>) {
        let mut rest = chunk;
        while let Some(nl) = memchr(b'\n', rest) {
            let piece = &rest[..nl];
            if self.partial_len == 0 {
                out.push(self.line(piece, piece.len()));
            } else {
                self.keep(piece);
                let raw = std::mem::take(&mut self.partial);
                out.push(self.line(&raw, self.partial_len));
                self.partial = raw;
                self.partial.clear();
                self.partial_len = 0;
            }
            rest = &rest[nl + 1..];
        }
        if !rest.is_empty() {
            self.keep(rest);
        }
    }

    /// The stream ended: a last line without `\n` is a line too.
    pub fn finish(&mut self, out: &mut Vec<LogLine>) {
        if self.partial_len > 0 {
            let raw = std::mem::take(&mut self.partial);
            out.push(self.line(&raw, self.partial_len));
            self.partial = raw;
            self.discard_partial();
        }
    }

    /// Forgets a partial line (the stream was cut mid-line and will be replayed).
    pub fn discard_partial(&mut self) {
        self.partial.clear();
        self.partial_len = 0;
    }

    /// Whether part of a line is waiting for its end.
    pub fn has_partial(&self) -> bool {
        self.partial_len > 0
    }

    fn keep(&mut self, piece: &[u8]) {
        self.partial_len += piece.len();
        let room = (self.opts.max_line_bytes + 4).saturating_sub(self.partial.len());
        self.partial.extend_from_slice(&piece[..piece.len().min(room)]);
    }

    /// Builds a line from `raw` (what was kept of it) and the length it had as received.
    fn line(&mut self, raw: &[u8], received: usize) -> LogLine {
        let mut cut = received > raw.len();
        let raw = match raw.split_last() {
            Some((b'\r', head)) if !cut => head,
            _ => raw,
        };
        let (ts, body) = match self.opts.timestamps {
            true => split_timestamp(raw),
            false => (None, raw),
        };
        let max = self.opts.max_line_bytes;
        let body = if body.len() > max {
            cut = true;
            &body[..utf8_floor(body, max)]
        } else {
            body
        };
        cut |= ansi::sanitize_into(body, max, &mut self.text, &mut self.spans);
        LogLine::from_parts(self.source, ts, &self.text, &self.spans, cut.then_some(received))
    }
}

/// Splits `2024-…Z rest` into the timestamp and `rest`; lines without one are kept whole.
fn split_timestamp(raw: &[u8]) -> (Option<super::Timestamp>, &[u8]) {
    match parse_rfc3339_prefix(raw) {
        Some((ts, n)) if raw.get(n) == Some(&b' ') => (Some(ts), &raw[n + 1..]),
        Some((ts, n)) if n == raw.len() => (Some(ts), &[]),
        _ => (None, raw),
    }
}

/// The largest `i <= max` that does not split a UTF-8 sequence of `b`.
fn utf8_floor(b: &[u8], max: usize) -> usize {
    let mut i = max.min(b.len());
    let floor = i.saturating_sub(3);
    while i > floor && i < b.len() && b[i] & 0xc0 == 0x80 {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::Timestamp;

    fn split(chunks: &[&[u8]], opts: IngestOptions) -> Vec<LogLine> {
        let mut s = LineSplitter::new(0, opts);
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut out);
        }
        s.finish(&mut out);
        out
    }

    fn texts(lines: &[LogLine]) -> Vec<&str> {
        lines.iter().map(LogLine::text).collect()
    }

    #[test]
    fn partial_lines_wait_for_the_next_chunk() {
        let lines = split(
            &[b"one\ntw", b"o\n", b"thr", b"ee", b"\nfour"],
            IngestOptions::default(),
        );
        assert_eq!(texts(&lines), ["one", "two", "three", "four"]);
        let lines = split(&[b"a\n\nb\n"], IngestOptions::default());
        assert_eq!(texts(&lines), ["a", "", "b"]);
    }

    #[test]
    fn crlf_ends_a_line_and_a_lone_cr_is_shown() {
        let lines = split(&[b"dos\r", b"\nmid\rdle\r\n\r\n"], IngestOptions::default());
        assert_eq!(texts(&lines), ["dos", "mid␍dle", ""]);
    }

    #[test]
    fn invalid_utf8_split_across_chunks_is_still_one_character() {
        let euro = "€".as_bytes();
        let lines = split(&[&euro[..1], &euro[1..], b" \xff\n"], IngestOptions::default());
        assert_eq!(texts(&lines), ["€ \u{fffd}"]);
    }

    #[test]
    fn timestamps_are_parsed_off() {
        let opts = IngestOptions {
            timestamps: true,
            ..IngestOptions::default()
        };
        let lines = split(
            &[
                b"2024-05-01T12:00:00.000000001Z hello\n",
                b"no timestamp here\n2024-05-01T12:00:01Z\n",
            ],
            opts,
        );
        assert_eq!(texts(&lines), ["hello", "no timestamp here", ""]);
        assert_eq!(lines[0].timestamp(), Some(Timestamp(1_714_564_800_000_000_001)));
        assert_eq!(lines[1].timestamp(), None);
        assert_eq!(lines[2].timestamp(), Some(Timestamp(1_714_564_801_000_000_000)));
    }

    #[test]
    fn a_one_megabyte_line_is_cut_not_hoarded() {
        let big = vec![b'x'; 1 << 20];
        let opts = IngestOptions {
            timestamps: true,
            ..IngestOptions::default()
        };
        let mut whole = b"2024-05-01T12:00:00Z ".to_vec();
        whole.extend_from_slice(&big);
        whole.extend_from_slice(b"\nnext\n");
        let start = std::time::Instant::now();
        let lines = split(&[&whole], opts);
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text().len(), DEFAULT_MAX_LINE_BYTES);
        assert!(lines[0].truncated());
        assert_eq!(lines[0].received_len(), Some(whole.len() - 6));
        assert!(lines[0].timestamp().is_some());
        assert_eq!(lines[1].text(), "next");

        let mut s = LineSplitter::new(0, IngestOptions::default());
        let mut out = Vec::new();
        for chunk in big.chunks(4096) {
            s.push(chunk, &mut out);
            assert!(s.partial.len() <= DEFAULT_MAX_LINE_BYTES + 4);
        }
        s.push(b"\n", &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].truncated());
        assert_eq!(out[0].received_len(), Some(1 << 20));
    }

    #[test]
    fn cutting_never_splits_a_character() {
        let opts = IngestOptions {
            timestamps: false,
            max_line_bytes: 5,
        };
        let lines = split(&["aéééé\n".as_bytes()], opts);
        assert_eq!(lines[0].text(), "aéé");
        assert!(lines[0].truncated());
    }

    #[test]
    fn discarding_a_partial_forgets_it() {
        let mut s = LineSplitter::new(2, IngestOptions::default());
        let mut out = Vec::new();
        s.push(b"complete\nhalf a li", &mut out);
        assert!(s.has_partial());
        s.discard_partial();
        s.push(b"fresh\n", &mut out);
        s.finish(&mut out);
        assert_eq!(texts(&out), ["complete", "fresh"]);
        assert_eq!(out[1].source(), 2);
    }
}
