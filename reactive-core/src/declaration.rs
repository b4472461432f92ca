//! A charm's one declaration: which handlers are its own.
//!
//! Every handler compiled into a program registers itself, so a program
//! that links two charms (a test binary, the simulator) holds the handlers
//! of both. A charm says once which are its own with [`charm!`](crate::charm),
//! in its library (or in `main.rs` when it has no library):
//!
//! ```
//! // src/lib.rs of the charm package `my-charm`
//! reactive_core::charm!();
//! # fn main() {
//! let declaration = charm();
//! assert_eq!(declaration.package(), env!("CARGO_PKG_NAME"));
//! # }
//! ```
//!
//! The generated `charm()` selects the handlers defined in the charm's
//! package and those of the endpoint types its `metadata.yaml` uses, never
//! another charm's. Its `main` gives it to [`run`](crate::run) (which also
//! links the library, so its handlers are registered):
//!
//! ```no_run
//! # mod my_charm { reactive_core::charm!(); }
//! fn main() {
//!     reactive_core::run(my_charm::charm())
//! }
//! ```
//!
//! and its tests give the same value to the harness and the simulator of
//! `reactive-testing`. A declaration that selects no handler of the charm
//! is an error ([`RegistryError::NoCharmHandlers`](crate::registry::RegistryError::NoCharmHandlers)), so a charm whose
//! library is not linked fails loudly instead of running nothing.

use std::path::Path;

use crate::registry::RegistryBuilder;

/// Which handlers make up a charm, and where its source (its
/// `metadata.yaml`, `config.yaml`, `actions.yaml`) is. Made by
/// [`charm!`](crate::charm).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CharmDeclaration {
    package: &'static str,
    source_dir: &'static str,
    interface_modules: Vec<String>,
    once_marks: Vec<(String, String)>,
}

impl CharmDeclaration {
    /// The declaration of the charm built from the package `package`
    /// (`CARGO_PKG_NAME`) whose manifest directory is `source_dir`
    /// (`CARGO_MANIFEST_DIR`). [`charm!`](crate::charm) writes this call.
    pub fn new(package: &'static str, source_dir: &'static str) -> Self {
        CharmDeclaration {
            package,
            source_dir,
            interface_modules: Vec::new(),
            once_marks: Vec::new(),
        }
    }

    /// The package whose handlers are the charm's.
    pub fn package(&self) -> &'static str {
        self.package
    }

    /// The charm's source directory: its `metadata.yaml`, `config.yaml`
    /// and `actions.yaml` as the harness and the simulator read them. (A
    /// deployed charm reads them from its charm directory instead.)
    pub fn source_dir(&self) -> &'static Path {
        Path::new(self.source_dir)
    }

    /// When several linked endpoint types serve one interface and role of
    /// the charm's metadata, use the one defined under `module_prefix`
    /// (e.g. `"my_http_interface"`). May be given several times.
    ///
    /// ```
    /// reactive_core::charm!();
    /// # fn main() {
    /// let declaration = charm().prefer_interface_module("my_http_interface");
    /// # let _ = declaration;
    /// # }
    /// ```
    pub fn prefer_interface_module(mut self, module_prefix: &str) -> Self {
        self.interface_modules.push(module_prefix.to_string());
        self
    }

    /// For a unit refreshed from the charm's Python build: the Rust
    /// handler `rust_handler` takes over the `@only_once` mark of the
    /// Python handler `python_handler`, so it does not run again after the
    /// refresh. Both are `file-suffix:function` (`reactive/app.py:first_run`,
    /// `src/handlers.rs:first_run`); see
    /// [`RegistryBuilder::python_only_once`] for the rules. May be given
    /// several times; `main` passes the declaration to [`run`](crate::run)
    /// as usual:
    ///
    /// ```no_run
    /// # mod my_charm { reactive_core::charm!(); }
    /// fn main() {
    ///     reactive_core::run(
    ///         my_charm::charm().python_only_once("reactive/app.py:first_run", "src/lib.rs:first_run"),
    ///     )
    /// }
    /// ```
    ///
    /// A mapping whose Rust side names no handler of the charm makes the
    /// registry fail to build, in every hook:
    ///
    /// ```
    /// use reactive_core::prelude::*;
    /// use reactive_core::registry::RegistryError;
    ///
    /// reactive_core::charm!();
    ///
    /// #[when("config.changed")]
    /// #[only_once]
    /// fn first_run(ctx: &mut Context) {
    ///     ctx.set_flag("app.first-run-done");
    /// }
    /// # fn main() {
    /// // Ids are `<package>/<file>:<line>:<function>`; a mapping names the
    /// // handler by `<file>:<function>` (any suffix of the file's path).
    /// let id = charm().registry().build().unwrap().handlers()[0].id().to_string();
    /// let file = id.rsplitn(3, ':').nth(2).unwrap().rsplit('/').next().unwrap();
    /// let mapped = charm()
    ///     .python_only_once("reactive/app.py:first_run", &format!("{file}:first_run"))
    ///     .registry()
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(mapped.once_mark_mappings()[0].rust_id, id);
    /// let typo = charm()
    ///     .python_only_once("reactive/app.py:first_run", &format!("{file}:frist_run"))
    ///     .registry()
    ///     .build();
    /// assert!(matches!(typo, Err(RegistryError::OnceMarkTarget { matches: 0, .. })));
    /// # }
    /// ```
    pub fn python_only_once(mut self, python_handler: &str, rust_handler: &str) -> Self {
        self.once_marks
            .push((python_handler.to_string(), rust_handler.to_string()));
        self
    }

    /// The registry builder that selects this charm's handlers (with its
    /// preferred interface modules and `@only_once` mappings).
    pub fn registry(&self) -> RegistryBuilder {
        let mut builder = crate::Registry::builder().package(self.package);
        for module in &self.interface_modules {
            builder = builder.prefer_endpoint_module(module);
        }
        for (python, rust) in &self.once_marks {
            builder = builder.python_only_once(python, rust);
        }
        builder
    }
}

impl From<CharmDeclaration> for RegistryBuilder {
    fn from(declaration: CharmDeclaration) -> Self {
        declaration.registry()
    }
}

impl From<&CharmDeclaration> for RegistryBuilder {
    fn from(declaration: &CharmDeclaration) -> Self {
        declaration.registry()
    }
}

/// Declare the charm of this package: writes `pub fn charm() ->`
/// [`CharmDeclaration`], selecting the handlers of this package and of the
/// endpoint types its `metadata.yaml` uses.
///
/// Write it once, in the charm's library (or in `main.rs` when the charm
/// has no library); `main`, the harness and the simulator all take
/// `charm()`:
///
/// ```
/// use reactive_core::prelude::*;
///
/// reactive_core::charm!();
///
/// #[when_not("app.installed")]
/// fn install(ctx: &mut Context) {
///     ctx.set_flag("app.installed");
/// }
/// # fn main() {
/// let registry = charm().registry().build().unwrap();
/// assert!(registry.handlers().iter().any(|h| h.id().ends_with(":install")));
/// # }
/// ```
#[macro_export]
macro_rules! charm {
    () => {
        /// This charm: its own handlers and those of the endpoint types its
        /// `metadata.yaml` uses. Give it to `reactive_core::run` in `main`,
        /// and to the harness and the simulator in tests.
        pub fn charm() -> $crate::CharmDeclaration {
            $crate::CharmDeclaration::new(
                ::core::env!("CARGO_PKG_NAME"),
                ::core::env!("CARGO_MANIFEST_DIR"),
            )
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_only_once_mappings_reach_the_registry_builder_in_order() {
        let declaration = CharmDeclaration::new("some-charm", "/nowhere")
            .python_only_once("reactive/a.py:one", "src/lib.rs:one")
            .python_only_once("reactive/b.py:two", "src/lib.rs:two");
        let builder = format!("{:?}", declaration.registry());
        let one = builder.find("reactive/a.py:one").expect(&builder);
        let two = builder.find("reactive/b.py:two").expect(&builder);
        assert!(one < two, "{builder}");
        assert!(builder.contains("src/lib.rs:two"), "{builder}");
        let plain = format!(
            "{:?}",
            CharmDeclaration::new("some-charm", "/nowhere").registry()
        );
        assert!(!plain.contains("reactive/a.py"), "{plain}");
    }

    use crate::{only_once, when};

    #[when("declaration-test.never")]
    #[only_once]
    fn first_run() {}

    #[test]
    fn a_mapping_resolves_to_the_charms_handler_or_fails_the_build() {
        let charm = || CharmDeclaration::new(env!("CARGO_PKG_NAME"), env!("CARGO_MANIFEST_DIR"));
        let registry = charm()
            .python_only_once("reactive/app.py:first_run", "declaration.rs:first_run")
            .registry()
            .build()
            .unwrap();
        let mapping = &registry.once_mark_mappings()[0];
        assert_eq!(mapping.python_handler, "reactive/app.py:first_run");
        assert!(
            mapping.rust_id.starts_with("reactive-core/")
                && mapping.rust_id.contains("declaration.rs:")
                && mapping.rust_id.ends_with(":first_run"),
            "{}",
            mapping.rust_id
        );
        let typo = charm()
            .python_only_once("reactive/app.py:first_run", "declaration.rs:frist_run")
            .registry()
            .build();
        assert!(matches!(
            typo,
            Err(crate::registry::RegistryError::OnceMarkTarget { matches: 0, .. })
        ));
    }
}
