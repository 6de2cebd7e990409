//! The list of open connections, to notebooks and forwarded ports (`:pf`): what each reaches
//! (`NS/NOTEBOOK`, `pod/NAME:PORT`, `svc/NAME:PORT`), URL (with its token), requests served and
//! refused, sockets open, the way in (service or pod proxy, port-forward), last refusal, last
//! error.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget};

use crate::app::connections::Connections;
use crate::config::theme::{Role, Theme};
use crate::text::sanitize;
use crate::ui::widgets::picker::centered;

/// The widest the popup gets: room for a URL with its token on one line.
const WIDTH: u16 = 140;

pub struct ConnectionsPopup<'a> {
    pub connections: &'a Connections,
    pub theme: &'a Theme,
}

impl Widget for ConnectionsPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let c = self.connections;
        let width = area.width.min(WIDTH);
        // The URL carries a long token: it breaks over lines rather than lose its end.
        let url_room = usize::from(width.saturating_sub(2 + 4)).max(1);
        let mut lines = Vec::new();
        if c.list.is_empty() {
            lines.push(Line::from(Span::styled(
                "No open connections. On a notebook, c connects to it and F forwards a port of its pod (models too).",
                theme.style(Role::Muted),
            )));
        }
        for (i, conn) in c.list.iter().enumerate() {
            let selected = i == c.selected;
            let row = if selected { Role::Selection } else { Role::Text };
            let url = conn.url().unwrap_or_else(|| "starting…".into());
            lines.push(Line::from(vec![
                Span::styled(if selected { "▶ " } else { "  " }, theme.style(row)),
                Span::styled(sanitize(&conn.target()).into_owned(), theme.style(row)),
                Span::styled(
                    format!(
                        "  {} request{}",
                        conn.requests,
                        if conn.requests == 1 { "" } else { "s" }
                    ),
                    theme.style(Role::Muted),
                ),
                Span::styled(
                    match conn.refused {
                        0 => String::new(),
                        n => format!(" · {n} refused"),
                    },
                    theme.style(Role::NoticeWarn),
                ),
                Span::styled(
                    match conn.sockets {
                        0 => String::new(),
                        1 => " · 1 socket open".to_string(),
                        n => format!(" · {n} sockets open"),
                    },
                    theme.style(Role::Muted),
                ),
            ]));
            let chars: Vec<char> = url.chars().collect();
            for piece in chars.chunks(url_room) {
                lines.push(Line::from(Span::styled(
                    format!("    {}", piece.iter().collect::<String>()),
                    theme.style(Role::Text),
                )));
            }
            if let Some(via) = &conn.via {
                // A forward's target names no namespace: said here.
                let namespace = match &conn.forward {
                    Some(_) => format!(", in namespace {}", sanitize(&conn.namespace)),
                    None => String::new(),
                };
                lines.push(Line::from(Span::styled(
                    format!("    via {}{namespace}", sanitize(&via.to_string())),
                    theme.style(Role::Muted),
                )));
            }
            if let Some(why) = &conn.last_refused {
                lines.push(Line::from(Span::styled(
                    format!("    last refused: {}", sanitize(why)),
                    theme.style(Role::NoticeWarn),
                )));
            }
            if let Some(e) = &conn.last_error {
                lines.push(Line::from(Span::styled(
                    format!("    last error: {}", sanitize(e)),
                    theme.style(Role::NoticeError),
                )));
            }
        }
        lines.push(Line::raw(""));
        lines.push(Line::from(Span::styled(
            "Only a connection's URL, with its token, opens it.",
            theme.style(Role::Muted),
        )));
        lines.push(Line::from(Span::styled(
            "ssh -L PORT:127.0.0.1:PORT reaches it from another machine.",
            theme.style(Role::Muted),
        )));
        lines.push(Line::from(vec![
            Span::styled(" enter ", theme.style(Role::KeyHint)),
            Span::styled("copy URL   ", theme.style(Role::Text)),
            Span::styled(" D ", theme.style(Role::KeyHint)),
            Span::styled("close   ", theme.style(Role::Text)),
            Span::styled(" esc ", theme.style(Role::KeyHint)),
            Span::styled("back", theme.style(Role::Text)),
        ]));
        let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
        let popup = centered(area, width, height);
        Clear.render(popup, buf);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::BorderFocused))
            .style(theme.style(Role::Popup))
            .title(Span::styled(
                format!(" Connections ({}) ", c.list.len()),
                theme.style(Role::Title),
            ));
        Paragraph::new(lines).block(block).render(popup, buf);
    }
}
