//! The vocabulary shared by keymaps, the help screen and the `:` command line.
//!
//! Every action has one kebab-case name (`quit`, `page-down`, `runs`, …). Keymap files bind keys to
//! these names, `?` lists them with their keys, and `:NAME` runs them.

use serde::{Deserialize, Serialize};

macro_rules! actions {
    ($( $variant:ident = $name:literal : $help:literal ),* $(,)?) => {
        /// A thing the user can ask for, by key or by `:` command.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Action {
            $( #[serde(rename = $name)] $variant, )*
        }

        impl Action {
            /// Every action, in the order the help screen lists them.
            pub const ALL: &'static [Action] = &[ $( Action::$variant, )* ];

            /// The kebab-case name used in keymap files and on the command line.
            pub fn name(self) -> &'static str {
                match self { $( Action::$variant => $name, )* }
            }

            /// One line for the help screen.
            pub fn help(self) -> &'static str {
                match self { $( Action::$variant => $help, )* }
            }
        }
    };
}

actions! {
    Quit = "quit": "Quit kftui",
    Help = "help": "Show the keys and commands",
    Command = "command": "Open the command line",
    Filter = "filter": "Filter the list as you type",
    Cancel = "cancel": "Close the popup, clear the filter or go back",
    Up = "up": "Move the selection up",
    Down = "down": "Move the selection down",
    Top = "top": "Jump to the first row",
    Bottom = "bottom": "Jump to the last row",
    PageUp = "page-up": "Move up one page",
    PageDown = "page-down": "Move down one page",
    NextPane = "next-pane": "Go to the next pane",
    PrevPane = "prev-pane": "Go to the previous pane",
    Pipelines = "pipelines": "Show the Pipelines pane",
    Runs = "runs": "Show the Runs pane",
    Logs = "logs": "Show the Logs pane",
    Notebooks = "notebooks": "Show the Notebooks pane",
    Models = "models": "Show the Models pane",
    Training = "training": "Show the Training pane",
    Experiments = "experiments": "Show the Experiments pane",
    Reveal = "reveal": "A Secret's YAML: show its values, decoded (hidden until asked)",
    Cluster = "cluster": "Show the resource view: pods, events or any kind (:pods, :events, :pvc, :res KIND)",
    Owned = "owned": "The selection's pods (a run, notebook, model, job); in the resource view, the object's owner",
    Namespace = "ns": "Pick the namespace (:ns NAME, :ns all)",
    Context = "ctx": "Pick the kubeconfig context (:ctx NAME)",
    SortNext = "sort-next": "Sort by the next column (:sort COLUMN [asc|desc])",
    SortPrev = "sort-prev": "Sort by the previous column",
    Open = "open": "Open the selection: a run's step graph, a training job's detail, an experiment's trials",
    Tail = "tail": "Follow the logs of the selection (:logs KIND/NAME: pod, workflow, notebook, isvc, trainjob, trial)",
    Follow = "follow": "Logs: follow new lines, or pause",
    Wrap = "wrap": "Wrap long lines, or not (logs, YAML, describe)",
    Timestamps = "timestamps": "Logs: show the server's timestamps, or not",
    Utc = "utc": "Logs: timestamps in UTC or local time",
    Grep = "grep": "Logs: show only the lines that match the search, or all",
    Save = "save": "Logs: save the lines (the filtered ones when filtering) to a file",
    Previous = "previous": "Logs: the previous instance of the containers, or the current one",
    Container = "container": "Logs: pick the container, or all of them (:container NAME, :container all)",
    Since = "since": "Logs: start 1m, 5m, 15m, 1h back, or from the start (:since 5m, :since all)",
    TailLines = "tail-lines": "Logs: start with the last 100, 1,000, 10,000 or all lines (:tail 1000, :tail all)",
    ScrollLeft = "scroll-left": "Scroll left (logs, YAML and describe when not wrapping; more runs in a comparison)",
    ScrollRight = "scroll-right": "Scroll right (logs, YAML and describe when not wrapping; more runs in a comparison)",
    Layout = "layout": "Switch the step graph between graph and tree",
    MoveLeft = "move-left": "Step graph: select the step to the left",
    MoveRight = "move-right": "Step graph: select the step to the right",
    Parent = "parent": "Step graph: select the step this one depends on",
    Child = "child": "Step graph: select a step that depends on this one",
    Mark = "mark": "Mark or unmark the selected row for a bulk verb (:mark re:PATTERN)",
    MarkAll = "mark-all": "Mark every row the filter shows",
    UnmarkAll = "unmark-all": "Clear every mark",
    Stop = "stop": "Stop the run (exit handlers still run), notebook or model",
    Terminate = "terminate": "Terminate the run: everything stops, exit handlers too",
    SuspendRun = "suspend": "Suspend the run (no new step starts) or training job (its pods stop)",
    Resume = "resume": "Resume a suspended run or training job",
    Retry = "retry": "Retry a failed run: failed steps run again",
    Resubmit = "resubmit": "Resubmit: a new run from the same spec",
    NewRun = "new-run": "Start a new run: of a KFP pipeline version or a WorkflowTemplate (a form)",
    CloneRun = "clone": "A new run from the selected one, its parameters in a form to edit",
    Recurring = "recurring": "Pipelines: the recurring runs (KFP schedules, Argo CronWorkflows), or the pipelines again",
    PipelineRuns = "pipeline-runs": "Pipelines: the runs of the selected pipeline, in the Runs pane",
    Compare = "compare": "Compare the marked runs side by side: parameters, status, duration, metrics",
    Delete = "delete": "Delete the run, notebook, model, training job or experiment",
    Start = "start": "Start a stopped notebook or model",
    NewNotebook = "new-notebook": "Notebooks: create a notebook (a form: image, resources, workspace, PodDefaults)",
    Connect = "connect": "Notebooks: a local URL to the notebook (a proxy on 127.0.0.1; `:connect PORT` for that port), copied",
    Connections = "connections": "The open connections and port-forwards (:pf); D closes one",
    PortForward = "port-forward": "Forward a port of the selected pod or service (or notebook's or model's pod) to 127.0.0.1 (a picker when it has several; :pf PORT for that port), URL copied",
    Promote = "promote": "Models: the canary (latest revision) takes all traffic",
    Rollback = "rollback": "Models: all traffic back to the previous revision",
    Test = "test": "Models: send a test request to the model (a JSON body in an editor; ctrl-s sends)",
    Canary = "canary": "Models: send N% of the traffic to the latest revision (:canary N)",
    Upload = "upload": "Pipelines: upload a pipeline spec file (:upload PATH [NAME])",
    UploadVersion = "upload-version": "Pipelines: upload a spec file as a new version of the selected pipeline (:upload-version PATH [NAME])",
    Sort = "sort": "Sort by a column (:sort COLUMN [asc|desc])",
    Copy = "copy": "Connections: copy the selected connection's URL",
    Disconnect = "disconnect": "Connections: close the selected connection",
    Accept = "accept": "Choose, run, find, or go to the next field (the last one submits)",
    Complete = "complete": "Command line: complete the command's name",
    NextField = "next-field": "Forms: the next field (in a test request: the editor or the history)",
    PrevField = "prev-field": "Forms: the previous field",
    Submit = "submit": "Forms: create or send what the form says",
    EditYaml = "edit-yaml": "New-run form: edit the whole request as YAML",
    NextChoice = "next-choice": "New-notebook form: the next suggested image",
    PrevChoice = "prev-choice": "New-notebook form: the previous suggested image",
    Example = "example": "Test request: start again from the example body",
    CopyName = "copy-name": "Copy the selected object's name to the clipboard (OSC 52, over SSH too)",
    CopyYaml = "copy-yaml": "Copy the selected object's YAML to the clipboard (:copy yaml; OSC 52)",
    Yaml = "yaml": "Show the selected object as YAML",
    Describe = "describe": "Describe the selected object: status, conditions, children, events",
    Shell = "shell": "Open a shell in the selected notebook's, model's, run's or training job's pod (bash, else sh); exit returns",
    Edit = "edit": "Edit the selected object's YAML in $VISUAL or $EDITOR (vi); saved with the version it was read at",
    NextMatch = "next-match": "Jump to the next search match",
    PrevMatch = "prev-match": "Jump to the previous search match",
    Redraw = "redraw": "Redraw the whole screen",
    SuspendApp = "suspend-app": "Suspend kftui to the shell (fg resumes)",
}

impl Action {
    /// Changes the cluster: hidden and refused in read-only mode, always confirmed.
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            Action::Stop
                | Action::Terminate
                | Action::SuspendRun
                | Action::Resume
                | Action::Retry
                | Action::Resubmit
                | Action::NewRun
                | Action::NewNotebook
                | Action::CloneRun
                | Action::Delete
                | Action::Start
                | Action::Promote
                | Action::Rollback
                | Action::Canary
                | Action::Upload
                | Action::UploadVersion
                | Action::Edit
                | Action::Shell
        )
    }

    /// Looks an action up by its kebab-case name.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_lookup() {
        for a in Action::ALL {
            let json = serde_json::to_string(a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.name()));
            assert_eq!(Action::from_name(a.name()), Some(*a));
        }
        assert_eq!(Action::from_name("no-such-thing"), None);
    }
}
