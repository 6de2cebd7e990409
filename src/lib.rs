//! kftui: a full-screen terminal workbench for Kubeflow.

pub mod app;
pub mod cli;
pub mod config;
pub mod event;
pub mod kube;
pub mod layout;
pub mod logging;
pub mod logs;
pub mod memory;
pub mod runs;
pub mod sim;
pub mod terminal;
pub mod text;
pub mod ui;
