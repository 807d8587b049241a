//! Reading local files whose size the file system may not tell: `/dev/zero`, FIFOs and
//! `/proc` files report a length of 0 (or any length), so a cap is counted in bytes read.

use std::io::Read;
use std::path::Path;

/// Reads at most `max` bytes of `path`; a file with more is an error naming the limit, found
/// after reading `max + 1` bytes at most, whatever `metadata().len()` says.
pub fn read_capped(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    read_capped_from(file, max)
}

/// [`read_capped`] for any reader (stdin).
pub fn read_capped_from(reader: impl Read, max: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!(
                "more than {} MiB; this is not what mirsad reads",
                max / (1024 * 1024)
            ),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn an_endless_device_stops_at_the_cap() {
        let started = std::time::Instant::now();
        let err = read_capped(Path::new("/dev/zero"), 1024 * 1024).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
        assert!(err.to_string().contains("more than 1 MiB"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn a_file_within_the_cap_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(read_capped(&path, 3).unwrap(), b"abc");
        assert!(read_capped(&path, 2).is_err());
        assert!(
            read_capped(dir.path(), 10).is_err(),
            "a directory is not a file"
        );
    }
}
