//! Files only the service's own user may read: the data directory and every
//! directory under it are created 0700, and every file Varsel writes there
//! (the SQLite database and its journal, attachments) 0600, whatever the
//! process's umask. Directories and files left by an older version with wider
//! modes are narrowed when the service starts.
//!
//! Every stored attachment also gets a fixed modification and access time
//! ([`FIXED_FILE_TIME`]) once its row is stored: a file's times would
//! otherwise say to the second when a reporter uploaded it (SPEC §3.5). A
//! file's change time (`ctime`) and birth time cannot be set by a process;
//! they are one more reason the data directory is closed to everyone but the
//! service.

use std::fs::{File, FileTimes, OpenOptions};
use std::io;
use std::path::Path;
use std::time::SystemTime;

/// Mode of directories Varsel creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of files Varsel writes.
pub const FILE_MODE: u32 = 0o600;
/// The modification and access time of every stored attachment file: the
/// UNIX epoch, which says nothing about when it was written.
pub const FIXED_FILE_TIME: SystemTime = SystemTime::UNIX_EPOCH;

/// Creates `dir` and its missing parents with mode 0700, and narrows `dir`
/// itself to 0700 if it already existed with a wider mode.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(DIR_MODE);
    }
    builder.create(dir)?;
    narrow(dir, DIR_MODE)
}

/// Narrows an existing file or directory to `mode` (no-op when it is
/// already no wider, or on systems without UNIX modes).
pub fn narrow(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if current & !mode != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(current & mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Narrows `path` to 0600 if it exists.
pub fn narrow_file_if_exists(path: &Path) -> io::Result<()> {
    match narrow(path, FILE_MODE) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Creates (or truncates) `path` for writing with mode 0600.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    options.open(path)
}

/// Creates `path` empty with mode 0600 unless it exists, and narrows it to
/// 0600 if it does (a database file before SQLite opens it: SQLite gives
/// its journal and WAL files the database file's mode). An existing file is
/// never opened: closing a descriptor of a database file drops every POSIX
/// lock this process's SQLite connections hold on it.
pub fn ensure_private_file(path: &Path) -> io::Result<()> {
    if path.exists() {
        return narrow(path, FILE_MODE);
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => narrow(path, FILE_MODE),
        Err(e) => Err(e),
    }
}

/// Sets the fixed modification and access time on an open file.
pub fn set_fixed_times(file: &File) -> io::Result<()> {
    file.set_times(
        FileTimes::new()
            .set_accessed(FIXED_FILE_TIME)
            .set_modified(FIXED_FILE_TIME),
    )
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn directories_are_created_and_narrowed_to_0700() {
        let root = tempfile::tempdir().expect("dir");
        let wide = root.path().join("wide");
        std::fs::create_dir(&wide).expect("mkdir");
        std::fs::set_permissions(&wide, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        create_private_dir_all(&wide.join("a/b")).expect("create");
        assert_eq!(mode(&wide.join("a")), 0o700);
        assert_eq!(mode(&wide.join("a/b")), 0o700);
        create_private_dir_all(&wide).expect("narrow");
        assert_eq!(mode(&wide), 0o700);
    }

    #[test]
    fn files_are_0600_with_the_fixed_times() {
        let root = tempfile::tempdir().expect("dir");
        let path = root.path().join("f");
        let file = create_private_file(&path).expect("create");
        set_fixed_times(&file).expect("times");
        drop(file);
        assert_eq!(mode(&path), 0o600);
        let meta = std::fs::metadata(&path).expect("metadata");
        assert_eq!(meta.modified().expect("mtime"), FIXED_FILE_TIME);
        assert_eq!(meta.accessed().expect("atime"), FIXED_FILE_TIME);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        ensure_private_file(&path).expect("narrow");
        assert_eq!(mode(&path), 0o600);
    }
}
