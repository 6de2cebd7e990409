//! Render is a pure function of the State: `render(&State, &View, &mut Frame)`.

pub mod format;
pub mod layout;
pub mod metrics;
pub mod panes;
pub mod svg;
pub mod widgets;

use ratatui::Frame;

use crate::app::pane::PaneId;
use crate::app::state::{Mode, State};
use crate::config::keymap::Keymap;
use crate::config::theme::Theme;

/// What render needs besides the State: how things look and which keys do what.
pub struct View<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
    /// The offset local times are shown in.
    pub tz: chrono::FixedOffset,
}

/// Draws the whole screen.
pub fn render(state: &State, view: &View<'_>, frame: &mut Frame) {
    let areas = layout::areas(frame.area());
    frame.render_widget(widgets::header::Header { state, view }, areas.header);
    frame.render_widget(widgets::tabs::Tabs { state, view }, areas.tabs);
    match state.pane {
        _ if state.form.is_some() => {
            if let Some(form) = &state.form {
                frame.render_widget(
                    widgets::form::FormView {
                        form,
                        theme: view.theme,
                    },
                    areas.body,
                );
            }
        }
        _ if state.notebook_form.is_some() => {
            if let Some(form) = &state.notebook_form {
                frame.render_widget(
                    widgets::notebook_form::NotebookFormView {
                        form,
                        theme: view.theme,
                    },
                    areas.body,
                );
            }
        }
        _ if state.compare.is_some() => {
            if let Some(compare) = &state.compare {
                frame.render_widget(
                    widgets::compare::CompareView {
                        compare,
                        theme: view.theme,
                        now: state.now,
                        tz: view.tz,
                    },
                    areas.body,
                );
            }
        }
        _ if state.viewer.is_some() => {
            if let Some(v) = &state.viewer {
                frame.render_widget(
                    widgets::viewer::Viewer {
                        view: v,
                        theme: view.theme,
                    },
                    areas.body,
                );
            }
        }
        PaneId::Runs => match &state.detail {
            Some(detail) => frame.render_widget(
                panes::run_detail::RunDetailPane { detail, state, view },
                areas.body,
            ),
            None => frame.render_widget(panes::runs::RunsPane { state, view }, areas.body),
        },
        PaneId::Notebooks => frame.render_widget(panes::notebooks::NotebooksPane { state, view }, areas.body),
        PaneId::Models => frame.render_widget(panes::models::ModelsPane { state, view }, areas.body),
        PaneId::Training => frame.render_widget(panes::training::TrainingPane { state, view }, areas.body),
        PaneId::Pipelines => frame.render_widget(panes::pipelines::PipelinesPane { state, view }, areas.body),
        PaneId::Experiments => {
            frame.render_widget(panes::experiments::ExperimentsPane { state, view }, areas.body)
        }
        PaneId::Cluster => frame.render_widget(panes::cluster::ClusterPane { state, view }, areas.body),
        PaneId::Logs if state.logs.is_some() => {
            if let Some(session) = &state.logs {
                let pane = panes::logs::LogsPane {
                    view: &session.view,
                    theme: view.theme,
                    tz: view.tz,
                };
                frame.render_widget(pane, areas.body);
            }
        }
        PaneId::Logs => frame.render_widget(panes::no_logs::NoLogsPane { view }, areas.body),
    }
    let cursor = widgets::status::render(state, view, areas.status, frame.buffer_mut());
    if let Some(position) = cursor {
        frame.set_cursor_position(position);
    }
    frame.render_widget(widgets::footer::Footer { state, view }, areas.footer);
    if let Some(picker) = &state.picker {
        frame.render_widget(
            widgets::picker::PickerPopup {
                picker,
                theme: view.theme,
            },
            frame.area(),
        );
    }
    if state.connections.open {
        frame.render_widget(
            widgets::connections::ConnectionsPopup {
                connections: &state.connections,
                theme: view.theme,
            },
            frame.area(),
        );
    }
    if let Some(confirm) = &state.confirm {
        frame.render_widget(
            widgets::confirm::ConfirmPopup {
                confirm,
                theme: view.theme,
            },
            frame.area(),
        );
    }
    if state.mode == Mode::Help {
        frame.render_widget(widgets::help::Help { state, view }, frame.area());
    }
}

/// The last scroll position of the open model or training detail at the state's size (its
/// wrapped rows less the rows it shows): fed back to `update` after a frame, so that scrolling,
/// `G` included, stays inside the content.
pub fn detail_end(state: &State, view: &View<'_>) -> Option<usize> {
    let body = layout::areas(ratatui::layout::Rect::new(0, 0, state.width, state.height)).body;
    let inner = layout::inner(body);
    let lines = match state.pane {
        crate::app::pane::PaneId::Models if state.model.open.is_some() && state.model.test.is_none() => {
            panes::model_detail::detail_lines(crate::app::models::open_row(state)?, state, view.theme)
        }
        crate::app::pane::PaneId::Training if state.train.open.is_some() => panes::training::JobDetail {
            state,
            theme: view.theme,
        }
        .lines(crate::app::training::open_row(state)?),
        _ => return None,
    };
    Some(widgets::wrapped_rows(&lines, inner.width).saturating_sub(usize::from(inner.height)))
}
