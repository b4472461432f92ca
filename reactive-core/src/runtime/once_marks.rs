//! Python `@only_once` marks taken over by Rust handlers.
//!
//! charms.reactive names the mark of an `@only_once` handler by the absolute
//! path of its Python file, its line and its name
//! (`reactive.invoked./…/charm/reactive/app.py:50:first_run`), which no Rust
//! handler can share. A charm declares the correspondence with
//! [`RegistryBuilder::python_only_once`](crate::registry::RegistryBuilder::python_only_once);
//! at the start of each hook, a Rust handler with no mark of its own gets
//! one when its Python counterpart's mark is set. The Python mark is kept,
//! so that a refresh back to the Python build does not run it again.

use crate::log::LogLevel;
use crate::registry::Registry;
use crate::unit_state::StateError;
use crate::Context;

const INVOKED_PREFIX: &str = "reactive.invoked.";

/// Mark the Rust handlers whose Python counterpart already ran.
pub fn carry_python_marks(ctx: &mut Context, registry: &Registry) -> Result<(), StateError> {
    let mappings = registry.once_mark_mappings();
    if mappings.is_empty() {
        return Ok(());
    }
    let marks = ctx.unit_state().get_range(INVOKED_PREFIX)?;
    for mapping in mappings {
        if ctx.was_invoked(&mapping.rust_id)? {
            continue;
        }
        let python_mark = marks.iter().find(|(key, value)| {
            super::persistent_config::python_truthy(value)
                && mapping.matches_python_id(&key[INVOKED_PREFIX.len()..])
        });
        if let Some((key, _)) = python_mark {
            ctx.mark_invoked(&mapping.rust_id);
            ctx.log(
                LogLevel::Info,
                &format!(
                    "only_once handler `{}` counts as run: the Python mark `{key}` is set",
                    mapping.rust_id
                ),
            );
        }
    }
    Ok(())
}
