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

    /// The registry builder that selects this charm's handlers.
    pub fn registry(&self) -> RegistryBuilder {
        let mut builder = crate::Registry::builder().package(self.package);
        for module in &self.interface_modules {
            builder = builder.prefer_endpoint_module(module);
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
