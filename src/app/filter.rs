//! The list filter: substring (smart case), `re:` regex, `!` negation, and Kubernetes label
//! selectors (`app=web,tier!=db`, `env in (a,b)`), which are also sent to the server.

use std::collections::BTreeMap;

use regex::Regex;

/// A compiled filter expression.
#[derive(Debug, Clone)]
pub enum Filter {
    All,
    Substring {
        needle: String,
        case_sensitive: bool,
        negate: bool,
    },
    Regex {
        re: Regex,
        negate: bool,
    },
    /// A label selector; `selector` is the canonical text sent to the API server.
    Labels {
        reqs: Vec<LabelReq>,
        selector: String,
    },
}

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelReq {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl LabelReq {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            LabelReq::Eq(k, v) => labels.get(k) == Some(v),
            LabelReq::NotEq(k, v) => labels.get(k) != Some(v),
            LabelReq::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            LabelReq::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            LabelReq::Exists(k) => labels.contains_key(k),
            LabelReq::NotExists(k) => !labels.contains_key(k),
        }
    }

    fn has_operator(&self) -> bool {
        !matches!(self, LabelReq::Exists(_) | LabelReq::NotExists(_))
    }
}

fn valid_label_part(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
}

/// Splits on commas outside parentheses.
fn split_requirements(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

fn parse_set(s: &str) -> Option<Vec<String>> {
    let inner = s.trim().strip_prefix('(')?.strip_suffix(')')?;
    let values: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
    values.iter().all(|v| valid_label_part(v)).then_some(values)
}

fn parse_requirement(req: &str) -> Option<LabelReq> {
    let req = req.trim();
    if let Some((k, rest)) = req.split_once(" notin ") {
        return valid_label_part(k.trim())
            .then(|| Some(LabelReq::NotIn(k.trim().into(), parse_set(rest)?)))?;
    }
    if let Some((k, rest)) = req.split_once(" in ") {
        return valid_label_part(k.trim()).then(|| Some(LabelReq::In(k.trim().into(), parse_set(rest)?)))?;
    }
    let pair = |k: &str, v: &str| {
        (valid_label_part(k.trim()) && (v.is_empty() || valid_label_part(v.trim())))
            .then(|| (k.trim().to_string(), v.trim().to_string()))
    };
    if let Some((k, v)) = req.split_once("!=") {
        return pair(k, v).map(|(k, v)| LabelReq::NotEq(k, v));
    }
    if let Some((k, v)) = req.split_once("==").or_else(|| req.split_once('=')) {
        return pair(k, v).map(|(k, v)| LabelReq::Eq(k, v));
    }
    if let Some(k) = req.strip_prefix('!') {
        return valid_label_part(k).then(|| LabelReq::NotExists(k.into()));
    }
    valid_label_part(req).then(|| LabelReq::Exists(req.into()))
}

/// Parses `text` as a label selector when it is one: every requirement valid and at least one
/// with an operator (so `train` stays a substring search).
pub fn parse_label_selector(text: &str) -> Option<Vec<LabelReq>> {
    let reqs: Option<Vec<LabelReq>> = split_requirements(text.trim())
        .into_iter()
        .map(parse_requirement)
        .collect();
    reqs.filter(|r| r.iter().any(LabelReq::has_operator))
}

impl Filter {
    /// Parses what the user typed. An invalid regex is an error the filter bar shows.
    pub fn parse(text: &str) -> Result<Filter, String> {
        let (negate, rest) = match text.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, text),
        };
        if let Some(pattern) = rest.strip_prefix("re:") {
            if pattern.is_empty() {
                return Ok(Filter::All);
            }
            let smart = if pattern.chars().any(char::is_uppercase) {
                pattern.to_string()
            } else {
                format!("(?i){pattern}")
            };
            return Regex::new(&smart)
                .map(|re| Filter::Regex { re, negate })
                .map_err(|e| format!("bad regex: {}", first_line(&e.to_string())));
        }
        if rest.is_empty() {
            return Ok(Filter::All);
        }
        if let Some(reqs) = parse_label_selector(rest).filter(|_| !negate) {
            let selector = split_requirements(rest.trim())
                .iter()
                .map(|r| r.trim())
                .collect::<Vec<_>>()
                .join(",");
            return Ok(Filter::Labels { reqs, selector });
        }
        let case_sensitive = rest.chars().any(char::is_uppercase);
        let needle = if case_sensitive {
            rest.to_string()
        } else {
            rest.to_lowercase()
        };
        Ok(Filter::Substring {
            needle,
            case_sensitive,
            negate,
        })
    }

    /// The label selector to send to the API server, if this filter is one.
    pub fn server_selector(&self) -> Option<&str> {
        match self {
            Filter::Labels { selector, .. } => Some(selector),
            _ => None,
        }
    }

    /// Whether a row passes: its searchable cells `fields`, its `labels`.
    pub fn matches_row<'a>(
        &self,
        fields: impl IntoIterator<Item = &'a str>,
        labels: &BTreeMap<String, String>,
    ) -> bool {
        match self {
            Filter::Labels { reqs, .. } => reqs.iter().all(|r| r.matches(labels)),
            other => other.matches(fields),
        }
    }

    /// Whether a row whose searchable cells are `fields` passes (label selectors match nothing
    /// here: use [`Filter::matches_row`]).
    pub fn matches<'a>(&self, fields: impl IntoIterator<Item = &'a str>) -> bool {
        match self {
            Filter::All => true,
            Filter::Labels { .. } => false,
            Filter::Substring {
                needle,
                case_sensitive,
                negate,
            } => {
                let hit = fields.into_iter().any(|f| {
                    if *case_sensitive {
                        f.contains(needle.as_str())
                    } else {
                        contains_ignore_case(f, needle)
                    }
                });
                hit != *negate
            }
            Filter::Regex { re, negate } => fields.into_iter().any(|f| re.is_match(f)) != *negate,
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().last().unwrap_or(s).trim()
}

/// `haystack` contains `needle_lower` (already lower case), ignoring case, without allocating
/// for ASCII text.
pub fn contains_ignore_case(haystack: &str, needle_lower: &str) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    if haystack.is_ascii() && needle_lower.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle_lower.as_bytes());
        let Some((first, rest)) = n.split_first() else {
            return true;
        };
        let Some(last_start) = h.len().checked_sub(n.len()) else {
            return false;
        };
        // Candidates where the first byte matches in either case, found a word at a time.
        return memchr::memchr2_iter(*first, first.to_ascii_uppercase(), &h[..=last_start]).any(|i| {
            h[i + 1..i + n.len()]
                .iter()
                .zip(rest)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
        });
    }
    haystack.to_lowercase().contains(needle_lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_case_substring_regex_and_negation() {
        let f = Filter::parse("train").unwrap();
        assert!(f.matches(["xgboost-TRAINING"]));
        assert!(!f.matches(["data-prep"]));
        let f = Filter::parse("Train").unwrap();
        assert!(!f.matches(["xgboost-training"]));
        assert!(f.matches(["Train it"]));
        let f = Filter::parse("!fail").unwrap();
        assert!(f.matches(["Succeeded"]));
        assert!(!f.matches(["Failed"]));
        let f = Filter::parse("re:^bert-.*-[0-9]+$").unwrap();
        assert!(f.matches(["bert-finetune-12"]));
        assert!(!f.matches(["my-bert-finetune-12"]));
        assert!(Filter::parse("re:(").is_err());
        assert!(Filter::parse("").unwrap().matches(["anything"]));
        assert!(contains_ignore_case("héllo Wörld", "wörld"));
    }

    #[test]
    fn label_selectors_parse_match_and_render_for_the_server() {
        let labels: BTreeMap<String, String> = [("app", "web"), ("tier", "front")]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let f = Filter::parse("app=web, tier in (front,back)").unwrap();
        assert_eq!(f.server_selector(), Some("app=web,tier in (front,back)"));
        assert!(f.matches_row([], &labels));
        let f = Filter::parse("app!=web").unwrap();
        assert!(!f.matches_row([], &labels));
        let f = Filter::parse("tier notin (db),!secret,app").unwrap();
        assert!(f.matches_row([], &labels));
        assert!(
            Filter::parse("train").unwrap().server_selector().is_none(),
            "a word is a substring search"
        );
        assert!(
            Filter::parse("a b=c").unwrap().server_selector().is_none(),
            "not a valid selector"
        );
        assert!(
            Filter::parse("!app=web").unwrap().server_selector().is_none(),
            "negated text is a substring search"
        );
    }
}
