//! A local mailbox: a Maildir (`new/` and `cur/`) or a plain folder of `.eml` files, taken
//! in file-name order. It is read, never changed, so an archive can be re-processed.
use super::{Incoming, Source, SourceError};
use std::path::{Path, PathBuf};

/// Larger files are still read: size limits belong to the pipeline, which records them.
pub struct LocalSource {
    root: PathBuf,
}

impl LocalSource {
    pub fn new(root: impl Into<PathBuf>) -> LocalSource {
        LocalSource { root: root.into() }
    }

    fn files(&self) -> Result<Vec<PathBuf>, SourceError> {
        let io = |path: &Path, source| SourceError::Io {
            path: path.display().to_string(),
            source,
        };
        let maildir = self.root.join("new").is_dir() || self.root.join("cur").is_dir();
        let folders: Vec<PathBuf> = if maildir {
            vec![self.root.join("cur"), self.root.join("new")]
        } else {
            vec![self.root.clone()]
        };
        let mut files = Vec::new();
        for folder in folders {
            if !folder.is_dir() {
                continue;
            }
            for entry in std::fs::read_dir(&folder).map_err(|e| io(&folder, e))? {
                let path = entry.map_err(|e| io(&folder, e))?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let wanted = if maildir {
                    !name.starts_with('.')
                } else {
                    name.to_ascii_lowercase().ends_with(".eml")
                };
                if wanted && path.is_file() {
                    files.push(path);
                }
            }
        }
        if !self.root.is_dir() {
            return Err(io(
                &self.root,
                std::io::Error::new(std::io::ErrorKind::NotFound, "not a folder"),
            ));
        }
        files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        Ok(files)
    }
}

impl Source for LocalSource {
    async fn fetch(&mut self) -> Result<Vec<Incoming>, SourceError> {
        let mut out = Vec::new();
        for path in self.files()? {
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|source| SourceError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
            let source = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push(Incoming { source, bytes });
        }
        Ok(out)
    }

    async fn processed(&mut self, _incoming: &Incoming) -> Result<(), SourceError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn plain_folder_in_name_order_and_maildir() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("b.eml"), b"B").expect("write");
        std::fs::write(dir.path().join("a.eml"), b"A").expect("write");
        std::fs::write(dir.path().join("notes.txt"), b"x").expect("write");
        let got = LocalSource::new(dir.path()).fetch().await.expect("fetch");
        let names: Vec<_> = got.iter().map(|i| i.source.as_str()).collect();
        assert_eq!(names, ["a.eml", "b.eml"]);

        let md = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(md.path().join("new")).expect("mkdir");
        std::fs::create_dir_all(md.path().join("cur")).expect("mkdir");
        std::fs::write(md.path().join("new/2.host"), b"2").expect("write");
        std::fs::write(md.path().join("cur/1.host:2,S"), b"1").expect("write");
        let got = LocalSource::new(md.path()).fetch().await.expect("fetch");
        assert_eq!(got.len(), 2);
    }
}
