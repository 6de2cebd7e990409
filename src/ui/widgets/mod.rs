pub mod compare;
pub mod confirm;
pub mod connections;
pub mod footer;
pub mod form;
pub mod graph;
pub mod header;
pub mod help;
pub mod notebook_form;
pub mod picker;
pub mod status;
pub mod tabs;
pub mod viewer;

/// Draws wrapped text scrolled by `scroll` rows, never past its last page: a scroll position
/// beyond the end (the "end" of a detail) shows the last page. Returns whether rows remain below.
/// Rows `lines` take wrapped at `width`.
pub fn wrapped_rows(lines: &[ratatui::text::Line<'_>], width: u16) -> usize {
    let width = usize::from(width.max(1));
    lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum()
}

pub fn scrolled_text(
    lines: Vec<ratatui::text::Line<'_>>,
    scroll: usize,
    area: ratatui::layout::Rect,
    buf: &mut ratatui::buffer::Buffer,
) -> bool {
    use ratatui::widgets::{Paragraph, Widget, Wrap};
    let max = wrapped_rows(&lines, area.width).saturating_sub(usize::from(area.height));
    let scroll = scroll.min(max);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
        .render(area, buf);
    scroll < max
}
