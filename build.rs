// sqlx::migrate! embeds the migrations at compile time but does not tell
// cargo to watch the folder: without this, a new migration is left out of a
// build that changed nothing else.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
