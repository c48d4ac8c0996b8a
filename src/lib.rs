//! trekkpost: intake daemon for a trade union's *trekkliste* mailbox.
//!
//! The pipeline, one module per step:
//! source (Maildir / IMAP) → store (raw, content-addressed) → [`mime`] → [`classify`]
//! → [`handle`] (per kind, calling the pure rules in [`decide`]) → outbox → sink.
//! [`parse`] turns list attachments into lines; [`import`] reads the union's reference data.

pub mod app;
pub mod classify;
pub mod config;
pub mod decide;
pub mod handle;
pub mod import;
pub mod mime;
pub mod norwegian;
pub mod parse;
pub mod pipeline;
pub mod reply;
pub mod report;
pub mod schedule;
pub mod sink;
pub mod source;
pub mod store;
pub mod web;
