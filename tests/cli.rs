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
