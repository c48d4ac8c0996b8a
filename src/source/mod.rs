//! Where mail comes from. One trait; `local` reads a Maildir or a folder of `.eml` files,
//! `imap` reads the union's mailbox.
pub mod imap;
pub mod local;

/// One message as the source delivered it.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// File name or IMAP UID: where staff find the original.
    pub source: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read mail source {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    // transport
    #[error("IMAP {what} failed: {detail}")]
    Imap { what: &'static str, detail: String },
    #[error("IMAP {0}: no answer within the deadline")]
    Timeout(&'static str),
    #[error("IMAP login refused: {0}")]
    Auth(String),
    #[error("IMAP configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

#[allow(async_fn_in_trait)]
pub trait Source {
    /// Every message currently waiting, oldest (by name) first. Messages already stored are
    /// recognised by the store, so a source may deliver a message again.
    async fn fetch(&mut self) -> Result<Vec<Incoming>, SourceError>;
    /// The message's outcome is committed: the source may file it away.
    async fn processed(&mut self, incoming: &Incoming) -> Result<(), SourceError>;
}
