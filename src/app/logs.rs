//! The Logs pane's session: what is being followed, and which pod feeds which source.

use std::collections::BTreeMap;

use crate::logs::view::LogView;

/// What a log view follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSubject {
    /// Every step of a run, merged, with new steps joining as they start.
    Run { namespace: String, name: String },
    /// One pod (its default container unless one is named).
    Pod {
        namespace: String,
        name: String,
        container: Option<String>,
        label: String,
    },
}

impl LogSubject {
    pub fn namespace(&self) -> &str {
        match self {
            LogSubject::Run { namespace, .. } | LogSubject::Pod { namespace, .. } => namespace,
        }
    }

    /// `workflow/NAME` or `pod/NAME`, for titles and file names.
    pub fn title(&self) -> String {
        match self {
            LogSubject::Run { name, .. } => format!("workflow/{name}"),
            LogSubject::Pod {
                name,
                container: Some(c),
                ..
            } => format!("pod/{name} ({c})"),
            LogSubject::Pod { name, .. } => format!("pod/{name}"),
        }
    }
}

/// The open log session.
#[derive(Debug, Clone)]
pub struct LogSession {
    pub subject: LogSubject,
    pub view: LogView,
    /// Pods already streaming, by name, with their source index.
    pub pods: BTreeMap<String, usize>,
    /// Showing the previous instance of the containers.
    pub previous: bool,
}

impl LogSession {
    pub fn new(id: u64, subject: LogSubject, capacity: usize) -> LogSession {
        let view = LogView::with_capacity(id, subject.title(), capacity);
        LogSession {
            subject,
            view,
            pods: BTreeMap::new(),
            previous: false,
        }
    }

    pub fn id(&self) -> u64 {
        self.view.id()
    }
}
