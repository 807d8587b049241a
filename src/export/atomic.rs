//! Replacing a file so nobody ever reads half of it: write a temporary file beside it, flush
//! it to disk, then rename it over the old one. A rename within one directory is atomic on
//! POSIX file systems, so a reader (a web server, a feed reader, a cron job) sees either the old
//! file or the new one, never a mix; a crash mid-write leaves the old file untouched.
//!
//! What is at the path decides how it is written: a symlink is followed and its target replaced
//! (the link stays a link); a character device, FIFO or socket (`/dev/null`, `/dev/stdout`, a
//! pipe to another program) is written through, since replacing it would break it; a directory
//! is refused. Temporary files a killed process left behind are removed by the next write.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::ExportError;

/// Distinguishes temporary files of concurrent writes within one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `path` atomically with what `write` produces. `mode` (Unix permission bits) sets the
/// new file's permissions; without it the old file's permissions are kept, or the umask's
/// default used for a new file. On any error the old file is left as it was.
pub fn write_atomic<F>(path: &Path, mode: Option<u32>, write: F) -> Result<(), ExportError>
where
    F: FnOnce(&mut dyn Write) -> Result<(), ExportError>,
{
    let file_error = |source| ExportError::File {
        path: path.to_path_buf(),
        source,
    };
    let path = &match Target::of(path).map_err(file_error)? {
        Target::Directory => {
            return Err(file_error(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "it is a directory; name a file in it",
            )));
        }
        Target::Stream => return write_through(path, write),
        Target::File(resolved) => resolved,
    };
    let file_error = |source| ExportError::File {
        path: path.to_path_buf(),
        source,
    };
    let name = path.file_name().ok_or_else(|| {
        file_error(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a file name",
        ))
    })?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    remove_stale_temporaries(&dir, &name.to_string_lossy());
    let temp = dir.join(format!(
        ".{}.{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(file_error)?;
    let outcome = fill(file, &temp, path, mode, write).and_then(|()| {
        fs::rename(&temp, path).map_err(file_error)?;
        sync_dir(&dir);
        Ok(())
    });
    if outcome.is_err() {
        // Best effort: the temporary file is ours and useless now.
        let _ = fs::remove_file(&temp);
    }
    outcome
}

/// What the output path names, after following symlinks.
enum Target {
    /// A regular file, or nothing yet: replaced atomically at this (resolved) path.
    File(PathBuf),
    /// A character device, FIFO or socket: written through, never replaced.
    Stream,
    Directory,
}

impl Target {
    fn of(path: &Path) -> std::io::Result<Target> {
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => Ok(Target::Directory),
            // /dev/stdout and /proc/self/fd/N are links to whatever the descriptor is; replacing
            // what they resolve to would never reach the descriptor.
            Ok(meta) if !meta.is_file() || is_descriptor_path(path) => Ok(Target::Stream),
            Ok(_) => Ok(Target::File(fs::canonicalize(path)?)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                Ok(Target::File(dangling_target(path)?))
            }
            Err(err) => Err(err),
        }
    }
}

fn is_descriptor_path(path: &Path) -> bool {
    path.starts_with("/dev/") || path.starts_with("/proc/")
}

/// Where a path that does not exist yet will be created: through a dangling symlink (or a
/// chain of them) to its target, so the link keeps pointing at the file.
fn dangling_target(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "too many levels of symbolic links",
    ))
}

/// Writes straight into a device, FIFO or socket (opened without truncating or creating).
fn write_through<F>(path: &Path, write: F) -> Result<(), ExportError>
where
    F: FnOnce(&mut dyn Write) -> Result<(), ExportError>,
{
    let file_error = |source| ExportError::File {
        path: path.to_path_buf(),
        source,
    };
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(file_error)?;
    let mut out = BufWriter::new(file);
    write(&mut out)?;
    out.flush().map_err(file_error)
}

/// Removes `.NAME.PID-N.tmp` files beside the output whose process is gone: what a SIGKILL
/// mid-write leaves. Only where `/proc` tells which processes live.
fn remove_stale_temporaries(dir: &Path, name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let prefix = format!(".{name}.");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|n| n.strip_suffix(".tmp"))
        else {
            continue;
        };
        let Some(pid) = rest.split_once('-').and_then(|(pid, n)| {
            (n.bytes().all(|b| b.is_ascii_digit())).then_some(pid.parse::<u32>().ok()?)
        }) else {
            continue;
        };
        if pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn fill<F>(
    file: File,
    temp: &Path,
    target: &Path,
    mode: Option<u32>,
    write: F,
) -> Result<(), ExportError>
where
    F: FnOnce(&mut dyn Write) -> Result<(), ExportError>,
{
    set_permissions(&file, target, mode).map_err(|source| ExportError::File {
        path: temp.to_path_buf(),
        source,
    })?;
    let mut out = BufWriter::new(file);
    write(&mut out)?;
    let file = out.into_inner().map_err(|e| ExportError::File {
        path: temp.to_path_buf(),
        source: e.into_error(),
    })?;
    // The data must be on disk before the rename makes it the file, or a crash could leave
    // an empty file under the real name.
    file.sync_all().map_err(|source| ExportError::File {
        path: temp.to_path_buf(),
        source,
    })
}

#[cfg(unix)]
fn set_permissions(file: &File, target: &Path, mode: Option<u32>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let permissions = match mode {
        Some(mode) => fs::Permissions::from_mode(mode),
        None => match fs::metadata(target) {
            Ok(meta) => meta.permissions(),
            Err(_) => return Ok(()),
        },
    };
    file.set_permissions(permissions)
}

#[cfg(not(unix))]
fn set_permissions(_file: &File, _target: &Path, _mode: Option<u32>) -> std::io::Result<()> {
    Ok(())
}

/// Makes the rename itself durable; failure only weakens crash safety, so it is not an error.
fn sync_dir(dir: &Path) {
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.atom");
        fs::write(&path, "old").unwrap();
        write_atomic(&path, None, |w| Ok(w.write_all(b"new")?)).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(entries(dir.path()), ["out.atom"]);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        fs::write(&path, "old").unwrap();
        let err = write_atomic(&path, None, |w| {
            w.write_all(b"half")?;
            Err(ExportError::UnknownFormat("boom".into()))
        })
        .unwrap_err();
        assert!(matches!(err, ExportError::UnknownFormat(_)));
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(entries(dir.path()), ["out.csv"]);
    }

    #[test]
    fn a_missing_directory_is_reported_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/out.atom");
        let err = write_atomic(&path, None, |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("no/such/dir/out.atom"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_stays_a_link_and_its_target_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.atom");
        fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.atom");
        std::os::unix::fs::symlink("real.atom", &link).unwrap();
        write_atomic(&link, None, |w| Ok(w.write_all(b"new")?)).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        // A dangling link creates its target.
        let dangling = dir.path().join("later.atom");
        std::os::unix::fs::symlink("made.atom", &dangling).unwrap();
        write_atomic(&dangling, None, |w| Ok(w.write_all(b"x")?)).unwrap();
        assert!(
            fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("made.atom")).unwrap(),
            "x"
        );
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_written_through_and_directories_refused() {
        write_atomic(Path::new("/dev/null"), None, |w| Ok(w.write_all(b"gone")?)).unwrap();
        let meta = fs::metadata("/dev/null").unwrap();
        assert!(!meta.is_file(), "/dev/null is still a device");
        let full = write_atomic(Path::new("/dev/full"), None, |w| Ok(w.write_all(b"x")?));
        assert!(full.is_err(), "a write error of the device is reported");
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomic(dir.path(), None, |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
        assert!(dir.path().is_dir());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_fifo_is_written_through_to_its_reader() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
        };
        write_atomic(&fifo, None, |w| Ok(w.write_all(b"through the pipe")?)).unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert!(!fs::metadata(&fifo).unwrap().is_file());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn temporaries_of_dead_processes_are_removed_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        // PIDs above the kernel's maximum (4,194,304) never live.
        let stale = dir.path().join(".out.jsonl.4999999-0.tmp");
        let live = dir
            .path()
            .join(format!(".out.jsonl.{}-99.tmp", std::process::id()));
        let other = dir.path().join(".other.4999999-0.tmp");
        for p in [&stale, &live, &other] {
            fs::write(p, "half").unwrap();
        }
        write_atomic(&path, None, |w| Ok(w.write_all(b"{}")?)).unwrap();
        assert!(!stale.exists());
        assert!(live.exists() && other.exists());
    }

    #[cfg(unix)]
    #[test]
    fn mode_is_applied_and_otherwise_the_old_mode_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_atomic(&path, Some(0o644), |_| Ok(())).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o644);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&path, None, |_| Ok(())).unwrap();
        assert_eq!(mode(&path), 0o600);
    }
}
