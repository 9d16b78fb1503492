#![forbid(unsafe_code)]
pub mod pfx;
