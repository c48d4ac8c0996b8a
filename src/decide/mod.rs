//! The rules of SPEC §4–§6 as plain functions of plain data: no I/O, no store, no clock.
//! The handlers gather the facts, call these, and commit what they return.

pub mod access;
pub mod comments;
pub mod identify;
pub mod matching;
pub mod names;
pub mod reconcile;
pub mod reminders;
