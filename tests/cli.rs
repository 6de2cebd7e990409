#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The binary's non-interactive commands: `check-config` and `--help`.

use std::process::Command;

fn kftui() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kftui"));
    c.env_remove("NO_COLOR").env_remove("KFTUI_CONFIG_DIR");
    c
}

#[test]
fn check_config_reports_each_problem_with_file_and_line_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "theme = \"default\"\nkeymap = \"default\"\ncolour = \"blue\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("keymap.toml"),
        "[global]\n\"j\" = \"down\"\n\"x\" = \"explode\"\n",
    )
    .unwrap();
    let out = kftui()
        .arg("--config-dir")
        .arg(dir.path())
        .arg("check-config")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("config.toml:3:"), "{stdout}");
    assert!(stdout.contains("keymap.toml:3:"), "{stdout}");
    assert!(stdout.contains("explode"), "{stdout}");
}

#[test]
fn check_config_passes_a_good_config_dir() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "theme = \"mono\"\nkeymap = \"arrows\"\n",
    )
    .unwrap();
    let out = kftui()
        .env("KFTUI_CONFIG_DIR", dir.path())
        .arg("check-config")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("config OK"));
}

#[test]
fn help_names_the_demo_and_sim() {
    let out = kftui().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("--demo") && text.contains("sim") && text.contains("check-config"),
        "{text}"
    );
}

/// `kftui sim` ends within a second of SIGTERM and of ctrl-c (SIGINT), with Workflows loaded
/// whose status its controller did not write.
#[test]
fn sim_ends_within_a_second_of_sigterm_or_ctrl_c() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kftui"))
            .args(["sim", "--listen", "127.0.0.1:0", "--kubeconfig"])
            .arg(&kubeconfig)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        while !kubeconfig.exists() && start.elapsed() < std::time::Duration::from_secs(20) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(kubeconfig.exists(), "the sim wrote no kubeconfig");
        std::thread::sleep(std::time::Duration::from_millis(700)); // a controller pass or two
        kill(Pid::from_raw(child.id() as i32), signal).unwrap();
        let sent = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if sent.elapsed() > std::time::Duration::from_secs(1) {
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        if status.is_none() {
            let _ = child.kill();
        }
        assert!(
            status.is_some(),
            "kftui sim was still running 1 s after {signal:?}"
        );
    }
}
