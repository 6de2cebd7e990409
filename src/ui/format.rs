//! How times and durations read on screen.

use chrono::{DateTime, FixedOffset, Utc};

pub use crate::text::human_duration;

/// Age of something created at `t`, seen at `now`.
pub fn age(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    t.map(|t| human_duration(now - t)).unwrap_or_default()
}

/// A start time: `14:03:27` today, `Nov 27 14:03` this year, `2025-11-27` before.
pub fn started(t: Option<DateTime<Utc>>, now: DateTime<Utc>, tz: FixedOffset) -> String {
    let Some(t) = t else {
        return String::new();
    };
    let local = t.with_timezone(&tz);
    let today = now.with_timezone(&tz);
    if local.date_naive() == today.date_naive() {
        local.format("%H:%M:%S").to_string()
    } else if local.format("%Y").to_string() == today.format("%Y").to_string() {
        local.format("%b %d %H:%M").to_string()
    } else {
        local.format("%Y-%m-%d").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_times_shorten_to_what_matters() {
        let utc = FixedOffset::east_opt(0).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-28T15:00:00Z")
            .unwrap()
            .to_utc();
        let t = |s| Some(DateTime::parse_from_rfc3339(s).unwrap().to_utc());
        assert_eq!(started(t("2026-11-28T14:03:27Z"), now, utc), "14:03:27");
        assert_eq!(started(t("2026-11-27T14:03:27Z"), now, utc), "Nov 27 14:03");
        assert_eq!(started(t("2025-11-27T14:03:27Z"), now, utc), "2025-11-27");
        assert_eq!(started(None, now, utc), "");
    }
}
