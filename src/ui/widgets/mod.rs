pub mod footer;
pub mod graph;
pub mod header;
pub mod help;
pub mod picker;
pub mod status;
pub mod tabs;
pub mod viewer;
