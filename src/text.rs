//! Text from the cluster is never written to the terminal raw. `sanitize` turns every control
//! character into a visible stand-in, so a name, message or YAML value cannot move the cursor,
//! set the title, ring the bell or reach the clipboard.
//!
//! Also here, for both the screen and the text views: how a span of time reads.

use std::borrow::Cow;

use chrono::Duration;

/// Replaces C0/C1 control characters and DEL with visible symbols (`␛` for ESC, `␇` for BEL, …).
/// Tabs become a space. Text without control characters is returned as is, without copying.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_replacing) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(visible).collect())
}

/// Like [`sanitize`] but always owned; convenient on ingest.
pub fn sanitized(s: &str) -> String {
    sanitize(s).into_owned()
}

fn needs_replacing(c: char) -> bool {
    c.is_control()
}

/// The visible stand-in for a control character.
pub fn visible(c: char) -> char {
    match c {
        '\t' => ' ',
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
        '\u{7f}' => '\u{2421}',
        c if c.is_control() => '\u{fffd}',
        c => c,
    }
}

/// `3m20s`, or `3m` when the smaller unit is zero.
fn two_units(big: i64, big_unit: &str, small: i64, small_unit: &str) -> String {
    if small == 0 {
        format!("{big}{big_unit}")
    } else {
        format!("{big}{big_unit}{small}{small_unit}")
    }
}

/// kubectl's human duration: `42s`, `3m12s`, `25m`, `5h3m`, `17h`, `3d4h`, `45d`, `2y`.
pub fn human_duration(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    let mins = secs / 60;
    let hours = mins / 60;
    let days = hours / 24;
    if secs < 120 {
        format!("{secs}s")
    } else if mins < 10 {
        two_units(mins, "m", secs % 60, "s")
    } else if mins < 3 * 60 {
        format!("{mins}m")
    } else if hours < 8 {
        two_units(hours, "h", mins % 60, "m")
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        two_units(days, "d", hours % 24, "h")
    } else if days < 365 * 2 {
        format!("{days}d")
    } else {
        format!("{}y", days / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible_and_plain_text_is_not_copied() {
        assert!(matches!(sanitize("plain-name"), Cow::Borrowed(_)));
        assert_eq!(sanitize("a\x1b]0;pwned\x07b"), "a␛]0;pwned␇b");
        assert_eq!(sanitize("x\u{9b}2J\u{7f}\r\n"), "x\u{fffd}2J␡␍␊");
        assert_eq!(sanitize("tab\there"), "tab here");
    }

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
}
