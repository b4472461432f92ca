//! A charm as the runtime sees it: its metadata, its config options and its
//! handlers.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::actions::{ActionsError, ActionsSpec};
use crate::config::{ConfigError, ConfigOptions};
use crate::endpoint::RelationDataMode;
use crate::metadata::{CharmMetadata, MetadataError};
use crate::registry::{Registry, RegistryBuilder, RegistryError};
use crate::unit_state::UnitState;

/// A loaded charm.
#[derive(Debug, Clone)]
pub struct Charm {
    /// `metadata.yaml`.
    pub metadata: Arc<CharmMetadata>,
    /// `config.yaml`.
    pub config_options: Arc<ConfigOptions>,
    /// `actions.yaml` (no actions when the charm has none).
    pub actions: Arc<ActionsSpec>,
    /// Its handlers.
    pub registry: Arc<Registry>,
    /// How its endpoints read remote relation data (the snapshot by
    /// default; see [`crate::endpoint::snapshot`]).
    pub relation_data: RelationDataMode,
}

/// A charm that cannot be loaded.
#[derive(Debug)]
pub enum CharmError {
    /// `metadata.yaml` is missing or malformed.
    Metadata(MetadataError),
    /// `config.yaml` is malformed.
    Config(ConfigError),
    /// `actions.yaml` is malformed.
    Actions(ActionsError),
    /// The handlers cannot be registered.
    Registry(RegistryError),
}

impl fmt::Display for CharmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CharmError::Metadata(e) => write!(f, "{e}"),
            CharmError::Config(e) => write!(f, "{e}"),
            CharmError::Actions(e) => write!(f, "{e}"),
            CharmError::Registry(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CharmError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CharmError::Metadata(e) => Some(e),
            CharmError::Config(e) => Some(e),
            CharmError::Actions(e) => Some(e),
            CharmError::Registry(e) => Some(e),
        }
    }
}

impl Charm {
    /// Load the charm in `dir` (its `metadata.yaml`, `config.yaml` and
    /// `actions.yaml`) with
    /// every handler linked into this program.
    pub fn load(dir: &Path) -> Result<Charm, CharmError> {
        Charm::load_with(dir, Registry::builder())
    }

    /// Load the charm in `dir` with the handlers `registry` chooses (e.g.
    /// one charm's modules when several charms share a process).
    pub fn load_with(dir: &Path, registry: RegistryBuilder) -> Result<Charm, CharmError> {
        Charm::load_for_hook(dir, registry, true, None)
    }

    /// What a hook of the charm in `dir` needs of it: as
    /// [`load_with`](Charm::load_with), but `actions.yaml` is read for an
    /// action only. Nothing else in a hook's process looks at it (Juju
    /// checks it when the charm is deployed, and gives an action its
    /// parameters with their defaults), and reading it was a fifteenth of a
    /// small hook's instructions. With the hook's unit state, `metadata.yaml`
    /// and `config.yaml` are parsed once and kept there for the hooks after
    /// (see [`charm_files`](super::charm_files)).
    pub(crate) fn load_for_hook(
        dir: &Path,
        registry: RegistryBuilder,
        is_action: bool,
        state: Option<&mut UnitState>,
    ) -> Result<Charm, CharmError> {
        let (metadata, options) = match state {
            Some(state) => super::charm_files::load(dir, state)?,
            None => (
                CharmMetadata::load(dir).map_err(CharmError::Metadata)?,
                ConfigOptions::load(dir).map_err(CharmError::Config)?,
            ),
        };
        let actions = match is_action {
            true => Some(ActionsSpec::load(dir).map_err(CharmError::Actions)?),
            false => None,
        };
        let charm = Charm::from_parts(metadata, options, registry)?;
        Ok(match actions {
            Some(actions) => charm.with_actions(actions),
            None => charm,
        })
    }

    /// The charm with the actions `actions` (what `actions.yaml` declares).
    pub fn with_actions(mut self, actions: ActionsSpec) -> Charm {
        self.actions = Arc::new(actions);
        self
    }

    /// A charm from its parts, without actions (see
    /// [`Charm::with_actions`]).
    pub fn from_parts(
        metadata: CharmMetadata,
        config_options: ConfigOptions,
        registry: RegistryBuilder,
    ) -> Result<Charm, CharmError> {
        let metadata = Arc::new(metadata);
        let registry = registry
            .metadata(metadata.clone())
            .build()
            .map_err(CharmError::Registry)?;
        Ok(Charm {
            metadata,
            config_options: Arc::new(config_options),
            actions: Arc::new(ActionsSpec::default()),
            registry: Arc::new(registry),
            relation_data: RelationDataMode::default(),
        })
    }

    /// The same charm, reading remote relation data as `mode` says.
    pub fn with_relation_data(mut self, mode: RelationDataMode) -> Charm {
        self.relation_data = mode;
        self
    }
}
