pub mod logs;
pub mod planned;
pub mod run_detail;
pub mod runs;
