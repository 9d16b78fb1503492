//! One module per top-level subcommand.
pub mod admin;
pub mod backup;
pub mod bench;
pub mod ca;
pub mod cert;
mod common;
pub mod copy;
pub mod financial;
pub mod flow;
pub mod login;
pub mod phone;
pub mod register;
pub mod serve;
pub mod staff;
pub mod token;
