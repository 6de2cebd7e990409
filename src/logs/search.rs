//! Search and filter over a [`LogBuffer`], without copying lines.
//!
//! A query is plain text, case-insensitive unless it has an upper-case letter (smart case), or a
//! regular expression after `re:` (case-sensitive as written; `(?i)` makes it not). A
//! [`MatchSet`] holds the positions of the lines that match, kept up to date as lines arrive and
//! are evicted; highlight ranges are found at render time, for the visible lines only.

use std::collections::VecDeque;
use std::ops::Range;

use memchr::memmem;
use regex::{Regex, RegexBuilder};

use super::buffer::LogBuffer;
use super::merge::Merged;

/// The prefix that makes a query a regular expression.
pub const REGEX_PREFIX: &str = "re:";

/// Why a query cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The `re:` pattern does not compile.
    #[error("invalid regex: {0}")]
    Regex(String),
}

/// A compiled search or filter query.
#[derive(Debug, Clone)]
pub struct Query {
    text: String,
    regex: Regex,
    /// Plain ASCII queries skip the regex engine (several times faster per line).
    fast: Fast,
    kind: Kind,
}

/// A faster matcher than the regex for plain queries.
#[derive(Debug, Clone)]
enum Fast {
    None,
    /// Case-sensitive: a substring finder.
    Exact(Box<memmem::Finder<'static>>),
    /// Case-insensitive ASCII.
    NoCase(NoCase),
}

/// ASCII case-insensitive substring search, anchored on the needle's rarest byte.
#[derive(Debug, Clone)]
struct NoCase {
    /// Lower case.
    needle: Vec<u8>,
    /// Index of the byte looked for first.
    anchor: usize,
}

impl NoCase {
    fn new(needle: &str) -> Option<NoCase> {
        if !needle.is_ascii() || needle.is_empty() {
            return None;
        }
        let needle = needle.to_ascii_lowercase().into_bytes();
        let anchor = (0..needle.len()).min_by_key(|&i| commonness(needle[i]))?;
        Some(NoCase { needle, anchor })
    }

    /// Start of the first match at or after `from`.
    fn find_from(&self, hay: &[u8], from: usize) -> Option<usize> {
        let n = self.needle.len();
        let lower = self.needle[self.anchor];
        let upper = lower.to_ascii_uppercase();
        let mut i = from + self.anchor;
        while i < hay.len() {
            let rest = &hay[i..];
            let hit = if lower == upper {
                memchr::memchr(lower, rest)
            } else {
                memchr::memchr2(lower, upper, rest)
            };
            let j = i + hit?;
            let start = j - self.anchor;
            if hay
                .get(start..start + n)
                .is_some_and(|w| w.eq_ignore_ascii_case(&self.needle))
            {
                return Some(start);
            }
            i = j + 1;
        }
        None
    }
}

/// How common a byte is in log text (lower: rarer, a better anchor).
fn commonness(b: u8) -> u8 {
    match b {
        b' ' => 255,
        b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' | b'h' | b'l' | b'd' => 200,
        b'a'..=b'z' => 150,
        b'0'..=b'9' => 120,
        b'.' | b',' | b':' | b'/' | b'-' | b'_' | b'=' => 100,
        _ => 50,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain { case_sensitive: bool },
    Regex,
}

/// Regexes are limited so a pathological pattern cannot eat memory.
const REGEX_SIZE_LIMIT: usize = 1 << 22;

impl Query {
    /// Compiles `input`; an empty query (or an empty `re:`) is `None`.
    pub fn parse(input: &str) -> Result<Option<Query>, QueryError> {
        let (pattern, kind) = match input.strip_prefix(REGEX_PREFIX) {
            Some(re) => (re.to_string(), Kind::Regex),
            None => {
                let case_sensitive = input.chars().any(char::is_uppercase);
                (regex::escape(input), Kind::Plain { case_sensitive })
            }
        };
        if pattern.is_empty() {
            return Ok(None);
        }
        let regex = RegexBuilder::new(&pattern)
            .case_insensitive(
                kind == Kind::Plain {
                    case_sensitive: false,
                },
            )
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| QueryError::Regex(first_line(&e.to_string())))?;
        let fast = match kind {
            Kind::Plain { case_sensitive: true } => {
                Fast::Exact(Box::new(memmem::Finder::new(input.as_bytes()).into_owned()))
            }
            Kind::Plain {
                case_sensitive: false,
            } => NoCase::new(input).map_or(Fast::None, Fast::NoCase),
            Kind::Regex => Fast::None,
        };
        Ok(Some(Query {
            text: input.to_string(),
            regex,
            fast,
            kind,
        }))
    }

    /// The query as typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether it is a `re:` regular expression.
    pub fn is_regex(&self) -> bool {
        self.kind == Kind::Regex
    }

    /// Whether matching is case-sensitive.
    pub fn case_sensitive(&self) -> bool {
        !matches!(
            self.kind,
            Kind::Plain {
                case_sensitive: false
            }
        )
    }

    /// Whether `hay` contains a match.
    pub fn is_match(&self, hay: &str) -> bool {
        match &self.fast {
            Fast::Exact(f) => f.find(hay.as_bytes()).is_some(),
            Fast::NoCase(f) => f.find_from(hay.as_bytes(), 0).is_some(),
            Fast::None => self.regex.is_match(hay),
        }
    }

    /// Appends the byte ranges of the (non-empty) matches in `hay` to `out`.
    pub fn find_ranges(&self, hay: &str, out: &mut Vec<Range<usize>>) {
        match &self.fast {
            Fast::Exact(f) => {
                let n = f.needle().len();
                out.extend(
                    f.find_iter(hay.as_bytes())
                        .map(|i| i..i + n)
                        .filter(|r| !r.is_empty()),
                );
            }
            Fast::NoCase(f) => {
                let mut at = 0;
                while let Some(i) = f.find_from(hay.as_bytes(), at) {
                    out.push(i..i + f.needle.len());
                    at = i + f.needle.len();
                }
            }
            Fast::None => out.extend(
                self.regex
                    .find_iter(hay)
                    .map(|m| m.range())
                    .filter(|r| !r.is_empty()),
            ),
        }
    }

    /// Whether every line matching `self` also matches `previous` (so a rescan can be limited to
    /// the previous matches): both plain, and `self` extends `previous` without loosening case.
    pub fn narrows(&self, previous: &Query) -> bool {
        match (self.kind, previous.kind) {
            (
                Kind::Plain { case_sensitive: now },
                Kind::Plain {
                    case_sensitive: before,
                },
            ) => {
                let extends = if before {
                    self.text.contains(&previous.text)
                } else {
                    self.text.to_lowercase().contains(&previous.text.to_lowercase())
                };
                extends && (now || !before)
            }
            _ => false,
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

/// The positions of the lines of a buffer that match a query.
#[derive(Debug, Clone)]
pub struct MatchSet {
    query: Query,
    lines: VecDeque<u64>,
}

impl MatchSet {
    /// Scans the whole buffer.
    pub fn new(query: Query, buf: &LogBuffer) -> MatchSet {
        let mut set = MatchSet {
            query,
            lines: VecDeque::new(),
        };
        set.rescan_from(buf, buf.first_pos());
        set
    }

    /// The matches of `query`, found among the lines of `previous` only (`query` must narrow it).
    pub fn narrowed(query: Query, previous: &MatchSet, buf: &LogBuffer) -> MatchSet {
        let lines = previous
            .lines
            .iter()
            .copied()
            .filter(|&p| buf.get(p).is_some_and(|l| query.is_match(l.text())))
            .collect();
        MatchSet { query, lines }
    }

    /// The query.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// Positions of matching lines, ascending.
    pub fn lines(&self) -> &VecDeque<u64> {
        &self.lines
    }

    /// How many lines match.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether no line matches.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Whether the line at `pos` matches.
    pub fn contains(&self, pos: u64) -> bool {
        self.lines.binary_search(&pos).is_ok()
    }

    /// Index in [`MatchSet::lines`] of the first match at or after `pos`.
    pub fn index_at_or_after(&self, pos: u64) -> usize {
        self.lines.partition_point(|&p| p < pos)
    }

    /// Forgets matches from `pos` on and scans the buffer from there again (after a merge).
    pub fn rescan_from(&mut self, buf: &LogBuffer, pos: u64) {
        while self.lines.back().is_some_and(|&p| p >= pos) {
            self.lines.pop_back();
        }
        for (p, line) in buf.iter_from(pos) {
            if self.query.is_match(line.text()) {
                self.lines.push_back(p);
            }
        }
    }

    /// Brings the matches up to date after a merge: moved lines keep their verdict (no
    /// re-matching), only new lines are matched.
    pub fn apply_merge(&mut self, buf: &LogBuffer, merged: &Merged) {
        let p = merged.first_changed;
        if merged.region.is_empty() {
            self.rescan_from(buf, p);
            return;
        }
        let split = self.lines.partition_point(|&x| x < p);
        let moved: Vec<u64> = self.lines.drain(split..).collect();
        let mut moved = moved.into_iter().peekable();
        let mut old = p;
        for (pos, &is_new) in (p..).zip(&merged.region) {
            let hit = if is_new {
                buf.get(pos).is_some_and(|l| self.query.is_match(l.text()))
            } else {
                let was = moved.next_if_eq(&old).is_some();
                old += 1;
                was
            };
            if hit {
                self.lines.push_back(pos);
            }
        }
    }

    /// Forgets matches of evicted lines.
    pub fn evict_before(&mut self, first: u64) {
        while self.lines.front().is_some_and(|&p| p < first) {
            self.lines.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::LogLine;

    fn buf(texts: &[&str]) -> LogBuffer {
        let mut b = LogBuffer::new(100);
        for t in texts {
            b.push(LogLine::new(0, None, t));
        }
        b
    }

    fn q(s: &str) -> Query {
        Query::parse(s).unwrap().unwrap()
    }

    #[test]
    fn plain_queries_are_smart_case() {
        let b = buf(&["ERROR disk", "error net", "Error: x", "fine", "a.b"]);
        assert_eq!(MatchSet::new(q("error"), &b).lines, [0, 1, 2]);
        assert_eq!(MatchSet::new(q("Error"), &b).lines, [2]);
        assert_eq!(MatchSet::new(q("a.b"), &b).lines, [4]);
        assert!(!q("error").case_sensitive());
        assert!(q("Error").case_sensitive());
        assert!(Query::parse("").unwrap().is_none());
    }

    #[test]
    fn the_fast_matchers_agree_with_the_regex() {
        let hays = [
            "ERROR disk",
            "error",
            "xErRoRx",
            "err or",
            "",
            "é error é",
            "shard-0999 SHARD-0999",
            "shard-09",
            "a-b",
            "A-B",
            "ab",
            "-",
        ];
        for q in ["error", "shard-0999", "a-b", "-", "rr", "Error", "SHARD", "é"] {
            let query = Query::parse(q).unwrap().unwrap();
            for hay in hays {
                let regex = query.regex.is_match(hay);
                assert_eq!(query.is_match(hay), regex, "{q:?} in {hay:?}");
                let mut fast = Vec::new();
                query.find_ranges(hay, &mut fast);
                let slow: Vec<_> = query.regex.find_iter(hay).map(|m| m.range()).collect();
                assert_eq!(fast, slow, "{q:?} in {hay:?}");
            }
        }
    }

    #[test]
    fn regex_queries_and_their_errors() {
        let b = buf(&["loss: 0.51", "loss: 1.20", "acc: 0.9"]);
        assert_eq!(MatchSet::new(q(r"re:loss: 0\.\d+"), &b).lines, [0]);
        assert_eq!(MatchSet::new(q("re:(?i)LOSS"), &b).lines, [0, 1]);
        assert!(q("re:x").is_regex());
        assert!(matches!(Query::parse("re:("), Err(QueryError::Regex(_))));
        assert!(Query::parse("re:").unwrap().is_none());
    }

    #[test]
    fn highlight_ranges_are_byte_ranges_of_every_match() {
        let mut out = Vec::new();
        q("ab").find_ranges("xabyAB", &mut out);
        assert_eq!(out, [1..3, 4..6]);
        out.clear();
        q("AB").find_ranges("xabyAB", &mut out);
        assert_eq!(out, vec![4..6]);
        out.clear();
        q("re:^").find_ranges("anything", &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn narrowing_and_incremental_upkeep() {
        assert!(q("err").narrows(&q("er")));
        assert!(q("Err").narrows(&q("er")));
        assert!(!q("err").narrows(&q("Er")));
        assert!(!q("re:err").narrows(&q("er")));
        let mut b = buf(&["error 1", "warn", "error 2"]);
        let wide = MatchSet::new(q("er"), &b);
        let narrow = MatchSet::narrowed(q("error"), &wide, &b);
        assert_eq!(narrow.lines, [0, 2]);
        let mut set = narrow;
        b.push(LogLine::new(0, None, "error 3"));
        set.rescan_from(&b, 3);
        assert_eq!(set.lines, [0, 2, 3]);
        set.evict_before(1);
        assert_eq!(set.lines, [2, 3]);
        assert!(set.contains(3) && !set.contains(1));
        assert_eq!(set.index_at_or_after(3), 1);
        let mut timed = LogBuffer::new(10);
        let t = |s: i64, x: &str| LogLine::new(0, Some(crate::logs::Timestamp(s)), x);
        for (i, x) in ["error a", "ok", "error b"].iter().enumerate() {
            timed.push(t(i as i64 * 10, x));
        }
        let mut set = MatchSet::new(q("error"), &timed);
        let merged = crate::logs::merge::merge_batch(&mut timed, vec![t(5, "error new"), t(6, "x")], &mut []);
        set.apply_merge(&timed, &merged);
        assert_eq!(set.lines, MatchSet::new(q("error"), &timed).lines);
        assert_eq!(set.lines, [0, 1, 4]);
    }
}
