//! `dojang bench`: what this center does per second on the machine it runs on, each figure
//! next to a reference measured in the same run — OpenSSL's own signing speed for issuance,
//! OpenSSL's own OCSP responder for OCSP, the empty store for the store at size. The server
//! measured is a real `dojang serve` in its own process; the OCSP load comes from yet another
//! process. Also the drivers the load test shares: the customer's side of the issue flow and
//! of certificate login over HTTP, OCSP requests, the load generator.
#![forbid(unsafe_code)]

pub mod csr_step;
pub mod customers;
pub mod flow;
pub mod load;
pub mod ocsp;
pub mod openssl;
pub mod progress;
pub mod raw;
pub mod replay;
pub mod report;
mod run;
mod scale;
pub mod server;

pub use run::{run, Options};
