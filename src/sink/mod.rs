//! Where replies go. One trait; `dir` writes `.eml` files, `smtp` sends them.
pub mod dir;
pub mod smtp;

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// Worth retrying later.
    #[error("cannot deliver now: {0}")]
    Temporary(String),
    /// Retrying will not help.
    #[error("cannot deliver: {0}")]
    Permanent(String),
}

#[allow(async_fn_in_trait)]
pub trait Sink {
    /// Deliver one reply. Called again for the same `outbox_id` after a crash: must not
    /// deliver twice where it can tell.
    async fn send(
        &self,
        outbox_id: i64,
        to: &str,
        template: &str,
        eml: &[u8],
    ) -> Result<(), SinkError>;

    /// The sends of this round are done (an outbox drain ended): release what is kept
    /// between sends, such as an open SMTP connection.
    async fn idle(&self) {}
}
