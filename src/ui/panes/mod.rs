pub mod logs;
pub mod planned;
pub mod runs;
