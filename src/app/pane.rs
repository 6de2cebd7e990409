//! The panes of the workbench, in tab order.

use crate::app::action::Action;

/// One of the top-level panes. The order here is the tab order and the number keys 1–8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum PaneId {
    Pipelines,
    #[default]
    Runs,
    Logs,
    Notebooks,
    Models,
    Training,
    Experiments,
    /// Any kind the cluster serves: pods, events, PVCs… (`:pods`, `:res KIND`).
    Cluster,
}

impl PaneId {
    pub const ALL: [PaneId; 8] = [
        PaneId::Pipelines,
        PaneId::Runs,
        PaneId::Logs,
        PaneId::Notebooks,
        PaneId::Models,
        PaneId::Training,
        PaneId::Experiments,
        PaneId::Cluster,
    ];

    /// Lower-case name: the `:` command that shows the pane and its keymap section (`[pane.runs]`).
    pub fn name(self) -> &'static str {
        match self {
            PaneId::Pipelines => "pipelines",
            PaneId::Runs => "runs",
            PaneId::Logs => "logs",
            PaneId::Notebooks => "notebooks",
            PaneId::Models => "models",
            PaneId::Training => "training",
            PaneId::Experiments => "experiments",
            PaneId::Cluster => "cluster",
        }
    }

    /// Title shown in the tab bar.
    pub fn title(self) -> &'static str {
        match self {
            PaneId::Pipelines => "Pipelines",
            PaneId::Runs => "Runs",
            PaneId::Logs => "Logs",
            PaneId::Notebooks => "Notebooks",
            PaneId::Models => "Models",
            PaneId::Training => "Training",
            PaneId::Experiments => "Experiments",
            PaneId::Cluster => "Cluster",
        }
    }

    pub fn from_name(name: &str) -> Option<PaneId> {
        PaneId::ALL.iter().copied().find(|p| p.name() == name)
    }

    /// Position in the tab bar, 0-based.
    pub fn index(self) -> usize {
        PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// The action that shows this pane.
    pub fn action(self) -> Action {
        match self {
            PaneId::Pipelines => Action::Pipelines,
            PaneId::Runs => Action::Runs,
            PaneId::Logs => Action::Logs,
            PaneId::Notebooks => Action::Notebooks,
            PaneId::Models => Action::Models,
            PaneId::Training => Action::Training,
            PaneId::Experiments => Action::Experiments,
            PaneId::Cluster => Action::Cluster,
        }
    }

    /// The pane an action shows, if it is a pane action.
    pub fn for_action(action: Action) -> Option<PaneId> {
        PaneId::ALL.iter().copied().find(|p| p.action() == action)
    }

    pub fn next(self) -> PaneId {
        PaneId::ALL[(self.index() + 1) % PaneId::ALL.len()]
    }

    pub fn prev(self) -> PaneId {
        PaneId::ALL[(self.index() + PaneId::ALL.len() - 1) % PaneId::ALL.len()]
    }
}
