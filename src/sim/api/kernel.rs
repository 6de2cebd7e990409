//! A notebook's Python kernel as Jupyter serves it on `/api/kernels/{id}/channels`: the
//! messaging protocol (v5.3) over WebSocket text frames, answering `kernel_info_request` and
//! `execute_request`. Cells evaluate integer arithmetic (`6 * 7`, `print(2 ** 10)`); any other
//! code raises a `NameError` the way Python would.

use chrono::Utc;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::upgrade::Socket;
use crate::sim::controllers::kit;
use crate::sim::store::timestamp;

/// Serves one kernel connection until the client closes it.
pub async fn session(ws: Socket) {
    let (mut sink, mut stream) = ws.split();
    let session_id = kit::uuid_for(&format!(
        "kernel-session/{}",
        Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    let mut count = 0u64;
    let mut seq = 0u64;
    while let Some(Ok(frame)) = stream.next().await {
        let request: Value = match frame {
            Message::Text(t) => match serde_json::from_str(t.as_str()) {
                Ok(v) => v,
                Err(_) => continue,
            },
            Message::Close(_) => break,
            _ => continue,
        };
        let mut reply = |channel: &str, msg_type: &str, content: Value| {
            seq += 1;
            let msg = json!({
                "header": {
                    "msg_id": format!("{session_id}_{seq}"),
                    "msg_type": msg_type,
                    "username": "jovyan",
                    "session": session_id,
                    "date": timestamp(Utc::now()),
                    "version": "5.3",
                },
                "parent_header": request["header"].clone(),
                "metadata": {},
                "content": content,
                "buffers": [],
                "channel": channel,
            });
            Message::Text(msg.to_string().into())
        };
        let mut out = vec![reply("iopub", "status", json!({"execution_state": "busy"}))];
        match request.pointer("/header/msg_type").and_then(Value::as_str) {
            Some("kernel_info_request") => out.push(reply(
                "shell",
                "kernel_info_reply",
                json!({
                    "status": "ok",
                    "protocol_version": "5.3",
                    "implementation": "ipython",
                    "implementation_version": "8.18.1",
                    "language_info": {"name": "python", "version": "3.11.6",
                        "mimetype": "text/x-python", "file_extension": ".py"},
                    "banner": "Python 3.11.6",
                }),
            )),
            Some("execute_request") => {
                let code = request
                    .pointer("/content/code")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim()
                    .to_string();
                count += 1;
                out.push(reply(
                    "iopub",
                    "execute_input",
                    json!({"code": code, "execution_count": count}),
                ));
                match run_cell(&code) {
                    Ok(Output::Nothing) => {}
                    Ok(Output::Value(v)) => out.push(reply(
                        "iopub",
                        "execute_result",
                        json!({"data": {"text/plain": v}, "metadata": {}, "execution_count": count}),
                    )),
                    Ok(Output::Printed(v)) => out.push(reply(
                        "iopub",
                        "stream",
                        json!({"name": "stdout", "text": format!("{v}\n")}),
                    )),
                    Err((ename, evalue)) => {
                        let error = json!({"ename": ename, "evalue": evalue,
                            "traceback": [format!("{ename}: {evalue}")]});
                        out.push(reply("iopub", "error", error.clone()));
                        let mut content = error;
                        content["status"] = json!("error");
                        content["execution_count"] = json!(count);
                        out.push(reply("shell", "execute_reply", content));
                        out.push(reply("iopub", "status", json!({"execution_state": "idle"})));
                        if send_all(&mut sink, out).await.is_err() {
                            break;
                        }
                        continue;
                    }
                }
                out.push(reply(
                    "shell",
                    "execute_reply",
                    json!({"status": "ok", "execution_count": count,
                        "user_expressions": {}, "payload": []}),
                ));
            }
            _ => {}
        }
        out.push(reply("iopub", "status", json!({"execution_state": "idle"})));
        if send_all(&mut sink, out).await.is_err() {
            break;
        }
    }
}

async fn send_all<S>(sink: &mut S, msgs: Vec<Message>) -> Result<(), S::Error>
where
    S: futures::Sink<Message> + Unpin,
{
    for m in msgs {
        sink.send(m).await?;
    }
    Ok(())
}

/// What a cell shows.
#[derive(Debug, PartialEq, Eq)]
enum Output {
    Nothing,
    /// The value of its last expression (`Out[n]`).
    Value(String),
    /// What it printed.
    Printed(String),
}

/// Runs a one-line cell: an integer expression, `print(expression)`, or nothing.
fn run_cell(code: &str) -> Result<Output, (&'static str, String)> {
    if code.is_empty() {
        return Ok(Output::Nothing);
    }
    if let Some(inner) = code.strip_prefix("print(").and_then(|r| r.strip_suffix(')')) {
        return eval(inner).map(|v| Output::Printed(v.to_string()));
    }
    eval(code).map(|v| Output::Value(v.to_string()))
}

/// Integer arithmetic: `+ - * // % **` and parentheses, with Python's precedence.
fn eval(src: &str) -> Result<i128, (&'static str, String)> {
    let tokens = tokenize(src)?;
    let mut p = Parser { tokens, at: 0 };
    let v = p.sum()?;
    match p.tokens.get(p.at) {
        None => Ok(v),
        Some(t) => Err(("SyntaxError", format!("invalid syntax near {t:?}"))),
    }
}

fn tokenize(src: &str) -> Result<Vec<String>, (&'static str, String)> {
    let mut out = Vec::new();
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while chars.get(i).is_some_and(char::is_ascii_digit) {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while chars.get(i).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
                i += 1;
            }
            let name: String = chars[start..i].iter().collect();
            return Err(("NameError", format!("name '{name}' is not defined")));
        } else if (c == '*' || c == '/') && chars.get(i + 1) == Some(&c) {
            out.push(format!("{c}{c}"));
            i += 2;
        } else if "+-*%()".contains(c) {
            out.push(c.to_string());
            i += 1;
        } else {
            return Err(("SyntaxError", format!("invalid character '{c}'")));
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<String>,
    at: usize,
}

type Eval = Result<i128, (&'static str, String)>;

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn overflow() -> (&'static str, String) {
        ("OverflowError", "integer too large".into())
    }

    fn sum(&mut self) -> Eval {
        let mut v = self.product()?;
        while let Some(op @ ("+" | "-")) = self.peek() {
            let plus = op == "+";
            self.at += 1;
            let r = self.product()?;
            v = if plus { v.checked_add(r) } else { v.checked_sub(r) }.ok_or_else(Self::overflow)?;
        }
        Ok(v)
    }

    fn product(&mut self) -> Eval {
        let mut v = self.unary()?;
        while let Some(op @ ("*" | "//" | "%")) = self.peek() {
            let op = op.to_string();
            self.at += 1;
            let r = self.unary()?;
            if op != "*" && r == 0 {
                return Err(("ZeroDivisionError", "integer division or modulo by zero".into()));
            }
            v = match op.as_str() {
                "*" => v.checked_mul(r).ok_or_else(Self::overflow)?,
                "//" => v.div_euclid(r) - i128::from(r < 0 && v.rem_euclid(r) != 0),
                _ => v - r * (v.div_euclid(r) - i128::from(r < 0 && v.rem_euclid(r) != 0)),
            };
        }
        Ok(v)
    }

    fn unary(&mut self) -> Eval {
        if self.peek() == Some("-") {
            self.at += 1;
            return self.unary().map(|v| -v);
        }
        if self.peek() == Some("+") {
            self.at += 1;
            return self.unary();
        }
        self.power()
    }

    fn power(&mut self) -> Eval {
        let base = self.atom()?;
        if self.peek() == Some("**") {
            self.at += 1;
            let exp = self.unary()?;
            let exp = u32::try_from(exp).map_err(|_| {
                (
                    "ValueError",
                    "only non-negative integer powers are supported".to_string(),
                )
            })?;
            return base.checked_pow(exp).ok_or_else(Self::overflow);
        }
        Ok(base)
    }

    fn atom(&mut self) -> Eval {
        let t = self.peek().map(String::from);
        self.at += 1;
        match t.as_deref() {
            Some("(") => {
                let v = self.sum()?;
                if self.peek() != Some(")") {
                    return Err(("SyntaxError", "'(' was never closed".into()));
                }
                self.at += 1;
                Ok(v)
            }
            Some(n) if n.chars().all(|c| c.is_ascii_digit()) => n.parse().map_err(|_| Self::overflow()),
            Some(t) => Err(("SyntaxError", format!("invalid syntax near {t:?}"))),
            None => Err(("SyntaxError", "unexpected end of the cell".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_evaluate_like_python_integers() {
        assert_eq!(run_cell("6 * 7"), Ok(Output::Value("42".into())));
        assert_eq!(run_cell("print(2 ** 10)"), Ok(Output::Printed("1024".into())));
        assert_eq!(run_cell("(1 + 2) * -3"), Ok(Output::Value("-9".into())));
        assert_eq!(run_cell("-7 // 2"), Ok(Output::Value("-4".into())));
        assert_eq!(run_cell("-7 % 3"), Ok(Output::Value("2".into())));
        assert_eq!(run_cell("2 ** 3 ** 2"), Ok(Output::Value("512".into())));
        assert_eq!(run_cell(""), Ok(Output::Nothing));
        assert_eq!(
            run_cell("model.fit(x)"),
            Err(("NameError", "name 'model' is not defined".into()))
        );
        assert!(matches!(run_cell("1 // 0"), Err(("ZeroDivisionError", _))));
        assert!(matches!(run_cell("(1 + 2"), Err(("SyntaxError", _))));
    }
}
