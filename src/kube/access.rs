//! Who may use a connection (to a notebook, or a port-forward): the person holding its secret,
//! from a page on the proxy itself.
//!
//! Each connection has a random [`Token`]. The URL kftui shows carries it once
//! (`?kftui-token=…`); the proxy swaps it for an `HttpOnly`, `SameSite=Strict` cookie scoped to
//! the notebook's path and sends the browser on to the clean URL. A request is let through only
//! when
//! - its `Host` is the proxy itself (`127.0.0.1:PORT` or `localhost:PORT`), which defeats DNS
//!   rebinding: a page on `evil.example` that resolves to 127.0.0.1 sends `Host: evil.example`;
//! - a WebSocket upgrade's `Origin`, when present, is the proxy itself (cross-site WebSocket
//!   hijacking);
//! - it carries the token, in the query or the cookie (compared in constant time).
//!
//! Neither the token nor the cookie is forwarded to the cluster; other query parameters and
//! cookies are.

use axum::http::{HeaderMap, HeaderValue, Method, header};

/// The query parameter that carries a connection's token.
pub const TOKEN_PARAM: &str = "kftui-token";

/// The start of every kftui cookie's name; the proxy's port follows (cookies are not kept apart
/// by port, so two connections on one host must not share a name).
pub const COOKIE_PREFIX: &str = "kftui-token-";

/// The random bytes in a token (256 bits).
const TOKEN_BYTES: usize = 32;

/// A connection's secret. `Debug` never shows it; equality is decided in constant time.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// A new token from the operating system's random source.
    pub fn generate() -> Result<Self, String> {
        use base64::Engine as _;
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| format!("no random numbers for a token: {e}"))?;
        Ok(Self(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        ))
    }

    /// A token with this text (for a fixed screen in tests and screenshots).
    pub fn from_text(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The token's text, as the URL carries it.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// True when `candidate` is this token; how long it takes does not depend on where they
    /// differ.
    pub fn matches(&self, candidate: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), candidate.as_bytes())
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.matches(&other.0)
    }
}

impl Eq for Token {}

/// Equality of two byte strings in time that depends on their lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// The rules of one connection: its token, the port it listens on and the paths its cookie
/// covers.
#[derive(Debug, Clone)]
pub struct Guard {
    token: Token,
    port: u16,
    cookie_paths: Vec<String>,
}

/// What to do with a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Forward it, as `path_and_query` and with `cookie` (or no `Cookie` header at all).
    Forward {
        path_and_query: String,
        cookie: Option<HeaderValue>,
    },
    /// A browser brought the token: set the cookie and send it on to the clean URL.
    Exchange {
        location: String,
        cookies: Vec<HeaderValue>,
    },
    /// Refuse it (403), for this reason.
    Refuse(String),
}

impl Guard {
    /// The rules for a connection to notebook `namespace/name` on `port`. The cookie covers the
    /// notebook's path, and the API server's service proxy path to it (links in pages the API
    /// server rewrote lead there).
    pub fn new(token: Token, port: u16, namespace: &str, name: &str) -> Self {
        Self {
            token,
            port,
            cookie_paths: vec![
                super::connect::notebook_path(namespace, name),
                format!("{}/", super::connect::service_proxy_base(namespace, name)),
            ],
        }
    }

    /// The rules for a port-forward on `port`: the whole port serves the one target, so its
    /// cookie covers every path.
    pub fn whole_port(token: Token, port: u16) -> Self {
        Self {
            token,
            port,
            cookie_paths: vec!["/".to_string()],
        }
    }

    /// The cookie's name.
    pub fn cookie_name(&self) -> String {
        format!("{COOKIE_PREFIX}{}", self.port)
    }

    /// Decides about a request from its method, path and query, and headers.
    pub fn check(&self, method: &Method, uri: &http::Uri, headers: &HeaderMap) -> Verdict {
        let port = self.port;
        let ours = |authority: &str, scheme: &str| {
            let authority = authority.to_ascii_lowercase();
            authority == format!("{scheme}127.0.0.1:{port}")
                || authority == format!("{scheme}localhost:{port}")
        };
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        match host {
            Some(h) if ours(h, "") => {}
            Some(_) => return Verdict::Refuse(format!("Host is not 127.0.0.1:{port} or localhost:{port}")),
            None => return Verdict::Refuse("no Host".into()),
        }
        if let Some(a) = uri.authority()
            && !ours(a.as_str(), "")
        {
            return Verdict::Refuse(format!("the URL names a host other than 127.0.0.1:{port}"));
        }
        let upgrade = headers.contains_key(header::UPGRADE);
        if upgrade && let Some(origin) = headers.get(header::ORIGIN) {
            let same = origin.to_str().is_ok_and(|o| ours(o, "http://"));
            if !same {
                return Verdict::Refuse(format!(
                    "a WebSocket from a page not on http://127.0.0.1:{port} or http://localhost:{port}"
                ));
            }
        }
        let path = uri.path();
        let (query, token_in_query) = self.strip_query(uri.query());
        let (cookie, token_in_cookie) = self.strip_cookies(headers);
        let path_and_query = match &query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_string(),
        };
        match (token_in_query, token_in_cookie) {
            (true, _) if !upgrade && (method == Method::GET || method == Method::HEAD) => Verdict::Exchange {
                location: path_and_query,
                cookies: self.set_cookies(),
            },
            (true, _) | (_, true) => Verdict::Forward {
                path_and_query,
                cookie,
            },
            (false, false) => Verdict::Refuse("no token or a wrong one".into()),
        }
    }

    /// The query without the token parameter (`None` when nothing is left), and whether it
    /// carried the right token.
    fn strip_query(&self, query: Option<&str>) -> (Option<String>, bool) {
        let Some(query) = query else {
            return (None, false);
        };
        let mut found = false;
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                if k == TOKEN_PARAM {
                    found |= self.token.matches(v);
                    false
                } else {
                    true
                }
            })
            .collect();
        let kept = kept.join("&");
        ((!kept.is_empty()).then_some(kept), found)
    }

    /// The `Cookie` header without any kftui cookie (`None` when nothing is left), and whether
    /// it carried this connection's.
    fn strip_cookies(&self, headers: &HeaderMap) -> (Option<HeaderValue>, bool) {
        let name = self.cookie_name();
        let mut found = false;
        let mut kept = Vec::new();
        for pair in headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if k == name {
                found |= self.token.matches(v);
            } else if !k.starts_with(COOKIE_PREFIX) {
                kept.push(pair);
            }
        }
        let cookie = (!kept.is_empty())
            .then(|| HeaderValue::from_str(&kept.join("; ")).ok())
            .flatten();
        (cookie, found)
    }

    /// `Set-Cookie` values: the token, for each of the connection's paths.
    fn set_cookies(&self) -> Vec<HeaderValue> {
        let name = self.cookie_name();
        self.cookie_paths
            .iter()
            .filter_map(|path| {
                HeaderValue::from_str(&format!(
                    "{name}={}; Path={path}; HttpOnly; SameSite=Strict",
                    self.token.reveal()
                ))
                .ok()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PORT: u16 = 8123;

    fn guard() -> Guard {
        Guard::new(Token::from_text("s3cret"), PORT, "ns", "nb")
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn check(method: Method, uri: &str, pairs: &[(&str, &str)]) -> Verdict {
        guard().check(&method, &uri.parse().unwrap(), &headers(pairs))
    }

    const HOST: (&str, &str) = ("host", "127.0.0.1:8123");

    #[test]
    fn generated_tokens_are_long_and_differ() {
        let (a, b) = (Token::generate().unwrap(), Token::generate().unwrap());
        assert_eq!(a.reveal().len(), 43, "256 bits in base64url");
        assert_ne!(a, b);
        assert!(!format!("{a:?}").contains(a.reveal()));
        assert!(a.matches(a.reveal()));
        assert!(!a.matches(&a.reveal()[1..]));
    }

    #[test]
    fn the_token_in_the_url_becomes_a_cookie_and_a_clean_url() {
        let v = check(
            Method::GET,
            "/notebook/ns/nb/lab?a=1&kftui-token=s3cret&b=2",
            &[HOST],
        );
        let Verdict::Exchange { location, cookies } = v else {
            panic!("{v:?}")
        };
        assert_eq!(location, "/notebook/ns/nb/lab?a=1&b=2");
        assert_eq!(
            cookies[0],
            "kftui-token-8123=s3cret; Path=/notebook/ns/nb/; HttpOnly; SameSite=Strict"
        );
        assert_eq!(
            cookies[1],
            "kftui-token-8123=s3cret; Path=/api/v1/namespaces/ns/services/nb:http-nb/proxy/; HttpOnly; SameSite=Strict"
        );
        let v = check(Method::GET, "/notebook/ns/nb/?kftui-token=s3cret", &[HOST]);
        assert!(matches!(v, Verdict::Exchange { location, .. } if location == "/notebook/ns/nb/"));
    }

    #[test]
    fn a_forwards_cookie_covers_the_whole_port() {
        let g = Guard::whole_port(Token::from_text("s3cret"), PORT);
        let h = headers(&[HOST]);
        let v = g.check(&Method::GET, &"/?kftui-token=s3cret".parse().unwrap(), &h);
        let Verdict::Exchange { location, cookies } = v else {
            panic!("{v:?}")
        };
        assert_eq!(location, "/");
        assert_eq!(
            cookies,
            vec!["kftui-token-8123=s3cret; Path=/; HttpOnly; SameSite=Strict"]
        );
        let with_cookie = headers(&[HOST, ("cookie", "kftui-token-8123=s3cret")]);
        let v = g.check(&Method::GET, &"/metrics".parse().unwrap(), &with_cookie);
        assert_eq!(
            v,
            Verdict::Forward {
                path_and_query: "/metrics".into(),
                cookie: None
            }
        );
        let v = g.check(&Method::GET, &"/metrics".parse().unwrap(), &h);
        assert!(matches!(v, Verdict::Refuse(_)), "{v:?}");
    }

    #[test]
    fn the_cookie_lets_requests_through_without_itself() {
        let v = check(
            Method::POST,
            "/notebook/ns/nb/api/kernels?x=1",
            &[
                HOST,
                (
                    "cookie",
                    "_xsrf=abc; kftui-token-8123=s3cret; kftui-token-9000=other; b=2",
                ),
            ],
        );
        assert_eq!(
            v,
            Verdict::Forward {
                path_and_query: "/notebook/ns/nb/api/kernels?x=1".into(),
                cookie: Some(HeaderValue::from_static("_xsrf=abc; b=2")),
            }
        );
        let v = check(
            Method::GET,
            "/notebook/ns/nb/lab",
            &[HOST, ("cookie", "kftui-token-8123=s3cret")],
        );
        assert_eq!(
            v,
            Verdict::Forward {
                path_and_query: "/notebook/ns/nb/lab".into(),
                cookie: None,
            }
        );
    }

    #[test]
    fn a_websocket_may_carry_the_token_in_its_url() {
        let v = check(
            Method::GET,
            "/notebook/ns/nb/api/kernels/k/channels?session_id=s&kftui-token=s3cret",
            &[
                HOST,
                ("upgrade", "websocket"),
                ("origin", "http://localhost:8123"),
            ],
        );
        assert_eq!(
            v,
            Verdict::Forward {
                path_and_query: "/notebook/ns/nb/api/kernels/k/channels?session_id=s".into(),
                cookie: None,
            }
        );
    }

    #[test]
    fn without_the_right_token_nothing_passes() {
        let refused = |v: Verdict| matches!(v, Verdict::Refuse(_));
        assert!(refused(check(Method::GET, "/notebook/ns/nb/lab", &[HOST])));
        assert!(refused(check(
            Method::GET,
            "/notebook/ns/nb/lab?kftui-token=s3cre",
            &[HOST]
        )));
        assert!(refused(check(
            Method::GET,
            "/notebook/ns/nb/lab?kftui-token=",
            &[HOST]
        )));
        assert!(refused(check(
            Method::GET,
            "/notebook/ns/nb/lab",
            &[HOST, ("cookie", "kftui-token-9000=s3cret")]
        )));
        assert!(refused(check(
            Method::GET,
            "/notebook/ns/nb/lab",
            &[HOST, ("cookie", "kftui-token-8123=wrong")]
        )));
    }

    #[test]
    fn only_the_proxy_itself_may_be_the_host_and_the_origin() {
        let refused = |v: Verdict| matches!(v, Verdict::Refuse(_));
        let ok = "/notebook/ns/nb/lab?kftui-token=s3cret";
        for host in [
            "evil.example",
            "127.0.0.1",
            "127.0.0.1:8124",
            "evil.example:8123",
            "[::1]:8123",
        ] {
            assert!(refused(check(Method::GET, ok, &[("host", host)])), "{host}");
        }
        assert!(refused(check(Method::GET, ok, &[])), "no Host");
        assert!(!refused(check(Method::GET, ok, &[("host", "LocalHost:8123")])));
        assert!(refused(check(
            Method::GET,
            "http://evil.example/notebook/ns/nb/lab?kftui-token=s3cret",
            &[HOST]
        )));
        let ws = |origin: &str| {
            check(
                Method::GET,
                ok,
                &[HOST, ("upgrade", "websocket"), ("origin", origin)],
            )
        };
        assert!(!refused(ws("http://127.0.0.1:8123")));
        assert!(!refused(ws("http://localhost:8123")));
        for origin in [
            "http://evil.example",
            "https://127.0.0.1:8123",
            "http://127.0.0.1:8124",
            "null",
        ] {
            assert!(refused(ws(origin)), "{origin}");
        }
    }
}
