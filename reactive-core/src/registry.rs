//! The registry: every handler of the charm, in a fixed order, indexed by
//! the flags it watches.
//!
//! Built once per process from the descriptors the macros submitted.
//! Handlers are ordered by crate, crate-relative file, line, function name
//! and endpoint name, so dispatch is reproducible; that order is the order
//! in which queued handlers run. The index from flag to handlers lets each
//! dispatch iteration after the first test only the handlers whose watched
//! flags changed.

use std::collections::HashMap;
use std::fmt;

use reactive_grammar::hook_pattern::parse_hook_pattern;

use crate::endpoint::EndpointDescriptor;
use crate::handler::{Condition, HandlerDescriptor, Phase};
use crate::metadata::CharmMetadata;

pub use crate::handler::{ConditionKind, HandlerEntry, HandlerKind, ResolvedCondition};

/// Why a registry cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryError {
    /// Two handlers have the same id.
    DuplicateId(String),
    /// The selection keeps no handler of the charm: the charm's library is
    /// not linked, or the selection names the wrong package or module.
    NoCharmHandlers {
        /// The selection, as the error message shows it.
        selection: String,
    },
    /// Several endpoint types serve the same interface and role.
    AmbiguousEndpoint {
        /// The endpoint of the metadata.
        endpoint: String,
        /// The types that serve it.
        types: Vec<String>,
    },
    /// A descriptor holds a hook pattern that does not parse (the macros
    /// prevent this; only hand-built descriptors can).
    BadHookPattern {
        /// The handler.
        id: String,
        /// The pattern.
        pattern: String,
        /// What is wrong.
        problem: String,
    },
    /// [`RegistryBuilder::python_only_once`] names a Rust handler that is
    /// not registered, or several.
    OnceMarkTarget {
        /// The Rust handler as named (`file-suffix:function`).
        rust_handler: String,
        /// How many registered handlers it names (0, or more than 1).
        matches: usize,
    },
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::DuplicateId(id) => {
                write!(f, "two handlers are registered with the id `{id}`")
            }
            RegistryError::NoCharmHandlers { selection } => write!(
                f,
                "{selection} selects no handler: is the charm's library linked \
                 (`reactive_core::run(my_charm::charm())` in `main.rs`), and are its \
                 handlers in that package?"
            ),
            RegistryError::OnceMarkTarget {
                rust_handler,
                matches,
            } => write!(
                f,
                "the Python only_once mark is mapped to `{rust_handler}`, which names {matches} \
                 registered handlers instead of one"
            ),
            RegistryError::AmbiguousEndpoint { endpoint, types } => write!(
                f,
                "endpoint `{endpoint}` is served by several endpoint types ({}); \
                 link only one of them, or choose one with \
                 `CharmDeclaration::prefer_interface_module`",
                types.join(", ")
            ),
            RegistryError::BadHookPattern {
                id,
                pattern,
                problem,
            } => write!(
                f,
                "handler `{id}` has a bad hook pattern `{pattern}`: {problem}"
            ),
        }
    }
}

impl std::error::Error for RegistryError {}

/// Every handler of a charm, ordered and indexed.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    handlers: Vec<HandlerEntry>,
    endpoint_types: Vec<(String, &'static EndpointDescriptor)>,
    unserved: Vec<String>,
    by_flag: HashMap<String, Vec<usize>>,
    hooks_phase: Vec<usize>,
    other_phase: Vec<usize>,
    other_unwatched: Vec<usize>,
    restricted_phase: Vec<usize>,
    once_marks: Vec<OnceMarkMapping>,
}

/// A Python `@only_once` handler whose mark a Rust handler takes over (see
/// [`RegistryBuilder::python_only_once`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnceMarkMapping {
    /// The Python handler: `file-suffix:function`, e.g.
    /// `reactive/app.py:first_run`.
    pub python_handler: String,
    /// The id of the Rust handler that takes the mark over.
    pub rust_id: String,
}

impl OnceMarkMapping {
    /// Whether charms.reactive's invocation id `python_id`
    /// (`/path/to/file.py:LINE:function`) is this mapping's Python handler.
    /// The line is ignored (it moves whenever the file is edited).
    ///
    /// ```
    /// use reactive_core::registry::OnceMarkMapping;
    /// let m = OnceMarkMapping {
    ///     python_handler: "reactive/app.py:first_run".into(),
    ///     rust_id: "src/handlers.rs:10:first_run".into(),
    /// };
    /// assert!(m.matches_python_id("/var/lib/juju/agents/unit-app-0/charm/reactive/app.py:50:first_run"));
    /// assert!(!m.matches_python_id("/charm/reactive/otherapp.py:50:first_run"));
    /// assert!(!m.matches_python_id("/charm/reactive/app.py:50:second_run"));
    /// ```
    pub fn matches_python_id(&self, python_id: &str) -> bool {
        let Some((suffix, function)) = self.python_handler.rsplit_once(':') else {
            return false;
        };
        let mut parts = python_id.rsplitn(3, ':');
        let (Some(id_function), Some(line), Some(path)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        id_function == function
            && !line.is_empty()
            && line.bytes().all(|b| b.is_ascii_digit())
            && (path == suffix
                || path
                    .strip_suffix(suffix)
                    .is_some_and(|head| head.ends_with('/')))
    }
}

impl Registry {
    /// A registry of every handler linked into this program.
    pub fn from_inventory() -> Result<Registry, RegistryError> {
        Registry::builder().build()
    }

    /// Start a registry with a choice of handlers.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    /// The Python `@only_once` marks Rust handlers take over.
    pub fn once_mark_mappings(&self) -> &[OnceMarkMapping] {
        &self.once_marks
    }

    /// Every handler, in dispatch order.
    pub fn handlers(&self) -> &[HandlerEntry] {
        &self.handlers
    }

    /// The handler at `index`.
    pub fn handler(&self, index: usize) -> &HandlerEntry {
        &self.handlers[index]
    }

    /// The handler with id `id`.
    pub fn find(&self, id: &str) -> Option<&HandlerEntry> {
        self.handlers.iter().find(|h| h.id == id)
    }

    /// The number of handlers.
    pub fn len(&self) -> usize {
        self.handlers.len()
    }

    /// Whether there is no handler.
    pub fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }

    /// The endpoint instances to make: each endpoint of the metadata served
    /// by a registered endpoint type, in name order.
    pub fn endpoint_types(&self) -> &[(String, &'static EndpointDescriptor)] {
        &self.endpoint_types
    }

    /// The endpoints of the metadata that no registered endpoint type
    /// serves.
    pub fn unserved_endpoints(&self) -> &[String] {
        &self.unserved
    }

    /// The handlers whose conditions name `flag`, in order.
    pub(crate) fn watchers(&self, flag: &str) -> &[usize] {
        self.by_flag.get(flag).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The handlers that may run in the hooks phase, in order.
    pub(crate) fn hooks_phase(&self) -> &[usize] {
        &self.hooks_phase
    }

    /// The handlers of the main loop, in order.
    pub(crate) fn other_phase(&self) -> &[usize] {
        &self.other_phase
    }

    /// The handlers of the main loop that watch no flag (tested in every
    /// iteration), in order.
    pub(crate) fn other_unwatched(&self) -> &[usize] {
        &self.other_unwatched
    }

    /// The handlers of the action `name`, in order.
    pub fn action_handlers(&self, name: &str) -> Vec<&HandlerEntry> {
        self.handlers
            .iter()
            .filter(|h| matches!(h.kind, HandlerKind::Action(action) if action == name))
            .collect()
    }

    /// The actions that have a handler, sorted, each once.
    pub fn action_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self
            .handlers
            .iter()
            .filter_map(|h| match h.kind {
                HandlerKind::Action(name) => Some(name),
                _ => None,
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The restricted-mode handlers, in order.
    pub(crate) fn restricted_phase(&self) -> &[usize] {
        &self.restricted_phase
    }
}

/// Chooses the handlers of a [`Registry`].
///
/// A charm makes its builder with [`charm!`](crate::charm) and
/// [`CharmDeclaration::registry`](crate::CharmDeclaration::registry); a
/// selection that keeps no handler is an error:
///
/// ```
/// use reactive_core::registry::RegistryError;
/// use reactive_core::Registry;
/// let built = Registry::builder().package("no-such-charm").build();
/// assert!(matches!(built, Err(RegistryError::NoCharmHandlers { .. })));
/// ```
#[derive(Debug, Default)]
pub struct RegistryBuilder {
    packages: Vec<String>,
    endpoint_modules: Vec<String>,
    prefixes: Vec<String>,
    descriptors: Option<Vec<&'static HandlerDescriptor>>,
    metadata: Option<std::sync::Arc<CharmMetadata>>,
    once_marks: Vec<(String, String)>,
}

impl RegistryBuilder {
    /// Keep the handlers defined in the package `package` (its
    /// `CARGO_PKG_NAME`); may be given several times. This is what a
    /// [`CharmDeclaration`](crate::CharmDeclaration) selects.
    pub fn package(mut self, package: &str) -> Self {
        self.packages.push(package.to_string());
        self
    }

    /// When several endpoint types serve one endpoint of the metadata, use
    /// the one defined under `module_prefix`.
    pub fn prefer_endpoint_module(mut self, module_prefix: &str) -> Self {
        self.endpoint_modules.push(module_prefix.to_string());
        self
    }

    /// Keep the handlers whose module path is `prefix` or inside it; may be
    /// given several times (a handler matching any prefix or package is
    /// kept). For the framework's own tests, which select one test module:
    /// a charm selects its package with
    /// [`CharmDeclaration`](crate::CharmDeclaration).
    pub fn module_prefix(mut self, prefix: &str) -> Self {
        self.prefixes.push(prefix.to_string());
        self
    }

    /// Use these descriptors instead of every one linked in.
    pub fn descriptors(mut self, descriptors: Vec<&'static HandlerDescriptor>) -> Self {
        self.descriptors = Some(descriptors);
        self
    }

    /// The charm's metadata: endpoint handlers are registered once per
    /// endpoint it declares for their interface and role.
    pub fn metadata(mut self, metadata: std::sync::Arc<CharmMetadata>) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// For a unit refreshed from the charm's Python build: when the unit
    /// state holds the `@only_once` mark of `python_handler`
    /// (`file-suffix:function`, e.g. `reactive/app.py:first_run`; the mark is
    /// named by the file's absolute path and the line, which are ignored),
    /// the Rust handler `rust_handler` (`file-suffix:function`, e.g.
    /// `src/handlers.rs:first_run`) counts as already run. Applied at the
    /// start of every hook until the Rust handler has its own mark.
    pub fn python_only_once(mut self, python_handler: &str, rust_handler: &str) -> Self {
        self.once_marks
            .push((python_handler.to_string(), rust_handler.to_string()));
        self
    }

    fn selects_all(&self) -> bool {
        self.prefixes.is_empty() && self.packages.is_empty()
    }

    fn keeps(&self, descriptor: &HandlerDescriptor) -> bool {
        self.selects_all()
            || self.packages.iter().any(|p| p == descriptor.crate_name)
            || in_modules(&self.prefixes, descriptor.module_path)
    }

    fn selection(&self) -> String {
        let mut parts: Vec<String> = self
            .packages
            .iter()
            .map(|p| format!("the package `{p}`"))
            .collect();
        parts.extend(self.prefixes.iter().map(|p| format!("the module `{p}`")));
        format!("the charm declaration of {}", parts.join(" and "))
    }

    /// Build the registry: order the handlers, check their ids are unique
    /// and index them by flag.
    pub fn build(self) -> Result<Registry, RegistryError> {
        let descriptors: Vec<&'static HandlerDescriptor> = match &self.descriptors {
            Some(d) => d.clone(),
            None => inventory::iter::<HandlerDescriptor>.into_iter().collect(),
        };
        let (endpoint_types, unserved) = self.endpoint_types()?;
        let mut entries = Vec::new();
        for descriptor in descriptors {
            match descriptor.endpoint {
                None if self.keeps(descriptor) => entries.push(entry(descriptor, None)?),
                None => {}
                Some(serves) => {
                    for (name, ty) in &endpoint_types {
                        if ty.serves == serves {
                            entries.push(entry(descriptor, Some(name))?);
                        }
                    }
                }
            }
        }
        entries.sort_by(|a, b| {
            let (da, db) = (a.descriptor, b.descriptor);
            (da.crate_name, da.file, da.line, da.function, &a.endpoint).cmp(&(
                db.crate_name,
                db.file,
                db.line,
                db.function,
                &b.endpoint,
            ))
        });
        if !self.selects_all() && !entries.iter().any(|e| e.endpoint.is_none()) {
            return Err(RegistryError::NoCharmHandlers {
                selection: self.selection(),
            });
        }
        for pair in entries.windows(2) {
            if pair[0].id == pair[1].id {
                return Err(RegistryError::DuplicateId(pair[0].id.clone()));
            }
        }
        let once_marks = self
            .once_marks
            .iter()
            .map(|(python, rust)| resolve_once_target(&entries, python, rust))
            .collect::<Result<Vec<_>, _>>()?;
        let mut registry = index(entries);
        registry.once_marks = once_marks;
        registry.endpoint_types = endpoint_types;
        registry.unserved = unserved;
        Ok(registry)
    }

    /// Match the metadata's endpoints with the registered endpoint types.
    #[allow(clippy::type_complexity)]
    fn endpoint_types(
        &self,
    ) -> Result<(Vec<(String, &'static EndpointDescriptor)>, Vec<String>), RegistryError> {
        let Some(metadata) = &self.metadata else {
            return Ok((Vec::new(), Vec::new()));
        };
        let all: Vec<&'static EndpointDescriptor> =
            inventory::iter::<EndpointDescriptor>.into_iter().collect();
        let mut endpoints: Vec<_> = metadata.endpoints.iter().collect();
        endpoints.sort_by(|a, b| a.name.cmp(&b.name));
        let mut chosen = Vec::new();
        let mut unserved = Vec::new();
        for endpoint in endpoints {
            let mut candidates: Vec<&'static EndpointDescriptor> = all
                .iter()
                .copied()
                .filter(|d| {
                    d.serves.role == endpoint.role.as_str()
                        && d.serves.interface == endpoint.interface
                })
                .collect();
            if candidates.len() > 1 {
                let preferred: Vec<_> = candidates
                    .iter()
                    .copied()
                    .filter(|d| {
                        in_modules(&self.endpoint_modules, d.module_path)
                            || in_modules(&self.prefixes, d.module_path)
                    })
                    .collect();
                if !preferred.is_empty() {
                    candidates = preferred;
                }
            }
            match candidates.as_slice() {
                [] => unserved.push(endpoint.name.clone()),
                [one] => chosen.push((endpoint.name.clone(), *one)),
                many => {
                    return Err(RegistryError::AmbiguousEndpoint {
                        endpoint: endpoint.name.clone(),
                        types: many
                            .iter()
                            .map(|d| d.serves.type_name.to_string())
                            .collect(),
                    })
                }
            }
        }
        Ok((chosen, unserved))
    }
}

/// Whether `module_path` is one of `prefixes` or inside one.
fn in_modules(prefixes: &[String], module_path: &str) -> bool {
    prefixes.iter().any(|p| {
        module_path == p
            || module_path
                .strip_prefix(p.as_str())
                .is_some_and(|rest| rest.starts_with("::"))
    })
}

/// The one registered handler `rust` (`file-suffix:function`) names.
fn resolve_once_target(
    entries: &[HandlerEntry],
    python: &str,
    rust: &str,
) -> Result<OnceMarkMapping, RegistryError> {
    let probe = OnceMarkMapping {
        python_handler: rust.to_string(),
        rust_id: String::new(),
    };
    let found: Vec<&HandlerEntry> = entries
        .iter()
        .filter(|e| e.endpoint.is_none() && probe.matches_python_id(&e.id))
        .collect();
    match found.as_slice() {
        [one] => Ok(OnceMarkMapping {
            python_handler: python.to_string(),
            rust_id: one.id.clone(),
        }),
        other => Err(RegistryError::OnceMarkTarget {
            rust_handler: rust.to_string(),
            matches: other.len(),
        }),
    }
}

fn entry(
    descriptor: &'static HandlerDescriptor,
    endpoint: Option<&str>,
) -> Result<HandlerEntry, RegistryError> {
    let mut id = format!(
        "{}/{}:{}:{}",
        descriptor.crate_name, descriptor.file, descriptor.line, descriptor.function
    );
    if let Some(endpoint) = endpoint {
        id.push(':');
        id.push_str(endpoint);
    }
    let expand = |flag: &str| match endpoint {
        Some(name) => reactive_grammar::flag::expand_placeholder(flag, name),
        None => flag.to_string(),
    };
    let conditions: Vec<ResolvedCondition> = descriptor
        .conditions
        .iter()
        .map(|c| ResolvedCondition {
            kind: match c {
                Condition::All(_) => ConditionKind::All,
                Condition::Any(_) => ConditionKind::Any,
                Condition::None(_) => ConditionKind::None,
                Condition::NotAll(_) => ConditionKind::NotAll,
            },
            flags: c.flags().iter().map(|f| expand(f)).collect(),
        })
        .collect();
    let mut watched: Vec<String> = Vec::new();
    for flag in conditions.iter().flat_map(|c| c.flags.iter()) {
        if !watched.contains(flag) {
            watched.push(flag.clone());
        }
    }
    let mut hooks = Vec::new();
    for pattern in descriptor.hooks {
        let parsed = parse_hook_pattern(pattern).map_err(|e| RegistryError::BadHookPattern {
            id: id.clone(),
            pattern: pattern.to_string(),
            problem: e.to_string(),
        })?;
        hooks.push(parsed);
    }
    let kind = if let Some(action) = descriptor.action {
        HandlerKind::Action(action)
    } else if let Some(hook) = descriptor.restricted {
        HandlerKind::Restricted(hook)
    } else if !hooks.is_empty() {
        HandlerKind::Hook
    } else if !conditions.is_empty() {
        HandlerKind::Flags
    } else {
        HandlerKind::Unconditioned
    };
    Ok(HandlerEntry {
        id,
        descriptor,
        endpoint: endpoint.map(str::to_string),
        kind,
        conditions,
        watched,
        hooks,
    })
}

fn index(handlers: Vec<HandlerEntry>) -> Registry {
    let mut registry = Registry::default();
    for (i, h) in handlers.iter().enumerate() {
        for flag in &h.watched {
            registry.by_flag.entry(flag.clone()).or_default().push(i);
        }
        if h.runs_in(Phase::Hooks) {
            registry.hooks_phase.push(i);
        }
        if h.runs_in(Phase::Other) {
            registry.other_phase.push(i);
            if h.watched.is_empty() {
                registry.other_unwatched.push(i);
            }
        }
        if h.runs_in(Phase::Restricted) {
            registry.restricted_phase.push(i);
        }
    }
    registry.handlers = handlers;
    registry
}
