//! Label and field selectors, parsed the way apimachinery parses them.

use std::collections::BTreeMap;

use super::error::ApiError;
use super::types::ResourceType;

/// One label requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
    Gt(String, i64),
    Lt(String, i64),
}

/// A label selector: all requirements must hold (empty matches everything).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(pub Vec<Requirement>);

impl LabelSelector {
    /// Parses `a=b,c!=d,e in (f,g),!h,i`.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let mut reqs = Vec::new();
        for part in split_top_level(s) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            reqs.push(parse_requirement(part).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "unable to parse requirement: found '{part}', expected: in, notin, =, ==, !=, gt, lt"
                ))
            })?);
        }
        Ok(Self(reqs))
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| r.matches(labels))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Self::Equals(k, v) => labels.get(k) == Some(v),
            Self::NotEquals(k, v) => labels.get(k) != Some(v),
            Self::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Self::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            Self::Exists(k) => labels.contains_key(k),
            Self::DoesNotExist(k) => !labels.contains_key(k),
            Self::Gt(k, n) => labels
                .get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *n),
            Self::Lt(k, n) => labels
                .get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *n),
        }
    }
}

/// Splits on commas that are not inside parentheses.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn parse_set(rest: &str) -> Option<Vec<String>> {
    let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(
        inner
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect(),
    )
}

fn parse_requirement(part: &str) -> Option<Requirement> {
    if let Some(k) = part.strip_prefix('!') {
        let k = k.trim();
        return valid_key(k).then(|| Requirement::DoesNotExist(k.into()));
    }
    for (op, ctor) in [
        (
            " notin ",
            Requirement::NotIn as fn(String, Vec<String>) -> Requirement,
        ),
        (" in ", Requirement::In),
    ] {
        if let Some((k, rest)) = part.split_once(op) {
            let k = k.trim();
            if !valid_key(k) {
                return None;
            }
            return Some(ctor(k.into(), parse_set(rest)?));
        }
    }
    for (op, kind) in [("!=", 0), ("==", 1), ("=", 1), (">", 2), ("<", 3)] {
        if let Some((k, v)) = part.split_once(op) {
            let (k, v) = (k.trim(), v.trim());
            if !valid_key(k) {
                return None;
            }
            return Some(match kind {
                0 => Requirement::NotEquals(k.into(), v.into()),
                1 => Requirement::Equals(k.into(), v.into()),
                2 => Requirement::Gt(k.into(), v.parse().ok()?),
                _ => Requirement::Lt(k.into(), v.parse().ok()?),
            });
        }
    }
    valid_key(part).then(|| Requirement::Exists(part.into()))
}

/// A field selector: `field=value` / `field!=value` terms, all of which must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector(pub Vec<(String, bool, String)>);

impl FieldSelector {
    /// Parses and checks every field is selectable for `rt`.
    pub fn parse(s: &str, rt: &ResourceType) -> Result<Self, ApiError> {
        let mut terms = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, eq, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, true, v)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                )));
            };
            let field = field.trim();
            if !rt.supports_field(field) {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {field}"
                )));
            }
            terms.push((field.to_string(), eq, value.trim().to_string()));
        }
        Ok(Self(terms))
    }

    /// `fields` holds the selectable field values of one object.
    pub fn matches(&self, fields: &[(&'static str, String)]) -> bool {
        self.0.iter().all(|(f, eq, v)| {
            let actual = fields
                .iter()
                .find(|(k, _)| *k == f.as_str())
                .map_or("", |(_, x)| x.as_str());
            (actual == v) == *eq
        })
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::types;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn label_selector_operators() {
        let l = labels(&[("app", "web"), ("tier", "front"), ("n", "5")]);
        let ok = |s: &str| LabelSelector::parse(s).map(|sel| sel.matches(&l));
        assert_eq!(ok("app=web").ok(), Some(true));
        assert_eq!(ok("app==web").ok(), Some(true));
        assert_eq!(ok("app!=web").ok(), Some(false));
        assert_eq!(ok("app in (web, db)").ok(), Some(true));
        assert_eq!(ok("app notin (web,db)").ok(), Some(false));
        assert_eq!(ok("missing notin (web)").ok(), Some(true));
        assert_eq!(ok("tier").ok(), Some(true));
        assert_eq!(ok("!tier").ok(), Some(false));
        assert_eq!(ok("!missing").ok(), Some(true));
        assert_eq!(ok("app=web,tier in (front),!missing").ok(), Some(true));
        assert_eq!(ok("app=web,tier=back").ok(), Some(false));
        assert_eq!(ok("n>4").ok(), Some(true));
        assert_eq!(ok("n<4").ok(), Some(false));
        assert_eq!(ok("").ok(), Some(true));
        assert!(LabelSelector::parse("a in b").is_err());
        assert!(LabelSelector::parse("=x").is_err());
    }

    #[test]
    fn field_selector_checks_supported_fields() {
        let pods = types::pod_type();
        let sel = FieldSelector::parse("status.phase=Running,metadata.name!=x", pods);
        let fields = vec![
            ("metadata.name", "a".to_string()),
            ("status.phase", "Running".to_string()),
        ];
        assert!(sel.as_ref().is_ok_and(|s| s.matches(&fields)));
        let err = FieldSelector::parse("spec.foo=bar", pods).err();
        assert_eq!(
            err.map(|e| e.message),
            Some("field label not supported: spec.foo".to_string())
        );
        assert!(FieldSelector::parse("status.phase=Running", types::workflow_type()).is_err());
    }
}
