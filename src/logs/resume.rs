//! Resuming a cut log stream with nothing duplicated and nothing lost.
//!
//! A [`ResumePoint`] remembers the newest timestamp delivered and the content of the lines
//! delivered at exactly that time. A new stream asks from that second (`sinceTime` has
//! whole-second precision), and a [`Dedup`] drops what was already delivered: lines older than the
//! resume point, and lines at that very time with the same content, once each.

use super::line::{LogLine, Timestamp};

/// Where a stream got to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResumePoint {
    last: Option<Timestamp>,
    /// Content hashes of the lines delivered with timestamp `last`, in order.
    at_last: Vec<u64>,
}

impl ResumePoint {
    /// The newest timestamp delivered.
    pub fn last(&self) -> Option<Timestamp> {
        self.last
    }

    /// Whether nothing timestamped has been delivered yet.
    pub fn is_empty(&self) -> bool {
        self.last.is_none()
    }

    /// The `sinceTime` to ask for: the resume point rounded down to its second.
    pub fn since_seconds(&self) -> Option<i64> {
        self.last.map(Timestamp::seconds)
    }

    /// Notes a batch of lines as delivered (in order; lines without a timestamp are ignored).
    pub fn record(&mut self, lines: &[LogLine]) {
        let Some(newest) = lines.iter().rev().find_map(LogLine::timestamp) else {
            return;
        };
        if self.last != Some(newest) {
            self.last = Some(newest);
            self.at_last.clear();
        }
        let start = self.at_last.len();
        for line in lines.iter().rev() {
            match line.timestamp() {
                Some(t) if t == newest => self.at_last.push(line.content_hash()),
                Some(_) => break,
                None => {}
            }
        }
        // Recorded newest-first above; keep delivery order.
        self.at_last[start..].reverse();
    }

    /// A filter for the lines of a stream resumed from here.
    pub fn dedup(&self) -> Dedup {
        Dedup {
            last: self.last,
            pending: self.at_last.clone(),
            done: self.last.is_none(),
        }
    }
}

/// Drops the lines a resumed stream replays.
#[derive(Debug, Clone)]
pub struct Dedup {
    last: Option<Timestamp>,
    pending: Vec<u64>,
    done: bool,
}

impl Dedup {
    /// Whether `line` is new (to be delivered) rather than a replay.
    pub fn keep(&mut self, line: &LogLine) -> bool {
        if self.done {
            return true;
        }
        let (Some(last), Some(t)) = (self.last, line.timestamp()) else {
            return true;
        };
        if t < last {
            return false;
        }
        if t == last {
            let h = line.content_hash();
            if let Some(i) = self.pending.iter().position(|&p| p == h) {
                self.pending.remove(i);
                return false;
            }
            return true;
        }
        self.done = true;
        true
    }

    /// Drops the replays from a batch in place.
    pub fn retain(&mut self, lines: &mut Vec<LogLine>) {
        if !self.done {
            lines.retain(|l| self.keep(l));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(ts: i64, text: &str) -> LogLine {
        LogLine::new(0, Some(Timestamp(ts)), text)
    }

    const S: i64 = 1_000_000_000;

    #[test]
    fn a_replay_from_the_second_drops_exactly_what_was_delivered() {
        let delivered = [
            l(10 * S, "a"),
            l(10 * S + 5, "b"),
            l(10 * S + 7, "c"),
            l(10 * S + 7, "d"),
        ];
        let mut rp = ResumePoint::default();
        rp.record(&delivered[..2]);
        rp.record(&delivered[2..]);
        assert_eq!(rp.since_seconds(), Some(10));
        assert_eq!(rp.last(), Some(Timestamp(10 * S + 7)));

        let mut replay = vec![
            l(10 * S, "a"),
            l(10 * S + 5, "b"),
            l(10 * S + 7, "c"),
            l(10 * S + 7, "d"),
            l(10 * S + 7, "e"),
            l(11 * S, "f"),
            l(11 * S, "a"),
        ];
        rp.dedup().retain(&mut replay);
        let texts: Vec<&str> = replay.iter().map(LogLine::text).collect();
        assert_eq!(texts, ["e", "f", "a"]);
    }

    #[test]
    fn identical_lines_at_the_same_time_are_counted_not_collapsed() {
        let mut rp = ResumePoint::default();
        rp.record(&[l(S, "same")]);
        rp.record(&[l(S, "same")]);
        let mut replay = vec![l(S, "same"), l(S, "same"), l(S, "same")];
        rp.dedup().retain(&mut replay);
        assert_eq!(replay.len(), 1);
    }

    #[test]
    fn an_empty_point_keeps_everything() {
        let rp = ResumePoint::default();
        assert!(rp.is_empty());
        assert_eq!(rp.since_seconds(), None);
        let mut lines = vec![l(1, "x"), LogLine::new(0, None, "y")];
        rp.dedup().retain(&mut lines);
        assert_eq!(lines.len(), 2);
        let mut rp = ResumePoint::default();
        rp.record(&[LogLine::new(0, None, "untimed")]);
        assert!(rp.is_empty());
    }
}
