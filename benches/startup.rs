#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Start-up benchmark: the real binary in a pseudo-terminal against its embedded demo cluster.
//! Measures time to the first frame, time to the first rows, and resident memory after a while.
//!
//! `cargo bench --bench startup` (uses `KFTUI_BIN`, else target/release/kftui; build it first).
//! `KFTUI_BENCH_SETTLE=60` sets how many seconds to wait before reading memory (default 10).

#[path = "../tests/support/pty.rs"]
#[allow(dead_code)]
mod pty;

use std::time::{Duration, Instant};

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let bin = std::env::var_os("KFTUI_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/kftui"));
    let settle: u64 = std::env::var("KFTUI_BENCH_SETTLE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let runs = 5;
    let mut first_frame = Vec::new();
    let mut first_rows = Vec::new();
    for i in 0..runs {
        let start = Instant::now();
        let t = pty::Pty::spawn_bin(&bin, &["--demo"], 120, 40);
        t.wait_for("first frame", Duration::from_secs(30), |s| s.contains("kftui"));
        first_frame.push(start.elapsed());
        t.wait_for("first rows", Duration::from_secs(30), |s| {
            s.contains("Succeeded") || s.contains("Running")
        });
        first_rows.push(start.elapsed());
        if i == runs - 1 {
            std::thread::sleep(Duration::from_secs(settle));
            let pid = t.child.process_id().unwrap_or(0);
            match rss_kib(pid) {
                Some(kib) => println!(
                    "resident memory after {settle} s of --demo: {:.1} MiB",
                    kib as f64 / 1024.0
                ),
                None => println!("resident memory: /proc not readable"),
            }
        }
    }
    first_frame.sort();
    first_rows.sort();
    let median = |v: &[Duration]| v[v.len() / 2];
    println!(
        "time to first frame (median of {runs}): {:?}  (min {:?}, max {:?})",
        median(&first_frame),
        first_frame[0],
        first_frame[runs - 1]
    );
    println!(
        "time to first rows  (median of {runs}): {:?}  (min {:?}, max {:?})",
        median(&first_rows),
        first_rows[0],
        first_rows[runs - 1]
    );
}
