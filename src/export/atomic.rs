//! Replacing a file so nobody ever reads half of it: write a temporary file beside it, flush
//! it to disk, then rename it over the old one. A rename within one directory is atomic on
//! POSIX file systems, so a reader (a web server, a feed reader, a cron job) sees either the old
//! file or the new one, never a mix; a crash mid-write leaves the old file untouched.

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
