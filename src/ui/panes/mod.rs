pub mod logs;
pub mod models;
pub mod notebooks;
pub mod planned;
pub mod run_detail;
pub mod runs;
pub mod table;
