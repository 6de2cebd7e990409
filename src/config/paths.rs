//! Where kftui keeps its config and its state (logs).
//!
//! The functions take an environment lookup so tests don't touch the process environment; pass
//! `&paths::process_env` (or `&|k| std::env::var_os(k)`) in the binary.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use directories::{BaseDirs, ProjectDirs};

const APP: &str = "kftui";

/// Looks a variable up in the process environment.
pub fn process_env(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// The config dir: `$KFTUI_CONFIG_DIR` > `$XDG_CONFIG_HOME/kftui` > `~/.config/kftui` on Linux and
/// macOS; the platform's config dir (`directories::ProjectDirs`) elsewhere. Without a home dir,
/// `<temp dir>/kftui` (a missing config dir just means the defaults).
pub fn config_dir(env: &dyn Fn(&str) -> Option<OsString>) -> PathBuf {
    if let Some(dir) = env("KFTUI_CONFIG_DIR").filter(|v| !v.is_empty()) {
        return dir.into();
    }
    if let Some(base) = xdg(env, "XDG_CONFIG_HOME") {
        return base.join(APP);
    }
    let dir = if cfg!(unix) {
        home(env).map(|h| h.join(".config").join(APP))
    } else {
        ProjectDirs::from("", "", APP).map(|p| p.config_dir().to_path_buf())
    };
    dir.unwrap_or_else(last_resort)
}

/// The state dir (the log file goes here): `$XDG_STATE_HOME/kftui`, else the platform's state dir,
/// else its cache dir; without a home dir, `<temp dir>/kftui`.
pub fn state_dir(env: &dyn Fn(&str) -> Option<OsString>) -> PathBuf {
    if let Some(base) = xdg(env, "XDG_STATE_HOME") {
        return base.join(APP);
    }
    ProjectDirs::from("", "", APP)
        .map(|d| d.state_dir().unwrap_or(d.cache_dir()).to_path_buf())
        .unwrap_or_else(last_resort)
}

/// Creates `dir` (and its parents) and makes it private to the user (0700 on Unix), tightening
/// it when it exists with wider permissions. The state dir holds the log, which names the
/// user's clusters, namespaces and objects.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Opens `file` for appending, created private to the user (0600 on Unix) and tightened when it
/// exists with wider permissions.
pub fn open_private_file(file: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let f = options.open(file)?;
        let mode = f.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            f.set_permissions(std::fs::Permissions::from_mode(mode & 0o600))?;
        }
        Ok(f)
    }
    #[cfg(not(unix))]
    {
        options.open(file)
    }
}

fn last_resort() -> PathBuf {
    std::env::temp_dir().join(APP)
}

/// An XDG base dir variable; unset, empty and relative values are ignored, as the spec says.
fn xdg(env: &dyn Fn(&str) -> Option<OsString>, name: &str) -> Option<PathBuf> {
    env(name).map(PathBuf::from).filter(|p| p.is_absolute())
}

fn home(env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    env("HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| BaseDirs::new().map(|b| b.home_dir().to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| OsString::from(v))
    }

    #[test]
    fn config_dir_precedence() {
        let all = [
            ("KFTUI_CONFIG_DIR", "/k"),
            ("XDG_CONFIG_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(config_dir(&env(&all)), PathBuf::from("/k"));
        assert_eq!(config_dir(&env(&all[1..])), PathBuf::from("/x/kftui"));
        let relative = [
            ("KFTUI_CONFIG_DIR", ""),
            ("XDG_CONFIG_HOME", "rel"),
            ("HOME", "/h"),
        ];
        if cfg!(unix) {
            assert_eq!(config_dir(&env(&all[2..])), PathBuf::from("/h/.config/kftui"));
            assert_eq!(config_dir(&env(&relative)), PathBuf::from("/h/.config/kftui"));
        }
    }

    #[test]
    fn state_dir_prefers_xdg_state_home() {
        assert_eq!(
            state_dir(&env(&[("XDG_STATE_HOME", "/s")])),
            PathBuf::from("/s/kftui")
        );
        let dir = state_dir(&env(&[("XDG_STATE_HOME", "relative")]));
        assert!(dir.ends_with(APP), "{dir:?}");
        // The call forms the binary uses.
        assert!(state_dir(&process_env).ends_with(APP));
        let _ = config_dir(&|k| std::env::var_os(k));
    }

    #[cfg(unix)]
    #[test]
    fn the_state_dir_and_its_files_are_private_even_when_they_were_not() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state/kftui");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let log = dir.join("kftui.log");
        drop(open_private_file(&log).unwrap());
        assert_eq!(mode(&log), 0o600);

        // Made by an older kftui, readable by everyone: tightened, contents kept.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(&log, "old line\n").unwrap();
        std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_private_dir(&dir).unwrap();
        use std::io::Write as _;
        writeln!(open_private_file(&log).unwrap(), "new line").unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&log), 0o600);
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "old line\nnew line\n");
    }
}
