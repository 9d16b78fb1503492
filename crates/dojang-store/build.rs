//! `sqlx::migrate!` reads `migrations/` when this crate compiles; a migration added later must
//! make it compile again, or the binary would carry the old list.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
