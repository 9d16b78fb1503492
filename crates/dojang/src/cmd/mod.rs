//! One module per top-level subcommand.
pub mod admin;
pub mod ca;
pub mod cert;
pub mod financial;
pub mod flow;
pub mod login;
pub mod register;
mod common;
pub mod phone;
pub mod serve;
pub mod staff;
