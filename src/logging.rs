//! Diagnostics go to a file in the state dir, never to the screen the UI owns.
//!
//! The state dir and the log are private to the user (0700 and 0600 on Unix): the log names the
//! user's clusters, namespaces and objects.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::config::paths;

/// The log file's name in the state dir.
pub const LOG_FILE: &str = "kftui.log";

/// Opens `<state_dir>/kftui.log` for appending, the dir and the file private to the user.
pub fn open_log(state_dir: &Path) -> std::io::Result<(std::fs::File, PathBuf)> {
    paths::create_private_dir(state_dir)?;
    let path = state_dir.join(LOG_FILE);
    Ok((paths::open_private_file(&path)?, path))
}

/// Starts logging to `<state_dir>/kftui.log` at the level in `KFTUI_LOG` (default `warn`).
/// Returns the guard that flushes the log on drop, or `None` when the file cannot be opened.
pub fn init(state_dir: &Path) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_env("KFTUI_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    init_with(state_dir, filter)
}

/// As [`init`], at the level `filter` says.
pub fn init_with(state_dir: &Path, filter: EnvFilter) -> Option<WorkerGuard> {
    let (file, _) = open_log(state_dir).ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
