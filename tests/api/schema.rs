//! `schema.graphql` must be exactly what the server prints.

#[test]
fn schema_file_is_current() {
    let printed = coach::graphql::sdl();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql at the repository root");
    assert!(
        printed == committed,
        "schema.graphql is stale: run `cargo run -- print-schema --output schema.graphql`"
    );
}
