//! What the commands print, on standard output.
//!
//! It uses nothing else of the crate; it is used by `cli::admin`, `cli::authorize`,
//! `cli::jwks_snapshot`, `cli::policies`, `cli::serve`, `cli::token`, `cli::users`, `cli::verify`.

use std::io::Write as _;

/// Writes `text` to standard output. A closed output (`claimsgate token … | head -1`)
/// is not an error: whoever reads it has seen enough, as with any Unix tool.
pub fn emit(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}
