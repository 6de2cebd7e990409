//! How times and durations read on screen.

use chrono::{DateTime, Duration, FixedOffset, Utc};

/// kubectl's human duration: `42s`, `3m12s`, `25m`, `5h3m`, `17h`, `3d4h`, `45d`, `2y`.
pub fn human_duration(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    let mins = secs / 60;
    let hours = mins / 60;
    let days = hours / 24;
    if secs < 120 {
        format!("{secs}s")
    } else if mins < 10 {
        let s = secs % 60;
        if s == 0 {
            format!("{mins}m")
        } else {
            format!("{mins}m{s}s")
        }
    } else if mins < 3 * 60 {
        format!("{mins}m")
    } else if hours < 8 {
        let m = mins % 60;
        if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        }
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{h}h")
        }
    } else if days < 365 * 2 {
        format!("{days}d")
    } else {
        format!("{}y", days / 365)
    }
}

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
    fn durations_read_like_kubectl() {
        let d = |s| human_duration(Duration::seconds(s));
        assert_eq!(d(0), "0s");
        assert_eq!(d(119), "119s");
        assert_eq!(d(192), "3m12s");
        assert_eq!(d(25 * 60), "25m");
        assert_eq!(d(5 * 3600 + 180), "5h3m");
        assert_eq!(d(17 * 3600), "17h");
        assert_eq!(d(3 * 86400 + 4 * 3600), "3d4h");
        assert_eq!(d(45 * 86400), "45d");
        assert_eq!(d(800 * 86400), "2y");
        assert_eq!(d(-5), "0s");
    }

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
