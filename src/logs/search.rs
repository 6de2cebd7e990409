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
    /// Plain, case-sensitive queries use a substring finder (faster than the regex engine).
    literal: Option<memmem::Finder<'static>>,
    kind: Kind,
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
        let literal = (kind == Kind::Plain { case_sensitive: true })
            .then(|| memmem::Finder::new(input.as_bytes()).into_owned());
        Ok(Some(Query {
            text: input.to_string(),
            regex,
            literal,
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
        match &self.literal {
            Some(f) => f.find(hay.as_bytes()).is_some(),
            None => self.regex.is_match(hay),
        }
    }

    /// Appends the byte ranges of the (non-empty) matches in `hay` to `out`.
    pub fn find_ranges(&self, hay: &str, out: &mut Vec<Range<usize>>) {
        match &self.literal {
            Some(f) => {
                let n = f.needle().len();
                out.extend(
                    f.find_iter(hay.as_bytes())
                        .map(|i| i..i + n)
                        .filter(|r| !r.is_empty()),
                );
            }
            None => out.extend(
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
    }
}
