//! Certificate products and profiles: what each product (DESIGN.md's table) costs and allows,
//! which subjects it accepts, and exactly what a certificate of it contains. This crate decides
//! *what* is signed; `dojang-ca` only signs it.
#![forbid(unsafe_code)]

pub mod catalog;
pub mod ext;
pub mod name;
pub mod product;
pub mod subject;
pub mod tbs;
pub mod time;
pub mod urls;
pub mod won;

pub use catalog::Catalog;
pub use product::{HolderKind, KeyLocation, Product, ProductId};
pub use subject::{SubjectError, SubjectRules};
pub use urls::PublicationUrls;
