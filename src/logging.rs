//! Diagnostics go to a file in the state dir, never to the screen the UI owns.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Starts logging to `<state_dir>/kftui.log` at the level in `KFTUI_LOG` (default `warn`).
/// Returns the guard that flushes the log on drop, or `None` when the file cannot be opened.
pub fn init(state_dir: &Path) -> Option<WorkerGuard> {
    std::fs::create_dir_all(state_dir).ok()?;
    let appender = tracing_appender::rolling::never(state_dir, "kftui.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("KFTUI_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
