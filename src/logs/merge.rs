//! Merging lines of several sources (the pods of a run) into one buffer in timestamp order.
//!
//! Each source's lines arrive in order, but batches of different sources interleave late by up
//! to a batch's latency. A batch is placed by scanning back from the newest line to the first one
//! not newer than the batch's first line; usually that is the end (a plain append), otherwise
//! only the short tail after it is re-merged. Ties keep arrival order. Lines without a timestamp
//! are appended, and a scan never moves past one.

use std::collections::VecDeque;

use super::buffer::LogBuffer;
use super::line::{LogLine, Timestamp};

/// What a merge changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// Position of the first line that is new or moved; lines before it are untouched.
    pub first_changed: u64,
    /// Lines added.
    pub added: usize,
    /// For each position from `first_changed` on, whether the line there is new (`true`) or an
    /// older line that moved (`false`, in their old order). Empty when the batch was appended.
    pub region: Vec<bool>,
}

/// Merges `batch` (one source's lines, in order) into `buf` by timestamp, without evicting.
/// Each position in `tracked` that referred to a moved line is updated to where it went
/// (positions at or past the old end shift by the lines added).
pub fn merge_batch(buf: &mut LogBuffer, batch: Vec<LogLine>, tracked: &mut [u64]) -> Merged {
    let end = buf.end_pos();
    let added = batch.len();
    let first_ts = batch.iter().find_map(LogLine::timestamp);
    let p = match first_ts {
        Some(t0) => insertion_point(buf, t0),
        None => end,
    };
    for t in tracked.iter_mut().filter(|t| **t >= end) {
        *t += added as u64;
    }
    let mut region = Vec::new();
    if p == end {
        for line in batch {
            buf.append(line);
        }
    } else {
        let tail = buf.take_tail(p);
        region.reserve(tail.len() + batch.len());
        interleave(buf, tail, batch, p, tracked, &mut region);
    }
    Merged {
        first_changed: p,
        added,
        region,
    }
}

/// The position just after the newest line not newer than `t0`.
fn insertion_point(buf: &LogBuffer, t0: Timestamp) -> u64 {
    let mut p = buf.end_pos();
    for (pos, line) in buf.iter_from(buf.first_pos()).rev() {
        match line.timestamp() {
            Some(t) if t > t0 => p = pos,
            _ => break,
        }
    }
    p
}

/// Appends `tail` (all with timestamps) and `batch` to `buf`, in timestamp order, tail first on
/// ties. `p` is the position the tail started at.
fn interleave(
    buf: &mut LogBuffer,
    mut tail: VecDeque<LogLine>,
    batch: Vec<LogLine>,
    p: u64,
    tracked: &mut [u64],
    region: &mut Vec<bool>,
) {
    let old_end = p + tail.len() as u64;
    let moved: Vec<(usize, u64)> = tracked
        .iter()
        .enumerate()
        .filter(|(_, t)| (p..old_end).contains(*t))
        .map(|(i, t)| (i, *t))
        .collect();
    let mut next_old = p;
    let mut out = p;
    let mut carry = None;
    let mut emit_old =
        |buf: &mut LogBuffer, line: LogLine, next_old: &mut u64, out: &mut u64, region: &mut Vec<bool>| {
            for &(i, old) in &moved {
                if old == *next_old {
                    tracked[i] = *out;
                }
            }
            region.push(false);
            buf.put_back(line);
            *next_old += 1;
            *out += 1;
        };
    for line in batch {
        let key = line.timestamp().or(carry);
        carry = key;
        while let Some(front) = tail.front() {
            let older_or_same = matches!((front.timestamp(), key), (Some(a), Some(b)) if a <= b);
            if !older_or_same {
                break;
            }
            if let Some(old) = tail.pop_front() {
                emit_old(buf, old, &mut next_old, &mut out, region);
            }
        }
        region.push(true);
        buf.append(line);
        out += 1;
    }
    while let Some(old) = tail.pop_front() {
        emit_old(buf, old, &mut next_old, &mut out, region);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(source: usize, ts: i64, text: &str) -> LogLine {
        LogLine::new(source, Some(Timestamp(ts)), text)
    }

    fn order(buf: &LogBuffer) -> Vec<String> {
        buf.iter().map(|l| l.text().to_string()).collect()
    }

    #[test]
    fn batches_from_several_sources_end_in_time_order() {
        let mut buf = LogBuffer::new(100);
        merge_batch(
            &mut buf,
            vec![l(0, 10, "a10"), l(0, 20, "a20"), l(0, 30, "a30")],
            &mut [],
        );
        let m = merge_batch(&mut buf, vec![l(1, 15, "b15"), l(1, 25, "b25")], &mut []);
        assert_eq!((m.first_changed, m.added), (1, 2));
        assert_eq!(m.region, [true, false, true, false]);
        merge_batch(&mut buf, vec![l(2, 5, "c05"), l(2, 40, "c40")], &mut []);
        let m = merge_batch(&mut buf, vec![l(0, 50, "a50")], &mut []);
        assert_eq!(m.first_changed, 7);
        assert!(m.region.is_empty(), "an append moves nothing");
        assert_eq!(
            order(&buf),
            ["c05", "a10", "b15", "a20", "b25", "a30", "c40", "a50"]
        );
        assert_eq!(buf.received(), 8);
    }

    #[test]
    fn ties_keep_arrival_order_and_untimed_lines_append() {
        let mut buf = LogBuffer::new(100);
        merge_batch(&mut buf, vec![l(0, 10, "a"), l(0, 20, "b")], &mut []);
        merge_batch(&mut buf, vec![l(1, 10, "c"), l(1, 20, "d")], &mut []);
        assert_eq!(order(&buf), ["a", "c", "b", "d"]);
        merge_batch(&mut buf, vec![LogLine::new(2, None, "untimed")], &mut []);
        merge_batch(&mut buf, vec![l(3, 1, "old but after untimed")], &mut []);
        assert_eq!(order(&buf)[4..], ["untimed", "old but after untimed"]);
    }

    #[test]
    fn tracked_positions_follow_their_lines() {
        let mut buf = LogBuffer::new(100);
        merge_batch(
            &mut buf,
            vec![l(0, 10, "a10"), l(0, 20, "a20"), l(0, 30, "a30")],
            &mut [],
        );
        // Track "a20" (pos 1), "a10" (pos 0) and the end (3).
        let mut tracked = [1, 0, 3];
        merge_batch(&mut buf, vec![l(1, 15, "b15"), l(1, 16, "b16")], &mut tracked);
        assert_eq!(order(&buf), ["a10", "b15", "b16", "a20", "a30"]);
        assert_eq!(tracked, [3, 0, 5]);
    }

    #[test]
    fn merging_respects_eviction_offsets() {
        let mut buf = LogBuffer::new(3);
        for i in 0..5 {
            merge_batch(&mut buf, vec![l(0, i * 10, &format!("a{i}"))], &mut []);
            buf.evict_to_capacity();
        }
        let m = merge_batch(&mut buf, vec![l(1, 25, "b25")], &mut []);
        assert_eq!(m.first_changed, 3);
        buf.evict_to_capacity();
        assert_eq!(order(&buf), ["b25", "a3", "a4"]);
        assert_eq!(buf.first_pos(), 3);
    }
}
