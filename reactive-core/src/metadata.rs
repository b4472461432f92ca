//! What the runtime knows of the charm's `metadata.yaml`: its relation
//! endpoints with their roles and interfaces.

use reactive_grammar::hook_pattern::Role;

/// One relation endpoint the charm declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointMeta {
    /// The endpoint's name (the key under `provides`, `requires` or `peers`).
    pub name: String,
    /// Which section declares it.
    pub role: Role,
    /// Its `interface`.
    pub interface: String,
}

/// The parts of a charm's metadata the framework uses.
///
/// ```
/// use reactive_core::metadata::CharmMetadata;
/// use reactive_core::Role;
/// let meta = CharmMetadata::new("app").with_endpoint("db", Role::Requires, "mysql");
/// assert_eq!(meta.endpoints_for(Role::Requires, "mysql"), vec!["db".to_string()]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CharmMetadata {
    /// The charm's name.
    pub name: String,
    /// Every relation endpoint, in the order declared.
    pub endpoints: Vec<EndpointMeta>,
}

impl CharmMetadata {
    /// Metadata with a name and no endpoints.
    pub fn new(name: impl Into<String>) -> Self {
        CharmMetadata {
            name: name.into(),
            endpoints: Vec::new(),
        }
    }

    /// Add a relation endpoint.
    pub fn with_endpoint(
        mut self,
        name: impl Into<String>,
        role: Role,
        interface: impl Into<String>,
    ) -> Self {
        self.endpoints.push(EndpointMeta {
            name: name.into(),
            role,
            interface: interface.into(),
        });
        self
    }

    /// The names of the endpoints with this role and interface, as
    /// charmhelpers' `role_and_interface_to_relations` gives them.
    pub fn endpoints_for(&self, role: Role, interface: &str) -> Vec<String> {
        self.endpoints
            .iter()
            .filter(|e| e.role == role && e.interface == interface)
            .map(|e| e.name.clone())
            .collect()
    }

    /// The endpoint called `name`, if declared.
    pub fn endpoint(&self, name: &str) -> Option<&EndpointMeta> {
        self.endpoints.iter().find(|e| e.name == name)
    }
}
