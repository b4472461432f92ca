//! The compile-fail tests of the reactive-rs macros live in `tests/`: one
//! case per rule, each with the message the user sees. This package exists
//! so that trybuild, which builds the cases in a project of its own,
//! builds only the runtime crate's dependencies.
#![deny(missing_docs)]
