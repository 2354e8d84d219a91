//! The relay's cursor: the feed position of the last event a receiver accepted (or that was
//! skipped for good), kept in a small file.
//!
//! It is written after each such event, by writing a temporary file beside it, flushing it to
//! disk and renaming it over the old one: a crash at any moment leaves either the old
//! position or the new one, never a torn file, so a restarted relay re-sends at most the one
//! event that was in flight (at least once; receivers deduplicate by `Invite-Delivery`).

use super::RelayError;
use invite_core::feed::FeedPosition;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The cursor file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CursorFile {
    path: PathBuf,
}

impl CursorFile {
    /// The cursor kept at `path` (created, with its directory, at the first store).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Where it is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored position; `None` when there is no file yet (relay from the beginning).
    /// A file that holds anything but a position is an error, not a fresh start: resending
    /// the whole feed should be a decision (delete the file), not an accident.
    pub fn load(&self) -> Result<Option<FeedPosition>, RelayError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error(e)),
        };
        FeedPosition::decode(text.trim())
            .map(Some)
            .ok_or_else(|| RelayError::CorruptCursor {
                path: self.path.clone(),
                content: text.chars().take(64).collect(),
            })
    }

    /// Stores `position`, durably, replacing the old one atomically.
    pub fn store(&self, position: FeedPosition) -> Result<(), RelayError> {
        let write = || -> std::io::Result<()> {
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let mut tmp_name = self.path.clone().into_os_string();
            tmp_name.push(".tmp");
            let tmp = PathBuf::from(tmp_name);
            let mut file = std::fs::File::create(&tmp)?;
            writeln!(file, "{position}")?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| self.io_error(e))
    }

    fn io_error(&self, source: std::io::Error) -> RelayError {
        RelayError::Cursor {
            path: self.path.clone(),
            source,
        }
    }
}
