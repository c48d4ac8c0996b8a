//! Replies written as `.eml` files, one per outbox row, atomically (temporary file + rename),
//! so a crash never leaves half a reply and a second attempt finds the first.
use super::{Sink, SinkError};
use std::path::PathBuf;

pub struct DirSink {
    dir: PathBuf,
}

impl DirSink {
    pub fn new(dir: impl Into<PathBuf>) -> DirSink {
        DirSink { dir: dir.into() }
    }
}

impl Sink for DirSink {
    async fn send(
        &self,
        outbox_id: i64,
        to: &str,
        template: &str,
        eml: &[u8],
    ) -> Result<(), SinkError> {
        let temporary =
            |e: std::io::Error| SinkError::Temporary(format!("{}: {e}", self.dir.display()));
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(temporary)?;
        let safe_to: String = to
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "@.-_".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let name = format!("{outbox_id:06}-{template}-{safe_to}.eml");
        let target = self.dir.join(&name);
        if tokio::fs::try_exists(&target).await.unwrap_or(false) {
            return Ok(());
        }
        let tmp = self.dir.join(format!(".{name}.tmp"));
        tokio::fs::write(&tmp, eml).await.map_err(temporary)?;
        tokio::fs::rename(&tmp, &target).await.map_err(temporary)?;
        Ok(())
    }
}
