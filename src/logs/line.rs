//! One stored log line, kept compact: the sanitised text, its colour spans, a timestamp and the
//! index of the source (pod/container) it came from.

use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::{DateTime, SecondsFormat, Utc};

use super::ansi::{self, StyleSpan};

/// A point in time: nanoseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

const NANOS_PER_SEC: i64 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

impl Timestamp {
    /// Whole seconds since the epoch, rounded down (also for times before 1970).
    pub fn seconds(self) -> i64 {
        self.0.div_euclid(NANOS_PER_SEC)
    }

    /// The nanoseconds past [`Timestamp::seconds`].
    pub fn subsec_nanos(self) -> u32 {
        u32::try_from(self.0.rem_euclid(NANOS_PER_SEC)).unwrap_or(0)
    }

    /// This time as a chrono `DateTime`.
    pub fn to_chrono(self) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(self.0)
    }

    /// A chrono time, saturating outside ±292 years around 1970.
    pub fn from_chrono(t: DateTime<Utc>) -> Timestamp {
        Timestamp(
            t.timestamp_nanos_opt()
                .unwrap_or(if t.timestamp() < 0 { i64::MIN } else { i64::MAX }),
        )
    }

    /// RFC 3339 with nanoseconds and `Z`, as the API server writes it.
    pub fn to_rfc3339(self) -> String {
        self.to_chrono().to_rfc3339_opts(SecondsFormat::Nanos, true)
    }

    /// `HH:MM:SS.mmm` at `offset_secs` east of UTC.
    pub fn time_of_day(self, offset_secs: i32) -> String {
        let secs = self.seconds() + i64::from(offset_secs);
        let day = secs.rem_euclid(SECS_PER_DAY);
        let millis = self.subsec_nanos() / 1_000_000;
        format!(
            "{:02}:{:02}:{:02}.{millis:03}",
            day / 3600,
            day % 3600 / 60,
            day % 60
        )
    }
}

/// Parses a leading RFC 3339 timestamp (`2024-05-01T12:00:00.123456789Z`, `…+02:00`) off `b`.
/// Returns the time and how many bytes it took. Seconds may have 0–9 fractional digits (more are
/// read and ignored); a leap second `:60` counts as `:59.999999999`.
pub fn parse_rfc3339_prefix(b: &[u8]) -> Option<(Timestamp, usize)> {
    if b.len() < 20 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let mut second = digits(b, 17, 2)?;
    let seps = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| b[i] != c) || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 9 {
                nanos = nanos * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start).min(9)..9 {
            nanos *= 10;
        }
    }
    if second == 60 {
        second = 59;
        nanos = NANOS_PER_SEC - 1;
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' => {
            i += 1;
            0
        }
        sign @ (b'+' | b'-') => {
            if b.get(i + 3) != Some(&b':') {
                return None;
            }
            let oh = digits(b, i + 1, 2)?;
            let om = digits(b, i + 4, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            i += 6;
            let off = oh * 3600 + om * 60;
            if *sign == b'-' { -off } else { off }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * SECS_PER_DAY + hour * 3600 + minute * 60 + second - offset;
    let ns = secs.checked_mul(NANOS_PER_SEC)?.checked_add(nanos)?;
    Some((Timestamp(ns), i))
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let s = b.get(at..at + n)?;
    s.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A log line as stored: sanitised text (no control characters), its SGR style spans, the
/// server's timestamp if it had one, and the index of its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    text: Box<str>,
    spans: Box<[StyleSpan]>,
    /// Nanoseconds since the epoch, or [`NO_TS`].
    ts: i64,
    /// Length of the line as received, in bytes (saturating), when it was cut.
    received_len: u32,
    source: u16,
    truncated: bool,
}

const NO_TS: i64 = i64::MIN;

impl LogLine {
    /// A line from text as a program wrote it: control characters are neutralised and SGR colour
    /// becomes spans, exactly as on ingest.
    pub fn new(source: usize, ts: Option<Timestamp>, raw: &str) -> LogLine {
        let mut text = String::new();
        let mut spans = Vec::new();
        let truncated = ansi::sanitize_into(raw.as_bytes(), usize::MAX, &mut text, &mut spans);
        LogLine::from_parts(source, ts, &text, &spans, truncated.then_some(raw.len()))
    }

    /// Assembles a line from already sanitised parts. `received_len` is `Some` when the line was
    /// cut, with its length as received.
    pub(crate) fn from_parts(
        source: usize,
        ts: Option<Timestamp>,
        text: &str,
        spans: &[StyleSpan],
        received_len: Option<usize>,
    ) -> LogLine {
        LogLine {
            text: Box::from(text),
            spans: Box::from(spans),
            ts: ts.map_or(NO_TS, |t| t.0),
            received_len: received_len.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
            source: clamp_source(source),
            truncated: received_len.is_some(),
        }
    }

    /// The sanitised text: printable characters only.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// SGR style runs over [`LogLine::text`] (byte ranges, sorted, not overlapping).
    pub fn spans(&self) -> &[StyleSpan] {
        &self.spans
    }

    /// The server's timestamp (`timestamps=true`), if the line had one.
    pub fn timestamp(&self) -> Option<Timestamp> {
        (self.ts != NO_TS).then_some(Timestamp(self.ts))
    }

    /// Index of the source (pod/container) in its view.
    pub fn source(&self) -> usize {
        usize::from(self.source)
    }

    /// Sets the source index (the view does this for every line it takes in).
    pub fn set_source(&mut self, source: usize) {
        self.source = clamp_source(source);
    }

    /// Whether the line was longer than what is stored and was cut.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// For a cut line, its length in bytes as received (saturating at 4 GiB).
    pub fn received_len(&self) -> Option<usize> {
        self.truncated.then_some(self.received_len as usize)
    }

    /// Heap bytes this line owns (text and spans), for memory accounting, as a typical
    /// allocator hands them out (an 8-byte header, 16-byte granules, 32 bytes at least).
    pub fn heap_bytes(&self) -> usize {
        allocation(self.text.len()) + allocation(std::mem::size_of_val::<[StyleSpan]>(&self.spans))
    }

    /// A hash of the content (text, spans and cut flag), used to drop replayed lines on resume.
    pub fn content_hash(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.text.hash(&mut h);
        self.spans.hash(&mut h);
        self.truncated.hash(&mut h);
        h.finish()
    }
}

/// What an allocation of `n` bytes costs with a glibc-like malloc.
fn allocation(n: usize) -> usize {
    if n == 0 { 0 } else { ((n + 8 + 15) & !15).max(32) }
}

fn clamp_source(source: usize) -> u16 {
    u16::try_from(source).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Option<(Timestamp, usize)> {
        parse_rfc3339_prefix(s.as_bytes())
    }

    fn chrono_ns(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap()
    }

    #[test]
    fn parses_what_the_api_server_writes() {
        for s in [
            "2024-05-01T12:00:00Z",
            "2024-05-01T12:00:00.5Z",
            "2024-05-01T12:00:00.123456789Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999Z",
            "2000-02-29T23:59:59+02:00",
            "2100-12-31T00:00:00.000001-07:30",
            "2024-03-10T02:30:00.000000000Z",
        ] {
            let (ts, n) = parse(s).unwrap();
            assert_eq!(n, s.len(), "{s}");
            assert_eq!(ts.0, chrono_ns(s), "{s}");
        }
        let (ts, n) = parse("2024-05-01T12:00:00.1234567891234Z hello").unwrap();
        assert_eq!(n, "2024-05-01T12:00:00.1234567891234Z".len());
        assert_eq!(ts.0, chrono_ns("2024-05-01T12:00:00.123456789Z"));
    }

    #[test]
    fn rejects_what_is_not_a_timestamp() {
        for s in [
            "hello world, this is a log line",
            "2024-13-01T12:00:00Z",
            "2023-02-29T12:00:00Z",
            "2024-05-01 12:00:00Z xxxxxx",
            "2024-05-01T12:00:00",
            "2024-05-01T12:00:00.Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T12:00:00+0200 x",
            "2024-05-01T12:00:00Q",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }

    #[test]
    fn formats_time_of_day_and_round_trips_chrono() {
        let (ts, _) = parse("2024-05-01T23:59:58.250Z").unwrap();
        assert_eq!(ts.time_of_day(0), "23:59:58.250");
        assert_eq!(ts.time_of_day(3600), "00:59:58.250");
        assert_eq!(ts.to_rfc3339(), "2024-05-01T23:59:58.250000000Z");
        assert_eq!(Timestamp::from_chrono(ts.to_chrono()), ts);
        assert_eq!(Timestamp(-1).seconds(), -1);
        assert_eq!(Timestamp(-1).subsec_nanos(), 999_999_999);
    }

    #[test]
    fn a_line_is_small() {
        assert!(
            std::mem::size_of::<LogLine>() <= 48,
            "{}",
            std::mem::size_of::<LogLine>()
        );
        let l = LogLine::new(3, None, "plain");
        assert_eq!(l.heap_bytes(), 32);
        assert_eq!(LogLine::new(0, None, &"x".repeat(200)).heap_bytes(), 208);
        assert_eq!(l.source(), 3);
        assert_eq!(l.timestamp(), None);
        assert!(!l.truncated());
    }
}
