//! One module per top-level subcommand.
pub mod ca;
pub mod cert;
mod common;
pub mod serve;
