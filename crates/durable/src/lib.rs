//! Durable state on a local disk, done one way for both products: a file is written so that
//! after a crash or a power cut it is either wholly there or not at all (temp file, fsync,
//! rename, fsync the folder), and a SQLite database is opened with the same safety settings
//! and brought up to date by the `.sql` migrations embedded in the binary. Nothing here knows
//! what the files or tables mean.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("manifest.json");
//! capture_durable::write_file(&path, b"{}").unwrap();
//! assert_eq!(std::fs::read(&path).unwrap(), b"{}");
//! ```

pub mod sqlite;

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` durably: a temp file beside it, fsync, rename over `path`, fsync
/// the folder (so that the rename itself survives a power cut).
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_via(&sibling_temp(path), path, bytes)
}

/// Writes `bytes` to `target` durably through `temp` (on the same filesystem, e.g. a folder
/// of files being written that a crash recovery can empty): write and fsync `temp`, rename it
/// to `target`, fsync both folders. On failure the temp file is removed.
pub fn write_via(temp: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let written = (|| {
        use std::os::unix::fs::OpenOptionsExt;
        // Readable by this program's user only, whatever the umask it was started with.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(temp)?;
        f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(temp);
        return Err(e);
    }
    if let Err(e) = std::fs::rename(temp, target) {
        let _ = std::fs::remove_file(temp);
        return Err(e);
    }
    let target_dir = folder_of(target);
    sync_dir(&target_dir)?;
    let temp_dir = folder_of(temp);
    if temp_dir != target_dir {
        sync_dir(&temp_dir)?;
    }
    Ok(())
}

/// Creates `dir` (and its parents) if need be, and makes it this user's only (0700): the
/// folders that hold personal data are closed to other users whoever created them.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    let mode = std::fs::metadata(dir)?.permissions().mode() & 0o7777;
    if mode != 0o700 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Sets this process's umask to 077, so that anything it creates (files, folders, SQLite's
/// journals) is its user's only, whatever started it. Called first thing by both programs.
pub fn private_umask() {
    // SAFETY: umask(2) cannot fail; it changes only this process's file-creation mask.
    unsafe {
        libc::umask(0o077);
    }
}

/// Makes a folder's entries (files created, renamed or removed in it) durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// The temp file `write_file` uses for `path`: `.NAME.tmp` in the same folder.
pub fn sibling_temp(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    folder_of(path).join(format!(".{name}.tmp"))
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Whether an IO error means the disk is full (then the message for people says so).
pub fn is_disk_full(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENOSPC) || e.kind() == std::io::ErrorKind::StorageFull
}

/// Free bytes for an unprivileged writer on the filesystem holding `path`.
pub fn free_space(path: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: all-zero bytes are a valid statvfs (plain integers).
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `s` a writable statvfs.
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(s.f_bavail as u64 * s.f_frsize as u64)
}

/// Bytes for people reading a disk's free space: `72.8 GB`, `512 MB`.
pub fn human_bytes(b: u64) -> String {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    const MIB: f64 = 1024.0 * 1024.0;
    let b = b as f64;
    if b >= GIB {
        format!("{:.1} GB", b / GIB)
    } else {
        format!("{:.0} MB", b / MIB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_no_temp_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_file(&path, b"first").unwrap();
        write_file(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.json")]);
    }

    #[test]
    fn a_write_through_another_folder_lands_in_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let incoming = dir.path().join(".incoming");
        let day = dir.path().join("2026-12-02");
        std::fs::create_dir_all(&incoming).unwrap();
        std::fs::create_dir_all(&day).unwrap();
        let target = day.join("x.jpg");
        write_via(&incoming.join("x.jpg.tmp"), &target, b"jpeg").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"jpeg");
        assert_eq!(std::fs::read_dir(&incoming).unwrap().count(), 0);
    }

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        // The target's folder does not exist: the rename fails, the temp file goes.
        let err = write_via(
            &dir.path().join("t.tmp"),
            &dir.path().join("missing/x.jpg"),
            b"jpeg",
        )
        .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(512 * 1024 * 1024), "512 MB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024 / 2), "1.5 GB");
    }

    #[test]
    fn free_space_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_space(dir.path()).unwrap() > 0);
        assert!(free_space(&dir.path().join("no/such/dir")).is_err());
    }
}
