//! Panes whose lists are not built yet say, in words, what they will show and from where.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use crate::app::pane::PaneId;
use crate::app::state::State;
use crate::config::theme::Role;
use crate::ui::View;

pub struct PlannedPane<'a> {
    pub pane: PaneId,
    pub state: &'a State,
    pub view: &'a View<'a>,
}

/// What the pane will show, and the resources it reads.
pub fn description(pane: PaneId) -> (&'static str, &'static str) {
    match pane {
        PaneId::Pipelines => (
            "Pipelines and their versions, parameters and task graphs, with a form to start a run.",
            "KFP REST /apis/v2beta1/pipelines through the API server's service proxy; pipelines.kubeflow.org/v2beta1 Pipeline and PipelineVersion; Argo WorkflowTemplate and ClusterWorkflowTemplate.",
        ),
        PaneId::Runs => ("Runs.", "argoproj.io/v1alpha1 Workflow."),
        PaneId::Logs => (
            "Live logs of a run's steps, a pod, a notebook, a model or a training job: merged in time order, searchable, with follow and pause.",
            "pods/log follow streams (container main for Argo steps).",
        ),
        PaneId::Notebooks => (
            "Notebook servers with their status, image, CPU, memory and GPUs; start, stop, connect and create.",
            "kubeflow.org/v1 Notebook (v1beta1 too) and their pods and events.",
        ),
        PaneId::Models => (
            "Inference services: readiness, URL, model format, runtime and canary traffic; test requests, canary, stop and start.",
            "serving.kserve.io/v1beta1 InferenceService, ServingRuntime and ClusterServingRuntime.",
        ),
        PaneId::Training => (
            "Training jobs with their runtime, state, nodes and progress; suspend, resume and merged logs of all nodes.",
            "trainer.kubeflow.org/v1alpha1 TrainJob and TrainingRuntime; kubeflow.org/v1 PyTorchJob and TFJob.",
        ),
        PaneId::Experiments => (
            "Hyperparameter tuning experiments: objective, best value and trials, with a table of trials and their metrics.",
            "kubeflow.org/v1beta1 Katib Experiment, Trial and Suggestion.",
        ),
    }
}

impl Widget for PlannedPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        let (what, from) = description(self.pane);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::BorderFocused))
            .title(Span::styled(
                format!(" {} ", self.pane.title()),
                theme.style(Role::Title),
            ));
        let ns = self.state.target.namespace.as_deref().unwrap_or("all namespaces");
        let text = vec![
            Line::from(Span::styled(
                "This pane is not available in this version of kftui yet.",
                theme.style(Role::NoticeWarn),
            )),
            Line::raw(""),
            Line::from(vec![
                Span::styled("It will show: ", theme.style(Role::Header)),
                Span::raw(what),
            ]),
            Line::raw(""),
            Line::from(vec![
                Span::styled("Read from: ", theme.style(Role::Header)),
                Span::raw(from),
            ]),
            Line::raw(""),
            Line::from(Span::styled(
                format!(
                    "Namespace: {}. The Runs pane is live now.",
                    crate::text::sanitize(ns)
                ),
                theme.style(Role::Muted),
            )),
        ];
        Paragraph::new(text)
            .block(block)
            .wrap(Wrap { trim: true })
            .render(area, buf);
    }
}
