//! Command-line arguments.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "kftui",
    version,
    about = "A full-screen terminal workbench for Kubeflow"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Run against the embedded demo cluster instead of a kubeconfig.
    #[arg(long)]
    pub demo: bool,

    /// The kubeconfig to use (default: KUBECONFIG, then ~/.kube/config).
    #[arg(long, env = "KUBECONFIG", value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use (default: its current context).
    #[arg(long)]
    pub context: Option<String>,

    /// The namespace to show (default: the context's).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,

    /// Show every namespace.
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,

    /// Hide and refuse every verb that changes the cluster.
    #[arg(long)]
    pub readonly: bool,

    /// Theme name (default, light, high-contrast, mono, or one in the config dir).
    #[arg(long)]
    pub theme: Option<String>,

    /// Keymap name (default, arrows, or one in the config dir).
    #[arg(long)]
    pub keymap: Option<String>,

    /// Where Prometheus is, for the Models pane's traffic and the training detail's hardware:
    /// a URL, or namespace/service:port of the cluster (default: config.toml's prometheus_url,
    /// else the usual services).
    #[arg(long, env = "KFTUI_PROMETHEUS", value_name = "URL")]
    pub prometheus: Option<String>,

    /// Where config.toml, keymap.toml, keymaps/ and themes/ live.
    #[arg(long, env = "KFTUI_CONFIG_DIR", value_name = "DIR")]
    pub config_dir: Option<PathBuf>,

    #[command(flatten)]
    pub sim: SimArgs,
}

/// Knobs of the embedded cluster, for `--demo` and `sim`.
#[derive(Debug, Args, Clone)]
pub struct SimArgs {
    /// Seed of the demo data: the same seed gives the same runs.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Extra runs of ~20 steps each (with their pods), for benchmarks.
    #[arg(long, default_value_t = 0)]
    pub scale: usize,

    /// Log lines per second written by each running pod.
    #[arg(long, default_value_t = 2.0)]
    pub log_rate: f64,

    /// Faults to inject, e.g. `delay=250ms,error=pods:403,gone=workflows,log-lines=5,drop-watches-every=30s`
    /// (also `POST /sim/faults` at run time).
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run only the embedded cluster, headless, for kubectl, tests and benchmarks.
    Sim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,

        /// Where to write a kubeconfig (context kftui-sim) for this cluster.
        #[arg(long, value_name = "FILE")]
        kubeconfig: Option<PathBuf>,

        #[command(flatten)]
        sim: SimArgs,
    },
    /// Check the config files and report every problem with its file and line.
    CheckConfig,
}
