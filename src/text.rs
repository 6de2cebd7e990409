//! Text from the cluster is never written to the terminal raw. `sanitize` turns every control
//! character into a visible stand-in, so a name, message or YAML value cannot move the cursor,
//! set the title, ring the bell or reach the clipboard.

use std::borrow::Cow;

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
}
