//! Files that hold secrets (the signing key, the users' passwords): written
//! owner-only, and replaced in one rename so a reader never sees half a file.
//!
//! It uses nothing else of the crate; it is used by `cognito::keys`, `cognito::users`.

use std::path::{Path, PathBuf};

/// Writes `text` to `path`, creating its directory, readable by the owner only (on Unix).
///
/// # Errors
/// When the directory or the file cannot be written.
pub fn replace_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut staged = path.as_os_str().to_owned();
    staged.push(".new");
    let staged = PathBuf::from(staged);
    // A leftover from an interrupted write is ours to replace.
    let _ = std::fs::remove_file(&staged);
    write_new(&staged, text)?;
    std::fs::rename(&staged, path)
}

#[cfg(unix)]
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}
