//! The simulated Juju: a model of applications, units and relations, hook
//! tools that answer from it, and a deployment simulator that runs charms
//! through whole scenarios without Juju.
//!
//! Two charms in process, related: `web` publishes its `port` option on
//! its `website` endpoint, `client` reports the port it received as its
//! status.
//!
//! ```
//! use reactive_core::config::ConfigOptions;
//! use reactive_core::endpoint::EndpointBase;
//! use reactive_core::metadata::CharmMetadata;
//! use reactive_core::prelude::*;
//! use reactive_core::registry::RegistryBuilder;
//! use reactive_core::runtime::Charm;
//! use reactive_testing::sim::{AppSpec, CharmRunner, Deployment, Status};
//!
//! // The `http` interface: one endpoint type per role.
//! pub struct HttpProvides { base: EndpointBase }
//! impl Endpoint for HttpProvides {
//!     fn from_base(base: EndpointBase) -> Self { HttpProvides { base } }
//!     fn base(&self) -> &EndpointBase { &self.base }
//!     fn base_mut(&mut self) -> &mut EndpointBase { &mut self.base }
//! }
//! #[endpoint(interface = "http", role = "provides")]
//! impl HttpProvides {}
//!
//! pub struct HttpRequires { base: EndpointBase }
//! impl Endpoint for HttpRequires {
//!     fn from_base(base: EndpointBase) -> Self { HttpRequires { base } }
//!     fn base(&self) -> &EndpointBase { &self.base }
//!     fn base_mut(&mut self) -> &mut EndpointBase { &mut self.base }
//! }
//! #[endpoint(interface = "http", role = "requires")]
//! impl HttpRequires {}
//!
//! // A charm's tests take its declaration, `my_charm::charm()`; these two
//! // charms share one example, so each selects the handlers of its module.
//! mod web {
//!     use super::*;
//!     pub const METADATA: &str = "name: web\nprovides:\n  website:\n    interface: http\n";
//!     pub const CONFIG: &str = "options:\n  port: {type: int, default: 80}\n";
//!     pub fn registry() -> RegistryBuilder { Registry::builder().module_prefix(module_path!()) }
//!
//!     #[when("endpoint.website.joined")]
//!     fn publish_port(ctx: &mut Context, website: &mut HttpProvides) -> HandlerResult {
//!         let port = ctx.config().get_i64("port").unwrap_or(80);
//!         for relation in website.relations_mut().iter_mut() {
//!             relation.to_publish()?.set("port", port.into());
//!         }
//!         Ok(())
//!     }
//! }
//!
//! mod client {
//!     use super::*;
//!     pub const METADATA: &str = "name: client\nrequires:\n  backend:\n    interface: http\n";
//!     pub fn registry() -> RegistryBuilder { Registry::builder().module_prefix(module_path!()) }
//!
//!     #[when("endpoint.backend.changed.port")]
//!     fn connect(ctx: &mut Context, backend: &HttpRequires) -> HandlerResult {
//!         let port = backend.all_joined_units().received()?.get("port").cloned();
//!         if let Some(port) = port {
//!             ctx.status_set(WorkloadState::Active, &format!("connected to port {port}"))?;
//!             ctx.set_flag("client.connected");
//!         }
//!         ctx.clear_flag("endpoint.backend.changed.port");
//!         Ok(())
//!     }
//! }
//!
//! fn in_process(metadata: &str, config: &str, registry: RegistryBuilder) -> CharmRunner {
//!     let metadata = CharmMetadata::parse(metadata, "metadata.yaml").unwrap();
//!     let options = ConfigOptions::parse(config, "config.yaml").unwrap();
//!     CharmRunner::InProcess(Charm::from_parts(metadata, options, registry).unwrap())
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let workdir = std::env::temp_dir().join(format!("sim-example-{}", std::process::id()));
//! let mut model = Deployment::new(&workdir)?;
//! for (name, runner) in [
//!     ("web", in_process(web::METADATA, web::CONFIG, web::registry())),
//!     ("client", in_process(client::METADATA, "", client::registry())),
//! ] {
//!     model.deploy(AppSpec {
//!         name: name.into(),
//!         runner,
//!         charm_dir: workdir.join(name), // where metadata.yaml would be
//!         units: 1,
//!         config: Default::default(),
//!     })?;
//! }
//! let relation = model.relate("web:website", "client:backend")?;
//! assert_eq!(relation, "website:0"); // the id as web's side sees it
//!
//! let status = |model: &Deployment| model.model().units["client/0"].status.clone();
//! assert!(model.unit_flags("client/0").contains(&"client.connected".to_string()));
//! assert_eq!(
//!     status(&model),
//!     Some(Status { state: WorkloadState::Active, message: "connected to port 80".into() })
//! );
//!
//! // A config change runs config-changed on web, then the relation hooks
//! // its new data causes on client.
//! model.config("web", serde_json::json!({"port": 8080}).as_object().unwrap().clone())?;
//! assert_eq!(status(&model).unwrap().message, "connected to port 8080");
//! for run in model.take_runs() {
//!     println!("{} {} {:?}", run.unit, run.hook, run.invoked);
//! }
//!
//! model.remove_relation(&relation)?;
//! assert!(!model.unit_flags("client/0").contains(&"endpoint.backend.joined".to_string()));
//! # std::fs::remove_dir_all(&workdir)?;
//! # Ok(())
//! # }
//! ```

pub mod action;
pub mod deployment;
pub mod model;
pub mod process;
pub mod queue;
pub mod report;
pub mod scenario;
pub mod secret_model;
pub mod tool_client;
pub mod tool_server;
pub mod unit_tools;
pub mod yardstick;

pub use action::ActionResult;
pub use deployment::{AppSpec, CharmRunner, Deployment, HookRun, QueuedHook, SimError};
pub use model::{ModelState, Status};
pub use process::{ProcessCharm, ProcessHost, ProcessTiming};
pub use report::{FileSnapshot, StepReport, UnitSnapshot};
pub use scenario::{CharmCatalog, Scenario, Step};
pub use unit_tools::{ChangedBag, SharedModel, SharedUnitTools, ToolCall, UnitTools};
