//! How the UI process gives memory back. Measured at 10,000 real-size Workflows (BENCHMARKS.md,
//! "Memory"): with glibc's defaults (an arena per thread, a trim threshold that grows with the
//! biggest block freed) the UI kept 133 MiB resident after the first list; jemalloc 114 MiB
//! (94 MiB with eager decay and a background thread), mimalloc 109 MiB; glibc with one arena and
//! a fixed 128 KiB trim threshold 72 MiB. The UI is one thread plus a few watch tasks, so one
//! arena costs nothing measurable. glibc reads these settings only from the environment
//! (`GLIBC_TUNABLES`) at start, so the UI starts itself once more with them set. The embedded
//! cluster (`kftui sim`), which serves many connections at once, keeps glibc's defaults.

/// The glibc malloc settings the UI runs with.
pub const UI_TUNABLES: &str = "glibc.malloc.arena_max=1:glibc.malloc.trim_threshold=131072";

/// Restarts the process with [`UI_TUNABLES`] unless they (or the user's own tunables) are set.
/// Returns only when it did not restart: not glibc, or the executable could not be run again,
/// in which case the UI runs with the defaults.
pub fn tune_for_ui() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        if std::env::var_os("GLIBC_TUNABLES").is_some() {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let error = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("GLIBC_TUNABLES", UI_TUNABLES)
            .exec();
        tracing::debug!("running with glibc's default malloc settings: {error}");
    }
}
