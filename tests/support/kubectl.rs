//! The real `kubectl` against an embedded cluster: each harness starts its own cluster, writes
//! its kubeconfig to a temp dir and runs kubectl with `--kubeconfig` and `--request-timeout`;
//! spawned kubectl processes are killed on drop. When kubectl is not on PATH, `Cluster::start`
//! says so loudly and gives `None` (CI installs it).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::simsupport;

/// How long one kubectl command may take.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// A started cluster plus a kubeconfig for it.
pub struct Cluster {
    pub handle: kftui::sim::SimHandle,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

/// kubectl's output.
pub struct Out {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Cluster {
    /// `None` (after a loud message) when kubectl is not installed.
    pub async fn start() -> Option<Self> {
        if Command::new("kubectl")
            .arg("version")
            .arg("--client")
            .output()
            .await
            .is_err()
        {
            eprintln!("SKIPPED: kubectl not found on PATH; this test did not run");
            return None;
        }
        let handle = simsupport::start().await;
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, handle.kubeconfig_yaml()).unwrap();
        Some(Self {
            handle,
            dir,
            kubeconfig,
        })
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("kubectl");
        cmd.arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--request-timeout=10s")
            .args(args)
            .env("HOME", self.dir.path())
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        cmd
    }

    pub async fn run(&self, args: &[&str]) -> Out {
        let out = tokio::time::timeout(TIMEOUT, self.command(args).output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} timed out"))
            .unwrap();
        Out {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs and insists on success.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(out.ok, "kubectl {args:?} failed:\n{}\n{}", out.stdout, out.stderr);
        out.stdout
    }

    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }

    /// Runs kubectl with `stdin` as its input: (exit code, stdout, stderr).
    pub async fn run_input(&self, args: &[&str], stdin: &[u8]) -> (i32, String, String) {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin).await.unwrap();
        drop(input);
        let out = tokio::time::timeout(TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} timed out"))
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub async fn stop(self) {
        self.handle.shutdown().await;
    }
}
