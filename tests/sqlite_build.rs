//! The bundled SQLite is built with the options `.cargo/config.toml` sets
//! for a hook's unit state (the extensions it never uses left out, no
//! lookaside buffer, no memory statistics). The benchmark figures of
//! BENCHMARKS.md are of this build; should the configuration be lost, or
//! stop reaching libsqlite3-sys's build, this test says so.

/// The options SQLite reports it was compiled with.
fn compile_options() -> Vec<String> {
    let conn = rusqlite::Connection::open_in_memory().expect("an in-memory database");
    let mut stmt = conn
        .prepare("pragma compile_options")
        .expect("pragma compile_options");
    let rows = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .expect("the options");
    rows.collect::<Result<_, _>>().expect("each option")
}

#[test]
fn the_extensions_a_hook_never_uses_are_left_out() {
    let options = compile_options();
    for left_out in [
        "ENABLE_FTS3",
        "ENABLE_FTS3_PARENTHESIS",
        "ENABLE_FTS5",
        "ENABLE_RTREE",
        "ENABLE_DBSTAT_VTAB",
        "ENABLE_STAT4",
        "SOUNDEX",
    ] {
        assert!(
            !options.iter().any(|o| o == left_out),
            "{left_out} is compiled in: {options:?}"
        );
    }
}

#[test]
fn no_lookaside_buffer_and_no_memory_statistics() {
    let options = compile_options();
    for wanted in ["DEFAULT_LOOKASIDE=0,0", "DEFAULT_MEMSTATUS=0"] {
        assert!(
            options.iter().any(|o| o == wanted),
            "{wanted} is not among {options:?}"
        );
    }
}
