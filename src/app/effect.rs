//! Effects are data: `update` returns them, the runner performs the IO.

use crate::app::subs::{Kind, SubKey};
use crate::app::viewer::ViewKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Start watching.
    Subscribe(SubKey),
    /// Stop watching; late events from it are dropped by `update`.
    Unsubscribe(SubKey),
    /// Fetch one object for the YAML or describe view; the answer is `Msg::Fetched`.
    Fetch {
        request: u64,
        context: String,
        kind: Kind,
        namespace: String,
        name: String,
        view: ViewKind,
    },
    /// Connect to a context (if not yet) and ask its API server for its version.
    Probe(String),
    /// Remember each context's namespace choice between runs.
    SaveChoices(std::collections::BTreeMap<String, Option<String>>),
    /// Leave the terminal to the shell until `fg`.
    Suspend,
    /// Clear the screen and draw everything again.
    FullRedraw,
}
