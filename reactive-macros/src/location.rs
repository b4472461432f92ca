//! Where a handler is defined: its crate-relative file and line, which
//! make up its id.

use std::path::{Path, PathBuf};

use proc_macro2::Span;

/// The source file of `span`, relative to the crate's manifest directory
/// (so ids do not depend on the workspace layout), with `/` separators.
pub(crate) fn crate_relative_file(span: Span) -> String {
    let file = span
        .unwrap()
        .local_file()
        .unwrap_or_else(|| PathBuf::from(span.unwrap().file()));
    let absolute = if file.is_absolute() {
        file
    } else {
        std::env::current_dir()
            .map(|d| d.join(&file))
            .unwrap_or(file)
    };
    let relative = std::env::var_os("CARGO_MANIFEST_DIR")
        .and_then(|dir| {
            absolute
                .strip_prefix(Path::new(&dir))
                .ok()
                .map(Path::to_path_buf)
        })
        .unwrap_or(absolute);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The 1-based line of `span`.
pub(crate) fn line(span: Span) -> u32 {
    u32::try_from(span.unwrap().line()).unwrap_or(u32::MAX)
}
