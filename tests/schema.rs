//! `schema.graphql` is the SDL of the code; this fails when they drift.

#[test]
fn schema_graphql_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = tidtam::graphql::sdl();
    assert!(
        committed == generated,
        "schema.graphql is out of date; regenerate it with `cargo run -- schema > schema.graphql`"
    );
}
