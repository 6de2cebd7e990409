//! The screen's layout, shared by `render` and by `update` (which needs the list height to
//! keep the selection on screen): the functions live in [`crate::layout`], below both.

pub use crate::layout::{Areas, areas, inner, list_height, run_detail_areas, run_graph_area};
