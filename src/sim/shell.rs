//! The shell inside the embedded cluster's containers, for `pods/exec`: a small POSIX-looking
//! `sh` (and `bash` in images that have it) over a fake filesystem built from the pod.
//!
//! Pure: bytes typed in, bytes written out. [`Shell::start`] runs a command (`echo hi`,
//! `sh -c 'exit 3'`) to completion at once, or opens an interactive shell (`sh`, `bash`) that
//! reads lines from [`Shell::input`] until `exit` or the end of its input ([`Shell::close_stdin`]).
//! With a terminal (`tty`), it echoes what is typed, edits the line (backspace, ctrl-c, ctrl-u,
//! ctrl-d) and writes `\r\n` for `\n`, as a pty's line discipline does.

use std::collections::BTreeMap;

use serde_json::Value;

/// One entry of the fake filesystem.
#[derive(Debug, Clone, PartialEq)]
enum Entry {
    Dir,
    File(String),
}

/// What a container looks like from inside: its files, environment and user.
#[derive(Debug, Clone)]
pub struct Container {
    pub pod: String,
    pub name: String,
    pub user: String,
    pub home: String,
    pub workdir: String,
    pub bash: bool,
    pub env: Vec<(String, String)>,
    fs: BTreeMap<String, Entry>,
}

/// Whether an image ships bash (and runs as `jovyan`, for notebook images).
fn notebook_image(image: &str) -> bool {
    ["jupyter", "notebook", "jovyan", "codeserver", "rstudio"]
        .iter()
        .any(|k| image.contains(k))
}

fn has_bash(image: &str) -> bool {
    notebook_image(image)
        || [
            "pytorch",
            "tensorflow",
            "python",
            "ubuntu",
            "debian",
            "bash",
            "cuda",
            "kserve",
            "triton",
            "huggingface",
            "trainer",
        ]
        .iter()
        .any(|k| image.contains(k))
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

impl Container {
    /// The container `container` of `pod`; `config_map` gives a mounted ConfigMap's data.
    pub fn from_pod(
        pod: &Value,
        container: &str,
        config_map: &dyn Fn(&str) -> Option<BTreeMap<String, String>>,
    ) -> Self {
        let pod_name = str_at(pod, "/metadata/name").to_string();
        let spec = pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| c["name"] == container))
            .cloned()
            .unwrap_or(Value::Null);
        let image = str_at(&spec, "/image");
        let notebook = notebook_image(image);
        let (user, home) = if notebook {
            ("jovyan", "/home/jovyan")
        } else {
            ("root", "/root")
        };
        let workdir = match str_at(&spec, "/workingDir") {
            "" if notebook => home.to_string(),
            "" => "/".to_string(),
            w => w.to_string(),
        };
        let mut env = Vec::new();
        let mut set = |k: &str, v: String| {
            env.retain(|(key, _): &(String, String)| key != k);
            env.push((k.to_string(), v));
        };
        set(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
        );
        set("HOSTNAME", pod_name.clone());
        set("HOME", home.into());
        for e in spec.get("env").and_then(Value::as_array).into_iter().flatten() {
            let name = str_at(e, "/name");
            if !name.is_empty() {
                set(name, str_at(e, "/value").to_string());
            }
        }
        set("KUBERNETES_SERVICE_HOST", "10.96.0.1".into());
        set("KUBERNETES_SERVICE_PORT", "443".into());
        let mut fs = BTreeMap::new();
        let mut c = Self {
            pod: pod_name.clone(),
            name: container.to_string(),
            user: user.to_string(),
            home: home.to_string(),
            workdir: workdir.clone(),
            bash: has_bash(image),
            env,
            fs: BTreeMap::new(),
        };
        let os = if notebook {
            "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\nID=ubuntu\nID_LIKE=debian\n"
        } else {
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n"
        };
        let ip = str_at(pod, "/status/podIP");
        let mut bins = vec![
            "cat", "echo", "env", "false", "grep", "head", "hostname", "ls", "printenv", "pwd", "sh", "tail",
            "true", "wc", "whoami",
        ];
        if c.bash {
            bins.push("bash");
        }
        let files: Vec<(String, String)> = vec![
            ("/etc/hostname".into(), format!("{pod_name}\n")),
            ("/etc/os-release".into(), os.into()),
            (
                "/etc/hosts".into(),
                format!("127.0.0.1\tlocalhost\n{ip}\t{pod_name}\n"),
            ),
            (
                "/etc/passwd".into(),
                "root:x:0:0:root:/root:/bin/bash\njovyan:x:1000:100::/home/jovyan:/bin/bash\n".into(),
            ),
            (
                "/var/run/secrets/kubernetes.io/serviceaccount/namespace".into(),
                str_at(pod, "/metadata/namespace").to_string(),
            ),
        ];
        for d in [
            "/bin",
            "/dev",
            "/etc",
            "/home",
            "/lib",
            "/mnt",
            "/opt",
            "/proc",
            "/root",
            "/run",
            "/sbin",
            "/srv",
            "/sys",
            "/tmp",
            "/usr",
            "/usr/bin",
            "/usr/local",
            "/var",
            "/var/log",
        ] {
            fs.insert(d.to_string(), Entry::Dir);
        }
        c.fs = fs;
        for b in bins {
            c.add_file(&format!("/bin/{b}"), "\u{7f}ELF");
        }
        for (p, text) in files {
            c.add_file(&p, &text);
        }
        c.add_dir(home);
        if notebook {
            c.add_file("/home/jovyan/.bashrc", "# ~/.bashrc\n");
        } else {
            c.add_file("/root/.bashrc", "# ~/.bashrc\n");
        }
        let volumes: Vec<&Value> = pod
            .pointer("/spec/volumes")
            .and_then(Value::as_array)
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        for m in spec
            .get("volumeMounts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let path = str_at(m, "/mountPath");
            if !path.starts_with('/') {
                continue;
            }
            c.add_dir(path);
            let vol = volumes.iter().find(|v| v["name"] == m["name"]);
            let cm = vol.map(|v| str_at(v, "/configMap/name")).unwrap_or("");
            let pvc = vol
                .map(|v| str_at(v, "/persistentVolumeClaim/claimName"))
                .unwrap_or("");
            if !cm.is_empty() {
                for (k, v) in config_map(cm).unwrap_or_default() {
                    c.add_file(&format!("{}/{k}", path.trim_end_matches('/')), &v);
                }
            } else if !pvc.is_empty() {
                c.add_dir(&format!("{}/lost+found", path.trim_end_matches('/')));
            }
        }
        c.add_dir(&workdir);
        c
    }

    fn add_dir(&mut self, path: &str) {
        let mut at = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            at.push('/');
            at.push_str(part);
            self.fs.entry(at.clone()).or_insert(Entry::Dir);
        }
    }

    fn add_file(&mut self, path: &str, text: &str) {
        if let Some((dir, _)) = path.rsplit_once('/') {
            self.add_dir(dir);
        }
        self.fs.insert(path.to_string(), Entry::File(text.to_string()));
    }

    fn entry(&self, path: &str) -> Option<&Entry> {
        if path == "/" {
            return Some(&Entry::Dir);
        }
        self.fs.get(path)
    }

    /// The names in directory `dir` (an absolute, normalised path), sorted.
    fn children(&self, dir: &str) -> Vec<&str> {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        self.fs
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| &k[prefix.len()..])
            .filter(|rest| !rest.contains('/'))
            .collect()
    }

    fn getenv(&self, k: &str) -> Option<&str> {
        self.env.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
    }
}

/// Normalises `path` relative to `cwd` (`.`, `..`, `~`).
fn resolve(cwd: &str, home: &str, path: &str) -> String {
    let joined = if path == "~" || path.starts_with("~/") {
        format!("{home}{}", &path[1..])
    } else if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{cwd}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// A word or an operator of a command line.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Seq,
    And,
    Or,
    Pipe,
}

/// Which shell is running, for its messages.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Flavor {
    Sh,
    Bash,
}

/// A running command or shell in a container.
#[derive(Debug)]
pub struct Shell {
    c: Container,
    flavor: Flavor,
    tty: bool,
    interactive: bool,
    cwd: String,
    line: Vec<u8>,
    lines_read: usize,
    status: i32,
    exit: Option<i32>,
    /// Skipping an escape sequence (arrow keys and the like) typed at a terminal.
    escape: u8,
    /// A pipeline's captured output, when this command's output goes to the next.
    capture: Option<String>,
    /// A pipeline's input to this command.
    stdin_data: Option<String>,
    out: Vec<u8>,
    err: Vec<u8>,
}

impl Shell {
    /// Starts `argv` in the container; with `tty`, as `kubectl exec -t` would.
    pub fn start(c: Container, argv: &[String], tty: bool) -> Self {
        let cwd = c.workdir.clone();
        let mut sh = Self {
            c,
            flavor: Flavor::Sh,
            tty,
            interactive: false,
            cwd,
            line: Vec::new(),
            lines_read: 0,
            status: 0,
            exit: None,
            escape: 0,
            capture: None,
            stdin_data: None,
            out: Vec::new(),
            err: Vec::new(),
        };
        let Some(program) = argv.first() else {
            sh.write_err("OCI runtime exec failed: exec failed: unable to start container process: exec: no command given: unknown\n");
            sh.exit = Some(126);
            return sh;
        };
        let base = program.rsplit('/').next().unwrap_or(program);
        if !sh.binary_exists(program) {
            sh.write_err(&format!(
                "OCI runtime exec failed: exec failed: unable to start container process: exec: \"{program}\": executable file not found in $PATH: unknown\n"
            ));
            sh.exit = Some(126);
            return sh;
        }
        if base == "sh" || base == "bash" {
            sh.flavor = if base == "bash" { Flavor::Bash } else { Flavor::Sh };
            let args = argv.get(1..).unwrap_or_default();
            match args.iter().position(|a| a == "-c") {
                Some(i) => {
                    let script = args.get(i + 1).cloned().unwrap_or_default();
                    let code = sh.run_line(&script);
                    sh.exit = Some(sh.exit.unwrap_or(code));
                }
                None => {
                    sh.interactive = true;
                    sh.prompt();
                }
            }
        } else {
            let code = sh.run(argv);
            sh.exit = Some(sh.exit.unwrap_or(code));
        }
        sh
    }

    /// The exit code, once the command or shell has ended.
    pub fn exit_code(&self) -> Option<i32> {
        self.exit
    }

    /// What was written to stdout (with a tty, everything) since last asked.
    pub fn take_stdout(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// What was written to stderr since last asked (always empty with a tty).
    pub fn take_stderr(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.err)
    }

    /// Bytes typed on stdin.
    pub fn input(&mut self, bytes: &[u8]) {
        if !self.interactive {
            return;
        }
        for &b in bytes {
            if self.exit.is_some() {
                return;
            }
            if self.tty {
                self.key(b);
            } else if b == b'\n' {
                self.enter();
            } else {
                self.line.push(b);
            }
        }
    }

    /// The end of stdin: a shell runs what is left of its line and ends.
    pub fn close_stdin(&mut self) {
        if self.exit.is_some() || !self.interactive {
            return;
        }
        if !self.line.is_empty() {
            self.enter();
        }
        if self.exit.is_none() {
            if self.tty && self.flavor == Flavor::Bash {
                self.write_out("exit\n");
            }
            self.exit = Some(self.status);
        }
    }

    fn key(&mut self, b: u8) {
        if self.escape > 0 {
            // ESC [ ... final byte in 0x40..=0x7e; ESC O x.
            if self.escape == 1 && (b == b'[' || b == b'O') {
                self.escape = 2;
            } else if self.escape == 1 || (0x40..=0x7e).contains(&b) {
                self.escape = 0;
            }
            return;
        }
        match b {
            b'\r' | b'\n' => {
                self.out.extend_from_slice(b"\r\n");
                self.enter();
            }
            0x7f | 0x08 => {
                if !self.line.is_empty() {
                    while let Some(c) = self.line.pop() {
                        if c & 0xc0 != 0x80 {
                            break;
                        }
                    }
                    self.out.extend_from_slice(b"\x08 \x08");
                }
            }
            0x03 => {
                self.out.extend_from_slice(b"^C\r\n");
                self.line.clear();
                self.status = 130;
                self.prompt();
            }
            0x04 => {
                if self.line.is_empty() {
                    self.close_stdin();
                }
            }
            0x15 => {
                for _ in 0..String::from_utf8_lossy(&self.line).chars().count() {
                    self.out.extend_from_slice(b"\x08 \x08");
                }
                self.line.clear();
            }
            0x1b => self.escape = 1,
            b'\t' => {}
            b if b < 0x20 => {}
            b => {
                self.line.push(b);
                self.out.push(b);
            }
        }
    }

    fn enter(&mut self) {
        let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
        self.lines_read += 1;
        let code = self.run_line(&line);
        self.status = code;
        if self.exit.is_none() {
            self.prompt();
        }
    }

    fn prompt(&mut self) {
        if !self.tty {
            return;
        }
        let shown = if self.cwd == self.c.home {
            "~".to_string()
        } else if let Some(rest) = self.cwd.strip_prefix(&format!("{}/", self.c.home)) {
            format!("~/{rest}")
        } else {
            self.cwd.clone()
        };
        let sign = if self.c.user == "root" { '#' } else { '$' };
        let p = format!("{}@{}:{shown}{sign} ", self.c.user, self.c.pod);
        self.out.extend_from_slice(p.as_bytes());
    }

    fn write_out(&mut self, s: &str) {
        if let Some(c) = self.capture.as_mut() {
            c.push_str(s);
            return;
        }
        let text = if self.tty {
            s.replace('\n', "\r\n")
        } else {
            s.to_string()
        };
        self.out.extend_from_slice(text.as_bytes());
    }

    fn write_err(&mut self, s: &str) {
        if self.tty {
            self.write_out(s);
        } else {
            self.err.extend_from_slice(s.as_bytes());
        }
    }

    fn binary_exists(&self, program: &str) -> bool {
        let base = program.rsplit('/').next().unwrap_or(program);
        if program.contains('/') {
            let p = resolve(&self.cwd, &self.c.home, program);
            return matches!(self.c.entry(&p), Some(Entry::File(_)))
                || (p.starts_with("/usr/bin/") && self.c.entry(&format!("/bin/{base}")).is_some());
        }
        self.c.entry(&format!("/bin/{base}")).is_some()
    }

    /// The shell's name in its messages (`sh: 1: x: not found`, `bash: x: command not found`).
    fn complain(&mut self, what: &str) {
        let msg = match self.flavor {
            Flavor::Sh => format!("sh: {}: {what}\n", self.lines_read.max(1)),
            Flavor::Bash => format!("bash: {what}\n"),
        };
        self.write_err(&msg);
    }

    /// Runs one command line (`a; b && c || d | e`); the status of the last command run.
    fn run_line(&mut self, line: &str) -> i32 {
        let tokens = match self.tokenize(line) {
            Ok(t) => t,
            Err(e) => {
                self.complain(&e);
                return 2;
            }
        };
        let mut status = self.status;
        let mut words: Vec<String> = Vec::new();
        let mut pipeline: Vec<Vec<String>> = Vec::new();
        let mut skip = false;
        for t in tokens.into_iter().chain(std::iter::once(Token::Seq)) {
            match t {
                Token::Word(w) => words.push(w),
                Token::Pipe => pipeline.push(std::mem::take(&mut words)),
                op => {
                    pipeline.push(std::mem::take(&mut words));
                    pipeline.retain(|c| !c.is_empty());
                    if !pipeline.is_empty() && !skip {
                        status = self.run_pipeline(&std::mem::take(&mut pipeline));
                        self.status = status;
                        if self.exit.is_some() {
                            return status;
                        }
                    }
                    pipeline.clear();
                    skip = match op {
                        Token::And => status != 0,
                        Token::Or => status == 0,
                        _ => false,
                    };
                }
            }
        }
        status
    }

    /// Runs `a | b | c`: each command's output is the next one's input.
    fn run_pipeline(&mut self, cmds: &[Vec<String>]) -> i32 {
        let mut input: Option<String> = None;
        let mut status = 0;
        for (i, cmd) in cmds.iter().enumerate() {
            let last = i + 1 == cmds.len();
            let outer = self.capture.take();
            if !last {
                self.capture = Some(String::new());
            }
            self.stdin_data = input.take();
            status = self.run(cmd);
            if !last {
                input = self.capture.take();
            }
            self.capture = outer;
        }
        self.stdin_data = None;
        status
    }

    fn tokenize(&self, line: &str) -> Result<Vec<Token>, String> {
        let mut out = Vec::new();
        let mut word = String::new();
        let mut in_word = false;
        let mut chars = line.chars().peekable();
        while let Some(ch) = chars.next() {
            match ch {
                '#' if !in_word => break,
                ' ' | '\t' => {
                    if in_word {
                        out.push(Token::Word(std::mem::take(&mut word)));
                        in_word = false;
                    }
                }
                ';' | '&' | '|' => {
                    if in_word {
                        out.push(Token::Word(std::mem::take(&mut word)));
                        in_word = false;
                    }
                    let doubled = chars.peek() == Some(&ch);
                    if doubled {
                        chars.next();
                    }
                    out.push(match (ch, doubled) {
                        (';', false) => Token::Seq,
                        ('&', true) => Token::And,
                        ('|', true) => Token::Or,
                        ('|', false) => Token::Pipe,
                        _ => return Err(format!("Syntax error: \"{ch}\" unexpected")),
                    });
                }
                '\'' => {
                    in_word = true;
                    loop {
                        match chars.next() {
                            Some('\'') => break,
                            Some(c) => word.push(c),
                            None => return Err("Syntax error: Unterminated quoted string".into()),
                        }
                    }
                }
                '"' => {
                    in_word = true;
                    loop {
                        match chars.next() {
                            Some('"') => break,
                            Some('\\') => {
                                if let Some(c) = chars.next() {
                                    if !matches!(c, '"' | '\\' | '$') {
                                        word.push('\\');
                                    }
                                    word.push(c);
                                }
                            }
                            Some('$') => self.expand(&mut chars, &mut word),
                            Some(c) => word.push(c),
                            None => return Err("Syntax error: Unterminated quoted string".into()),
                        }
                    }
                }
                '\\' => {
                    in_word = true;
                    if let Some(c) = chars.next() {
                        word.push(c);
                    }
                }
                '$' => {
                    in_word = true;
                    self.expand(&mut chars, &mut word);
                }
                '~' if !in_word && matches!(chars.peek(), None | Some('/' | ' ')) => {
                    in_word = true;
                    word.push_str(&self.c.home);
                }
                c => {
                    in_word = true;
                    word.push(c);
                }
            }
        }
        if in_word {
            out.push(Token::Word(word));
        }
        Ok(out)
    }

    fn expand(&self, chars: &mut std::iter::Peekable<std::str::Chars<'_>>, word: &mut String) {
        let mut name = String::new();
        match chars.peek() {
            Some('?') => {
                chars.next();
                word.push_str(&self.status.to_string());
                return;
            }
            Some('{') => {
                chars.next();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    name.push(c);
                }
            }
            _ => {
                while let Some(c) = chars
                    .peek()
                    .copied()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    name.push(c);
                    chars.next();
                }
            }
        }
        if name.is_empty() {
            word.push('$');
        } else if name == "PWD" {
            word.push_str(&self.cwd);
        } else {
            word.push_str(self.c.getenv(&name).unwrap_or(""));
        }
    }

    /// Runs one command; its exit status.
    fn run(&mut self, argv: &[String]) -> i32 {
        let Some(program) = argv.first() else { return 0 };
        let args = argv.get(1..).unwrap_or_default();
        let name = program.rsplit('/').next().unwrap_or(program);
        let builtin = matches!(name, "cd" | "exit" | "export" | "pwd" | "echo" | "true" | "false");
        if !builtin && (program.contains('/') || name.is_empty()) && !self.binary_exists(program) {
            self.complain(&format!("{program}: not found"));
            return 127;
        }
        match name {
            "echo" => {
                let (newline, words) = match args.first().map(String::as_str) {
                    Some("-n") => (false, args.get(1..).unwrap_or_default()),
                    _ => (true, args),
                };
                let mut s = words.join(" ");
                if newline {
                    s.push('\n');
                }
                self.write_out(&s);
                0
            }
            "true" => 0,
            "false" => 1,
            "pwd" => {
                let s = format!("{}\n", self.cwd);
                self.write_out(&s);
                0
            }
            "hostname" => {
                let s = format!("{}\n", self.c.pod);
                self.write_out(&s);
                0
            }
            "whoami" => {
                let s = format!("{}\n", self.c.user);
                self.write_out(&s);
                0
            }
            "env" | "printenv" => {
                if let Some(k) = args.first().filter(|_| name == "printenv") {
                    return match self.c.getenv(k).map(String::from) {
                        Some(v) => {
                            self.write_out(&format!("{v}\n"));
                            0
                        }
                        None => 1,
                    };
                }
                let s: String = self.c.env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
                self.write_out(&s);
                0
            }
            "export" => {
                for a in args {
                    if let Some((k, v)) = a.split_once('=') {
                        self.c.env.retain(|(key, _)| key != k);
                        self.c.env.push((k.to_string(), v.to_string()));
                    }
                }
                0
            }
            "cd" => {
                let target = args.first().cloned().unwrap_or_else(|| self.c.home.clone());
                let p = resolve(&self.cwd, &self.c.home, &target);
                match self.c.entry(&p) {
                    Some(Entry::Dir) => {
                        self.cwd = p;
                        0
                    }
                    found => {
                        let why = if found.is_some() {
                            "Not a directory"
                        } else {
                            "No such file or directory"
                        };
                        match self.flavor {
                            Flavor::Sh => self.complain(&format!("cd: can't cd to {target}")),
                            Flavor::Bash => self.complain(&format!("cd: {target}: {why}")),
                        }
                        if self.flavor == Flavor::Sh { 2 } else { 1 }
                    }
                }
            }
            "exit" => {
                let code = match args.first() {
                    None => self.status,
                    Some(a) => match a.parse::<i64>() {
                        Ok(n) => (n.rem_euclid(256)) as i32,
                        Err(_) => {
                            self.complain(&format!("exit: Illegal number: {a}"));
                            2
                        }
                    },
                };
                if self.tty && self.interactive && self.flavor == Flavor::Bash {
                    self.write_out("exit\n");
                }
                self.exit = Some(code);
                code
            }
            "ls" => self.ls(args),
            "cat" => self.cat(args),
            "head" | "tail" | "grep" | "wc" => self.filter(name, args),
            "sh" | "bash" => {
                match args.iter().position(|a| a == "-c") {
                    Some(i) => {
                        let script = args.get(i + 1).cloned().unwrap_or_default();
                        let (flavor, exit) = (self.flavor, self.exit);
                        self.flavor = if name == "bash" { Flavor::Bash } else { Flavor::Sh };
                        let code = self.run_line(&script);
                        // `exit` inside `sh -c` ends only that shell.
                        self.flavor = flavor;
                        self.exit = exit;
                        code
                    }
                    // A nested interactive shell reads the same input: it is this one.
                    None => 0,
                }
            }
            _ => {
                if self.binary_exists(program) {
                    0
                } else {
                    match self.flavor {
                        Flavor::Sh => self.complain(&format!("{program}: not found")),
                        Flavor::Bash => self.complain(&format!("{program}: command not found")),
                    }
                    127
                }
            }
        }
    }

    fn ls(&mut self, args: &[String]) -> i32 {
        let all = args.iter().any(|a| a.starts_with('-') && a.contains('a'));
        let mut targets: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        let here = ".".to_string();
        if targets.is_empty() {
            targets.push(&here);
        }
        let many = targets.len() > 1;
        let mut status = 0;
        let mut out = String::new();
        for (i, t) in targets.iter().enumerate() {
            let p = resolve(&self.cwd, &self.c.home, t);
            match self.c.entry(&p) {
                None => {
                    let msg = format!("ls: cannot access '{t}': No such file or directory\n");
                    self.write_err(&msg);
                    status = 2;
                }
                Some(Entry::File(_)) => {
                    out.push_str(t);
                    out.push('\n');
                }
                Some(Entry::Dir) => {
                    if many {
                        if i > 0 {
                            out.push('\n');
                        }
                        out.push_str(&format!("{t}:\n"));
                    }
                    let mut names: Vec<&str> = self.c.children(&p);
                    if !all {
                        names.retain(|n| !n.starts_with('.'));
                    } else {
                        names.splice(0..0, [".", ".."]);
                    }
                    if names.is_empty() {
                        continue;
                    }
                    let sep = if self.tty { "  " } else { "\n" };
                    out.push_str(&names.join(sep));
                    out.push('\n');
                }
            }
        }
        self.write_out(&out);
        status
    }

    /// `head`, `tail`, `grep` and `wc` over a file or the pipeline's input.
    fn filter(&mut self, name: &str, args: &[String]) -> i32 {
        let mut count = 10usize;
        let mut flags = String::new();
        let mut rest: Vec<&String> = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "-n" {
                count = it.next().and_then(|n| n.parse().ok()).unwrap_or(count);
            } else if let Some(n) = a.strip_prefix('-').and_then(|n| n.parse().ok()) {
                count = n;
            } else if let Some(f) = a.strip_prefix('-').filter(|f| !f.is_empty()) {
                flags.push_str(f);
            } else {
                rest.push(a);
            }
        }
        let pattern = if name == "grep" {
            match rest.first() {
                Some(p) => Some((*p).clone()),
                None => {
                    self.write_err("Usage: grep [OPTION]... PATTERNS [FILE]...\n");
                    return 2;
                }
            }
        } else {
            None
        };
        let file = rest.get(usize::from(pattern.is_some())).map(|f| (*f).clone());
        let text = match file {
            Some(f) => match self.c.entry(&resolve(&self.cwd, &self.c.home, &f)).cloned() {
                Some(Entry::File(t)) => t,
                Some(Entry::Dir) => {
                    self.write_err(&format!("{name}: {f}: Is a directory\n"));
                    return 2;
                }
                None => {
                    self.write_err(&format!("{name}: {f}: No such file or directory\n"));
                    return 2;
                }
            },
            None => self.stdin_data.take().unwrap_or_default(),
        };
        let lines: Vec<&str> = text.lines().collect();
        let picked: Vec<&str> = match name {
            "head" => lines.iter().take(count).copied().collect(),
            "tail" => lines
                .iter()
                .skip(lines.len().saturating_sub(count))
                .copied()
                .collect(),
            "grep" => {
                let p = pattern.unwrap_or_default();
                let fold = flags.contains('i');
                let p = if fold { p.to_lowercase() } else { p };
                lines
                    .iter()
                    .filter(|l| {
                        let hit = if fold {
                            l.to_lowercase().contains(&p)
                        } else {
                            l.contains(&p)
                        };
                        hit != flags.contains('v')
                    })
                    .copied()
                    .collect()
            }
            _ => {
                let s = if flags.contains('l') {
                    format!("{}\n", lines.len())
                } else {
                    format!(
                        "{} {} {}\n",
                        lines.len(),
                        text.split_whitespace().count(),
                        text.len()
                    )
                };
                self.write_out(&s);
                return 0;
            }
        };
        let out: String = picked.iter().map(|l| format!("{l}\n")).collect();
        self.write_out(&out);
        if name == "grep" && picked.is_empty() { 1 } else { 0 }
    }

    fn cat(&mut self, args: &[String]) -> i32 {
        if args.iter().all(|a| a.starts_with('-')) {
            let text = self.stdin_data.take().unwrap_or_default();
            self.write_out(&text);
            return 0;
        }
        let mut status = 0;
        for a in args.iter().filter(|a| !a.starts_with('-')) {
            let p = resolve(&self.cwd, &self.c.home, a);
            match self.c.entry(&p).cloned() {
                Some(Entry::File(text)) => self.write_out(&text),
                Some(Entry::Dir) => {
                    self.write_err(&format!("cat: {a}: Is a directory\n"));
                    status = 1;
                }
                None => {
                    self.write_err(&format!("cat: {a}: No such file or directory\n"));
                    status = 1;
                }
            }
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(image: &str) -> Value {
        json!({
            "metadata": {"name": "web-1", "namespace": "team"},
            "spec": {
                "containers": [{"name": "main", "image": image,
                    "env": [{"name": "MODEL", "value": "bert"}],
                    "volumeMounts": [{"name": "data", "mountPath": "/workspace"},
                                     {"name": "cfg", "mountPath": "/etc/app"}]}],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data-pvc"}},
                            {"name": "cfg", "configMap": {"name": "app-config"}}]
            },
            "status": {"podIP": "10.244.1.7"}
        })
    }

    fn container(image: &str) -> Container {
        Container::from_pod(&pod(image), "main", &|name| {
            (name == "app-config")
                .then(|| BTreeMap::from([("settings.yaml".to_string(), "lr: 0.1\n".to_string())]))
        })
    }

    fn run(image: &str, argv: &[&str]) -> (String, String, Option<i32>) {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let mut sh = Shell::start(container(image), &argv, false);
        let out = String::from_utf8_lossy(&sh.take_stdout()).into_owned();
        let err = String::from_utf8_lossy(&sh.take_stderr()).into_owned();
        (out, err, sh.exit_code())
    }

    #[test]
    fn commands_run_once_and_end() {
        assert_eq!(
            run("busybox", &["echo", "hi"]),
            ("hi\n".into(), String::new(), Some(0))
        );
        assert_eq!(run("busybox", &["cat", "/etc/hostname"]).0, "web-1\n");
        let (out, _, code) = run("busybox", &["ls", "/"]);
        assert_eq!(code, Some(0));
        assert!(
            out.lines().any(|l| l == "etc") && out.lines().any(|l| l == "workspace"),
            "{out}"
        );
        assert_eq!(run("busybox", &["ls", "/workspace"]).0, "lost+found\n");
        assert_eq!(run("busybox", &["cat", "/etc/app/settings.yaml"]).0, "lr: 0.1\n");
        let (out, _, _) = run("busybox", &["env"]);
        for want in [
            "MODEL=bert",
            "HOSTNAME=web-1",
            "HOME=/root",
            "KUBERNETES_SERVICE_HOST=10.96.0.1",
            "PATH=/usr",
        ] {
            assert!(out.contains(want), "{want} in {out}");
        }
        let (_, err, code) = run("busybox", &["cat", "/nope"]);
        assert_eq!(
            (err.as_str(), code),
            ("cat: /nope: No such file or directory\n", Some(1))
        );
    }

    #[test]
    fn sh_c_runs_scripts_with_exit_codes() {
        assert_eq!(run("busybox", &["sh", "-c", "exit 3"]).2, Some(3));
        assert_eq!(
            run(
                "busybox",
                &["sh", "-c", "echo a; echo \"b $MODEL\" && false || echo c"]
            )
            .0,
            "a\nb bert\nc\n"
        );
        assert_eq!(
            run("busybox", &["/bin/sh", "-c", "cd /etc && pwd; echo $?"]).0,
            "/etc\n0\n"
        );
        let (_, err, code) = run("busybox", &["sh", "-c", "frobnicate"]);
        assert_eq!(
            (err.as_str(), code),
            ("sh: 1: frobnicate: not found\n", Some(127))
        );
        assert_eq!(
            run("busybox", &["sh", "-c", "echo 'single $HOME' ~"]).0,
            "single $HOME /root\n"
        );
        assert_eq!(
            run("busybox", &["sh", "-c", "env | grep -i model"]).0,
            "MODEL=bert\n"
        );
        assert_eq!(run("busybox", &["sh", "-c", "ls / | head -n 2 | wc -l"]).0, "2\n");
        assert_eq!(
            run("busybox", &["sh", "-c", "cat /etc/os-release | tail -1 | cat"]).0,
            "ID=debian\n"
        );
        assert_eq!(run("busybox", &["sh", "-c", "echo a | grep b"]).2, Some(1));
    }

    #[test]
    fn bash_only_where_the_image_has_it() {
        let (_, err, code) = run("busybox", &["bash"]);
        assert_eq!(code, Some(126));
        assert!(
            err.contains("\"bash\": executable file not found in $PATH"),
            "{err}"
        );
        let (_, _, code) = run(
            "kubeflownotebookswg/jupyter-scipy:v1.9.0",
            &["bash", "-c", "exit 0"],
        );
        assert_eq!(code, Some(0));
        let (_, err, code) = run("busybox", &["nosuch"]);
        assert_eq!(code, Some(126));
        assert!(err.contains("exec: \"nosuch\": executable file not found"));
    }

    #[test]
    fn interactive_without_tty_reads_lines() {
        let mut sh = Shell::start(container("busybox"), &["sh".to_string()], false);
        assert!(sh.take_stdout().is_empty(), "no prompt without a terminal");
        sh.input(b"echo hi\nwhoami\n");
        assert_eq!(sh.take_stdout(), b"hi\nroot\n");
        assert_eq!(sh.exit_code(), None);
        sh.input(b"exit 4\necho never\n");
        assert_eq!(sh.exit_code(), Some(4));
        assert!(sh.take_stdout().is_empty());
        let mut sh = Shell::start(container("busybox"), &["sh".to_string()], false);
        sh.input(b"false");
        sh.close_stdin();
        assert_eq!(sh.exit_code(), Some(1));
    }

    #[test]
    fn a_terminal_echoes_edits_and_prompts() {
        let mut sh = Shell::start(container("busybox"), &["/bin/sh".to_string()], true);
        assert_eq!(sh.take_stdout(), b"root@web-1:/# ");
        sh.input(b"echo hx\x7fi\r");
        let out = String::from_utf8_lossy(&sh.take_stdout()).into_owned();
        assert_eq!(out, "echo hx\x08 \x08i\r\nhi\r\nroot@web-1:/# ");
        sh.input(b"junk\x03");
        assert_eq!(sh.take_stdout(), b"junk^C\r\nroot@web-1:/# ");
        sh.input(b"\x1b[Acd /etc\r");
        assert!(String::from_utf8_lossy(&sh.take_stdout()).ends_with("root@web-1:/etc# "));
        sh.input(b"nope\r");
        assert!(String::from_utf8_lossy(&sh.take_stdout()).contains("sh: 3: nope: not found\r\n"));
        sh.input(b"\x04");
        assert_eq!(sh.exit_code(), Some(127));
    }

    #[test]
    fn notebook_images_run_bash_as_jovyan() {
        let image = "kubeflownotebookswg/jupyter-pytorch-full:v1.9.0";
        let mut sh = Shell::start(container(image), &["bash".to_string()], true);
        assert_eq!(sh.take_stdout(), b"jovyan@web-1:~$ ");
        sh.input(b"ls ~/.bashrc; cd /workspace; pwd\r");
        let out = String::from_utf8_lossy(&sh.take_stdout()).into_owned();
        assert!(
            out.contains("/home/jovyan/.bashrc\r\n/workspace\r\njovyan@web-1:/workspace$ "),
            "{out}"
        );
        sh.input(b"doesnt-exist\rexit\r");
        let out = String::from_utf8_lossy(&sh.take_stdout()).into_owned();
        assert!(out.contains("bash: doesnt-exist: command not found\r\n"), "{out}");
        assert!(out.ends_with("exit\r\n"), "{out}");
        assert_eq!(sh.exit_code(), Some(127));
    }

    #[test]
    fn paths_resolve() {
        assert_eq!(resolve("/a/b", "/root", "../c"), "/a/c");
        assert_eq!(resolve("/", "/root", "~/x"), "/root/x");
        assert_eq!(resolve("/a", "/root", "/.."), "/");
    }
}
