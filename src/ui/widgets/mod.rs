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
pub fn scrolled_text(
    lines: Vec<ratatui::text::Line<'_>>,
    scroll: usize,
    area: ratatui::layout::Rect,
    buf: &mut ratatui::buffer::Buffer,
) -> bool {
    use ratatui::widgets::{Paragraph, Widget, Wrap};
    let width = usize::from(area.width.max(1));
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    let max = rows.saturating_sub(usize::from(area.height));
    let scroll = scroll.min(max);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
        .render(area, buf);
    scroll < max
}
