//! Fault injection: what reliability tests break on purpose. Set at start (`kftui sim --faults
//! SPEC`, see [`parse_faults`]) or at run time with `POST /sim/faults` (a JSON [`Faults`];
//! `GET /sim/faults` shows the current set).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The faults in force.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Every API response (proxy included) waits this long first.
    pub delay_ms: u64,
    /// Requests for these resources (plural, e.g. `pods`, `workflows`, or a subresource alone:
    /// `services/proxy`, `pods/portforward`, `pods/log`) answer this code (403 Forbidden or 500
    /// InternalError) as a `Status`.
    pub errors: BTreeMap<String, u16>,
    /// Watches of these resources answer an `ERROR` event with a 410 Gone `Status`.
    pub watch_gone: BTreeSet<String>,
    /// Log responses (and follow streams) are cut after this many bytes.
    pub log_bytes: Option<usize>,
    /// Log responses (and follow streams) are cut after this many lines.
    pub log_lines: Option<usize>,
    /// Serve no streaming lists, as a server without the WatchList feature: a watch with
    /// `sendInitialEvents` answers 422.
    pub no_watch_list: bool,
    /// Every open watch connection is dropped every N seconds.
    pub drop_watches_every_s: Option<u64>,
    /// Admin requests only: drop every open watch connection now (not kept).
    #[serde(skip_serializing)]
    pub drop_watches: bool,
}

impl Faults {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The injected error for a resource, if any.
    pub fn error_for(&self, plural: &str) -> Option<u16> {
        self.errors.get(plural).copied()
    }
}

fn number(key: &str, v: &str) -> Result<u64, String> {
    let v = v.trim();
    let (digits, scale) = if let Some(ms) = v.strip_suffix("ms") {
        (ms, 1)
    } else if let Some(s) = v.strip_suffix('s') {
        (s, 1000)
    } else {
        (v, 1)
    };
    digits
        .trim()
        .parse::<u64>()
        .map(|n| n * scale)
        .map_err(|_| format!("{key}: {v:?} is not a number"))
}

/// Parses a fault spec: comma-separated items
///
/// - `delay=250ms` (or `delay=2s`, plain numbers are milliseconds)
/// - `error=pods:403`, `error=workflows:500`, `error=services/proxy:403` (`403=pods` and
///   `500=workflows` work too)
/// - `gone=pods` (watches of pods answer 410 Gone)
/// - `log-bytes=4096`, `log-lines=100` (cut log streams)
/// - `drop-watches-every=30s` (plain numbers are seconds)
/// - `no-watch-list` (no streaming lists: `sendInitialEvents` answers 422, as an older server)
pub fn parse_faults(spec: &str) -> Result<Faults, String> {
    let mut f = Faults::default();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (k, v) = item.split_once('=').unwrap_or((item, ""));
        let k = k.trim();
        match k {
            "delay" => f.delay_ms = number(k, v)?,
            "error" => {
                let (plural, code) = v
                    .split_once(':')
                    .ok_or_else(|| format!("error: {v:?} must look like pods:403"))?;
                insert_error(&mut f, plural, code)?;
            }
            "403" | "500" | "410" => {
                for plural in v.split('+').filter(|p| !p.is_empty()) {
                    insert_error(&mut f, plural, k)?;
                }
            }
            "gone" => {
                for plural in v.split('+').filter(|p| !p.is_empty()) {
                    f.watch_gone.insert(plural.trim().to_string());
                }
            }
            "no-watch-list" => f.no_watch_list = true,
            "log-bytes" => f.log_bytes = Some(number(k, v)? as usize),
            "log-lines" => f.log_lines = Some(number(k, v)? as usize),
            "drop-watches-every" => {
                let ms = if v.trim().ends_with('s') {
                    number(k, v)?
                } else {
                    number(k, v)? * 1000
                };
                f.drop_watches_every_s = Some((ms / 1000).max(1));
            }
            other => {
                return Err(format!(
                    "unknown fault {other:?} (known: delay, error, gone, no-watch-list, log-bytes, log-lines, drop-watches-every)"
                ));
            }
        }
    }
    Ok(f)
}

fn insert_error(f: &mut Faults, plural: &str, code: &str) -> Result<(), String> {
    let plural = plural.trim().to_string();
    match code.trim() {
        "403" => f.errors.insert(plural, 403),
        "500" => f.errors.insert(plural, 500),
        "410" => {
            f.watch_gone.insert(plural);
            None
        }
        other => return Err(format!("error code {other:?} must be 403, 410 or 500")),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        let f = parse_faults(
            "delay=250ms, error=pods:403,500=workflows,gone=pods,log-lines=5,drop-watches-every=30",
        );
        let Ok(f) = f else { panic!("{f:?}") };
        assert_eq!(f.delay_ms, 250);
        assert_eq!(f.error_for("pods"), Some(403));
        assert_eq!(f.error_for("workflows"), Some(500));
        assert!(f.watch_gone.contains("pods"));
        assert_eq!(f.log_lines, Some(5));
        assert_eq!(f.drop_watches_every_s, Some(30));
        assert_eq!(parse_faults("delay=2s").map(|f| f.delay_ms), Ok(2000));
        assert!(parse_faults("explode=1").is_err());
        assert!(parse_faults("error=pods:418").is_err());
        assert!(parse_faults("").is_ok_and(|f| f.is_empty()));
    }
}
