//! One module per top-level subcommand.
pub mod admin;
pub mod ca;
pub mod cert;
pub mod flow;
mod common;
pub mod phone;
pub mod serve;
