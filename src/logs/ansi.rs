//! Log line sanitiser: SGR colour (`ESC[…m`) becomes compact style spans; every other control
//! character or escape sequence is neutralised and left visible, so nothing from a log line can
//! move the cursor, clear the screen, set the title, reach the clipboard or ring the bell.
//!
//! What is neutralised, and how it shows:
//! - ESC of any sequence that is not SGR (CSI cursor moves, `CSI 2J`, OSC 0/2/52, DCS, APC, PM,
//!   SOS, …) becomes `␛`; the rest of the sequence stays as plain text (`␛]0;title␇`).
//! - Other C0 controls and DEL become their Control Pictures (`␇` BEL, `␈` BS, `␍` CR, `␡` DEL), per
//!   [`crate::text::visible`]; a tab expands to spaces up to the next multiple of 8 columns.
//! - C1 controls (U+0080–U+009F, e.g. the 8-bit CSI U+009B) become U+FFFD, and so do raw 8-bit
//!   bytes such as 0x9B, which are not UTF-8; invalid UTF-8 becomes U+FFFD.
//!
//! SGR state does not carry from one line to the next: each line starts unstyled, so a lost
//! reset cannot colour the rest of the log.

use crate::text::visible;

/// A colour as SGR names it: the terminal default, one of 256 indexed colours (0–15 are the 16
/// ANSI colours, 8–15 their bright forms), or 24-bit RGB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SgrColor {
    /// The terminal's default colour.
    #[default]
    Default,
    /// An indexed colour (0–7 normal, 8–15 bright, 16–255 the 256-colour cube and greys).
    Indexed(u8),
    /// A 24-bit colour.
    Rgb(u8, u8, u8),
}

/// Text attributes set by SGR, as bit flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Attrs(u8);

impl Attrs {
    /// SGR 1.
    pub const BOLD: Attrs = Attrs(1);
    /// SGR 2 (faint).
    pub const DIM: Attrs = Attrs(2);
    /// SGR 3.
    pub const ITALIC: Attrs = Attrs(4);
    /// SGR 4 (and 21, double underline).
    pub const UNDERLINE: Attrs = Attrs(8);
    /// SGR 7.
    pub const REVERSE: Attrs = Attrs(16);
    /// SGR 9.
    pub const STRIKE: Attrs = Attrs(32);

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: Attrs) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn set(&mut self, other: Attrs, on: bool) {
        if on {
            self.0 |= other.0;
        } else {
            self.0 &= !other.0;
        }
    }
}

/// The style SGR sequences set: colours and attributes (blink and conceal are ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SgrStyle {
    pub fg: SgrColor,
    pub bg: SgrColor,
    pub attrs: Attrs,
}

impl SgrStyle {
    /// Whether this is the unstyled default.
    pub fn is_plain(&self) -> bool {
        *self == SgrStyle::default()
    }
}

/// A styled byte range of a line's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StyleSpan {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
    pub style: SgrStyle,
}

/// The longest SGR parameter string accepted (longer ones are neutralised, not interpreted).
const MAX_SGR_PARAMS: usize = 64;

/// Sanitises one line (without its newline) into `text` (cleared first) and its non-default
/// SGR style runs into `spans` (cleared first). Stops once `text` would exceed `max_bytes` and then
/// returns `true` (the line was cut).
pub fn sanitize_into(raw: &[u8], max_bytes: usize, text: &mut String, spans: &mut Vec<StyleSpan>) -> bool {
    text.clear();
    spans.clear();
    if let Some(clean) = plain_text(raw)
        && clean.len() <= max_bytes
    {
        text.push_str(clean);
        return false;
    }
    let mut w = Writer {
        text,
        spans,
        style: SgrStyle::default(),
        span_start: 0,
        col: 0,
        max: max_bytes,
        cut: false,
    };
    for chunk in raw.utf8_chunks() {
        w.valid(chunk.valid());
        if !chunk.invalid().is_empty() {
            w.push_char('\u{fffd}');
        }
        if w.cut {
            break;
        }
    }
    w.finish();
    w.cut
}

/// The line as a `&str` when it needs no work at all: valid UTF-8 with no C0, DEL or C1 byte.
fn plain_text(raw: &[u8]) -> Option<&str> {
    // Branch-free per 16-byte block so the compiler can vectorise the common ASCII case.
    let suspicious = |b: u8| (b < 0x20) | (b == 0x7f) | (b == 0xc2);
    for block in raw.chunks(16) {
        if block.iter().fold(false, |acc, &b| acc | suspicious(b)) {
            return None;
        }
    }
    std::str::from_utf8(raw).ok()
}

struct Writer<'a> {
    text: &'a mut String,
    spans: &'a mut Vec<StyleSpan>,
    style: SgrStyle,
    span_start: usize,
    /// Characters written so far (for tab stops).
    col: usize,
    max: usize,
    cut: bool,
}

impl Writer<'_> {
    /// A valid UTF-8 piece: printable runs are copied, SGR interpreted, the rest neutralised.
    fn valid(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut run = 0;
        let mut i = 0;
        while i < bytes.len() && !self.cut {
            let b = bytes[i];
            if (0x20..0x7f).contains(&b) {
                i += 1;
                continue;
            }
            if b >= 0x80 {
                let Some(c) = s[i..].chars().next() else { break };
                if c.is_control() {
                    self.push_str(&s[run..i]);
                    self.push_char(visible(c));
                    run = i + c.len_utf8();
                }
                i += c.len_utf8();
                continue;
            }
            self.push_str(&s[run..i]);
            if b == 0x1b
                && let Some((params, len)) = sgr_at(&bytes[i..])
            {
                let mut style = self.style;
                apply_sgr(params, &mut style);
                self.set_style(style);
                i += len;
            } else if b == b'\t' {
                self.tab();
                i += 1;
            } else {
                self.push_char(visible(char::from(b)));
                i += 1;
            }
            run = i;
        }
        if !self.cut {
            self.push_str(&s[run..i.min(bytes.len())]);
        }
    }

    fn push_str(&mut self, s: &str) {
        if s.is_empty() || self.cut {
            return;
        }
        let room = self.max.saturating_sub(self.text.len());
        let s = if s.len() > room {
            self.cut = true;
            &s[..floor_char_boundary(s, room)]
        } else {
            s
        };
        self.text.push_str(s);
        self.col += s.bytes().filter(|b| b & 0xc0 != 0x80).count();
    }

    fn push_char(&mut self, c: char) {
        if self.text.len() + c.len_utf8() > self.max {
            self.cut = true;
            return;
        }
        self.text.push(c);
        self.col += 1;
    }

    fn tab(&mut self) {
        let n = 8 - self.col % 8;
        for _ in 0..n {
            self.push_char(' ');
        }
    }

    fn set_style(&mut self, style: SgrStyle) {
        if style == self.style {
            return;
        }
        self.close_span();
        self.style = style;
        self.span_start = self.text.len();
    }

    fn close_span(&mut self) {
        let end = self.text.len();
        if self.style.is_plain() || end <= self.span_start {
            return;
        }
        let (Ok(start), Ok(end)) = (u32::try_from(self.span_start), u32::try_from(end)) else {
            return;
        };
        match self.spans.last_mut() {
            Some(last) if last.end == start && last.style == self.style => last.end = end,
            _ => self.spans.push(StyleSpan {
                start,
                end,
                style: self.style,
            }),
        }
    }

    fn finish(&mut self) {
        self.close_span();
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// If `b` starts with an SGR sequence `ESC [ params m` (params: digits, `;`, `:`), its parameter
/// bytes and total length.
fn sgr_at(b: &[u8]) -> Option<(&[u8], usize)> {
    if b.get(1) != Some(&b'[') {
        return None;
    }
    let body = &b[2..];
    let n = body
        .iter()
        .take(MAX_SGR_PARAMS + 1)
        .position(|&c| !(c.is_ascii_digit() || c == b';' || c == b':'))?;
    (n <= MAX_SGR_PARAMS && body[n] == b'm').then(|| (&body[..n], n + 3))
}

fn number(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, &c| {
        acc.saturating_mul(10).saturating_add(u32::from(c - b'0'))
    }))
}

/// Applies SGR parameters (the part between `ESC[` and `m`) to `style`.
pub fn apply_sgr(params: &[u8], style: &mut SgrStyle) {
    if params.is_empty() {
        *style = SgrStyle::default();
        return;
    }
    let mut groups = params.split(|&c| c == b';');
    while let Some(group) = groups.next() {
        let mut sub = group.split(|&c| c == b':');
        let code = sub.next().and_then(number).unwrap_or(0);
        let colon = group.contains(&b':');
        match code {
            0 => *style = SgrStyle::default(),
            1 => style.attrs.set(Attrs::BOLD, true),
            2 => style.attrs.set(Attrs::DIM, true),
            3 => style.attrs.set(Attrs::ITALIC, true),
            4 => {
                let on = sub.next().and_then(number) != Some(0);
                style.attrs.set(Attrs::UNDERLINE, on);
            }
            7 => style.attrs.set(Attrs::REVERSE, true),
            9 => style.attrs.set(Attrs::STRIKE, true),
            21 => style.attrs.set(Attrs::UNDERLINE, true),
            22 => {
                style.attrs.set(Attrs::BOLD, false);
                style.attrs.set(Attrs::DIM, false);
            }
            23 => style.attrs.set(Attrs::ITALIC, false),
            24 => style.attrs.set(Attrs::UNDERLINE, false),
            27 => style.attrs.set(Attrs::REVERSE, false),
            29 => style.attrs.set(Attrs::STRIKE, false),
            30..=37 => style.fg = SgrColor::Indexed(index(code - 30)),
            39 => style.fg = SgrColor::Default,
            40..=47 => style.bg = SgrColor::Indexed(index(code - 40)),
            49 => style.bg = SgrColor::Default,
            90..=97 => style.fg = SgrColor::Indexed(index(code - 90 + 8)),
            100..=107 => style.bg = SgrColor::Indexed(index(code - 100 + 8)),
            38 | 48 => {
                let color = if colon {
                    let rest: Vec<Option<u32>> = sub.map(number).collect();
                    colon_color(&rest)
                } else {
                    semicolon_color(&mut groups)
                };
                if let Some(c) = color {
                    if code == 38 {
                        style.fg = c;
                    } else {
                        style.bg = c;
                    }
                }
            }
            _ => {}
        }
    }
}

fn index(n: u32) -> u8 {
    u8::try_from(n).unwrap_or(0)
}

fn byte(n: Option<u32>) -> Option<u8> {
    n.and_then(|n| u8::try_from(n).ok())
}

/// `38;5;N` / `38;2;R;G;B`: the colour's parameters are the following groups.
fn semicolon_color<'a>(groups: &mut impl Iterator<Item = &'a [u8]>) -> Option<SgrColor> {
    match groups.next().and_then(number)? {
        5 => byte(groups.next().and_then(number)).map(SgrColor::Indexed),
        2 => {
            let r = byte(groups.next().and_then(number));
            let g = byte(groups.next().and_then(number));
            let b = byte(groups.next().and_then(number));
            Some(SgrColor::Rgb(r?, g?, b?))
        }
        _ => None,
    }
}

/// `38:5:N` / `38:2:[colourspace]:R:G:B` (ITU T.416 form).
fn colon_color(rest: &[Option<u32>]) -> Option<SgrColor> {
    match rest {
        [Some(5), n, ..] => byte(*n).map(SgrColor::Indexed),
        [Some(2), _, r, g, b, ..] | [Some(2), r, g, b] => {
            Some(SgrColor::Rgb(byte(*r)?, byte(*g)?, byte(*b)?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(raw: &[u8]) -> (String, Vec<StyleSpan>) {
        let mut text = String::new();
        let mut spans = Vec::new();
        sanitize_into(raw, usize::MAX, &mut text, &mut spans);
        (text, spans)
    }

    fn text(raw: &[u8]) -> String {
        clean(raw).0
    }

    /// Nothing that a terminal would act on may survive.
    fn assert_inert(s: &str) {
        for c in s.chars() {
            assert!(!c.is_control(), "control {:?} survived in {s:?}", c);
        }
    }

    #[test]
    fn hostile_sequences_are_neutralised_and_visible() {
        let corpus: &[(&[u8], &str)] = &[
            (b"\x1b]52;c;cm0gLXJmIC8=\x07after", "␛]52;c;cm0gLXJmIC8=␇after"),
            (b"\x1b]0;pwned\x07title", "␛]0;pwned␇title"),
            (b"\x1b]2;pwned\x1b\\st", "␛]2;pwned␛\\st"),
            (b"\x1b[2Jcleared", "␛[2Jcleared"),
            (b"\x1b[H\x1b[10;20Hmove", "␛[H␛[10;20Hmove"),
            (b"\x1b[?1049hswitch", "␛[?1049hswitch"),
            (b"\x1bP+q544e\x1b\\dcs", "␛P+q544e␛\\dcs"),
            (
                b"\x1b_apc\x1b\\x\x1b^pm\x1b\\y\x1bXsos\x1b\\z",
                "␛_apc␛\\x␛^pm␛\\y␛Xsos␛\\z",
            ),
            (
                "c1\u{9b}2J\u{9d}0;t\u{9c}".as_bytes(),
                "c1\u{fffd}2J\u{fffd}0;t\u{fffd}",
            ),
            (b"raw\x9b2J\x9d0;x\x07", "raw\u{fffd}2J\u{fffd}0;x␇"),
            (b"bell\x07", "bell␇"),
            (b"back\x08\x08space", "back␈␈space"),
            (b"progress 10%\rprogress 20%", "progress 10%␍progress 20%"),
            (b"nul\x00 del\x7f esc\x1b", "nul␀ del␡ esc␛"),
            (b"\x1b[31;1;4;7mX\x1b[5m", "X"),
            (b"\x1bcreset", "␛creset"),
            (b"\x1b[6n report", "␛[6n report"),
            (b"\x1b[0;31", "␛[0;31"),
            (b"\x1b[38;5;196;2;3Hx", "␛[38;5;196;2;3Hx"),
        ];
        for (raw, want) in corpus {
            let got = text(raw);
            assert_eq!(&got, want, "input {:?}", String::from_utf8_lossy(raw));
            assert_inert(&got);
        }
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        assert_eq!(text(b"ok \xff\xfe end"), "ok \u{fffd}\u{fffd} end");
        assert_eq!(text(b"cut \xe2\x82"), "cut \u{fffd}");
        assert_eq!(text("caf\u{e9} \u{1F600}".as_bytes()), "caf\u{e9} \u{1F600}");
        assert_eq!(text("\u{a9} copyright".as_bytes()), "\u{a9} copyright");
    }

    #[test]
    fn tabs_expand_to_stops_of_eight() {
        assert_eq!(text(b"\tat Foo.bar"), "        at Foo.bar");
        assert_eq!(text(b"ab\tc"), "ab      c");
        assert_eq!(text("é\tx".as_bytes()), "é       x");
    }

    fn span(start: u32, end: u32, fg: SgrColor, attrs: Attrs) -> StyleSpan {
        StyleSpan {
            start,
            end,
            style: SgrStyle {
                fg,
                bg: SgrColor::Default,
                attrs,
            },
        }
    }

    #[test]
    fn sgr_becomes_spans() {
        let (t, s) = clean(b"\x1b[33mWARNING\x1b[0m: disk");
        assert_eq!(t, "WARNING: disk");
        assert_eq!(s, vec![span(0, 7, SgrColor::Indexed(3), Attrs::default())]);

        let (t, s) = clean(b"a\x1b[1;91mB\x1b[22mC\x1b[mD");
        assert_eq!(t, "aBCD");
        assert_eq!(
            s,
            vec![
                span(1, 2, SgrColor::Indexed(9), Attrs::BOLD),
                span(2, 3, SgrColor::Indexed(9), Attrs::default()),
            ]
        );

        let (t, s) = clean(b"\x1b[38;5;208mo\x1b[38;2;1;2;3mr\x1b[38:2::4:5:6mx\x1b[38:5:7my\x1b[39mz");
        assert_eq!(t, "orxyz");
        let fgs: Vec<SgrColor> = s.iter().map(|s| s.style.fg).collect();
        assert_eq!(
            fgs,
            vec![
                SgrColor::Indexed(208),
                SgrColor::Rgb(1, 2, 3),
                SgrColor::Rgb(4, 5, 6),
                SgrColor::Indexed(7)
            ]
        );

        let (_, s) = clean(b"\x1b[44;3;4;7;9mx\x1b[23;24;27;29;49my");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].style.bg, SgrColor::Indexed(4));
        let a = s[0].style.attrs;
        assert!(a.contains(Attrs::ITALIC) && a.contains(Attrs::UNDERLINE));
        assert!(a.contains(Attrs::REVERSE) && a.contains(Attrs::STRIKE));
        assert_eq!(s[0].end, 1);
    }

    #[test]
    fn same_style_runs_merge_and_plain_runs_are_not_stored() {
        let (t, s) = clean(b"\x1b[32ma\x1b[32mb\x1b[0m c \x1b[1m\x1b[0m");
        assert_eq!(t, "ab c ");
        assert_eq!(s, vec![span(0, 2, SgrColor::Indexed(2), Attrs::default())]);
    }

    #[test]
    fn odd_sgr_is_harmless() {
        let mut st = SgrStyle::default();
        apply_sgr(b"38;5", &mut st);
        apply_sgr(b"38;2;1;2", &mut st);
        apply_sgr(b"38;5;999", &mut st);
        apply_sgr(b"99999999999999;4:0;::;", &mut st);
        assert!(st.is_plain());
        let long = format!("\x1b[{}m", "1;".repeat(40));
        assert!(text(long.as_bytes()).starts_with('␛'));
    }

    #[test]
    fn output_is_capped_at_a_char_boundary() {
        let mut t = String::new();
        let mut s = Vec::new();
        assert!(sanitize_into("ééééé".as_bytes(), 5, &mut t, &mut s));
        assert_eq!(t, "éé");
        assert!(sanitize_into(&[0x1b; 100], 10, &mut t, &mut s));
        assert_eq!(t, "␛␛␛");
        assert!(!sanitize_into(b"short", 5, &mut t, &mut s));
    }
}
