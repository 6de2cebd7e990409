//! Renders a ratatui buffer to SVG: each cell's text and colours in a monospace grid. Used for
//! `screenshots/`, so the pictures in the README come from the real render path.

use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const CELL_W: f32 = 8.4;
const CELL_H: f32 = 17.0;
const FG: &str = "#d0d0d0";
const BG: &str = "#1c1c1c";

/// The xterm default palette for the 16 ANSI colours.
fn ansi(c: Color) -> Option<&'static str> {
    Some(match c {
        Color::Black => "#000000",
        Color::Red => "#cd3131",
        Color::Green => "#0dbc79",
        Color::Yellow => "#e5e510",
        Color::Blue => "#2472c8",
        Color::Magenta => "#bc3fbc",
        Color::Cyan => "#11a8cd",
        Color::Gray => "#c0c0c0",
        Color::DarkGray => "#666666",
        Color::LightRed => "#f14c4c",
        Color::LightGreen => "#23d18b",
        Color::LightYellow => "#f5f543",
        Color::LightBlue => "#3b8eea",
        Color::LightMagenta => "#d670d6",
        Color::LightCyan => "#29b8db",
        Color::White => "#e5e5e5",
        _ => return None,
    })
}

fn colour(c: Color, default: &str) -> String {
    match c {
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => format!("#{i:02x}{i:02x}{i:02x}"),
        other => ansi(other).unwrap_or(default).to_string(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The buffer as a standalone SVG document.
pub fn to_svg(buf: &Buffer) -> String {
    let area = buf.area;
    let width = f32::from(area.width) * CELL_W;
    let height = f32::from(area.height) * CELL_H;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.1} {height:.1}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="{BG}"/>"#);
    for y in 0..area.height {
        for x in 0..area.width {
            let Some(cell) = buf.cell((area.x + x, area.y + y)) else {
                continue;
            };
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (mut fg, mut bg) = (colour(cell.fg, FG), colour(cell.bg, BG));
            if reversed {
                std::mem::swap(&mut fg, &mut bg);
            }
            let px = f32::from(x) * CELL_W;
            let py = f32::from(y) * CELL_H;
            if bg != BG {
                let _ = writeln!(
                    out,
                    r#"<rect x="{px:.1}" y="{py:.1}" width="{CELL_W:.1}" height="{CELL_H:.1}" fill="{bg}"/>"#
                );
            }
            let sym = cell.symbol();
            if sym.trim().is_empty() {
                continue;
            }
            let weight = if cell.modifier.contains(Modifier::BOLD) {
                r#" font-weight="bold""#
            } else {
                ""
            };
            let _ = writeln!(
                out,
                r#"<text x="{px:.1}" y="{:.1}" fill="{fg}"{weight}>{}</text>"#,
                py + CELL_H * 0.75,
                escape(sym)
            );
        }
    }
    out.push_str("</svg>\n");
    out
}
