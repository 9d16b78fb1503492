//! One module per top-level subcommand.
pub mod ca;
mod common;
pub mod cert;
pub mod serve;
