//! Scenarios: a sequence of deployment steps, written in Rust or YAML, run
//! with a report after each step.
//!
//! ```yaml
//! name: telemetry
//! steps:
//!   - deploy: {app: prometheus, charm: prometheus, units: 1}
//!   - deploy: {app: scrape-target, charm: scrape-target, units: 2}
//!   - relate: [scrape-target:metrics, prometheus:scrape]
//!   - config: {app: scrape-target, values: {port: 9200}}
//!   - add-unit: {app: scrape-target, count: 1}
//!   - remove-unit: scrape-target/1
//!   - run-action: {unit: prometheus/0, action: list-jobs, params: {format: json}}
//!   - remove-relation: [scrape-target:metrics, prometheus:scrape]
//!   - add-storage: {unit: prometheus/0, storage: data, count: 1}
//!   - detach-storage: {unit: prometheus/0, id: data/1}
//!   - rotate-secret: {app: prometheus, label: admin-password}
//!   - expire-secret: {app: prometheus, label: admin-password}
//! files: ["prometheus/0:prometheus.yml"]
//! ```

use std::path::{Path, PathBuf};

use reactive_core::names::RelationId;
use serde_json::{Map, Value};
use serde_norway::Value as Yaml;

use super::deployment::{AppSpec, CharmRunner, Deployment, SimError};
use super::report::StepReport;

/// One step of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Deploy an application of a charm with some units.
    Deploy {
        /// The application's name.
        app: String,
        /// The charm's name in the catalog.
        charm: String,
        /// How many units.
        units: usize,
        /// Config values over the defaults.
        config: Map<String, Value>,
    },
    /// Relate two `app:endpoint`s.
    Relate(String, String),
    /// Change config values of an application.
    Config {
        /// The application.
        app: String,
        /// The values (`null` resets to the default).
        values: Map<String, Value>,
    },
    /// Add units to an application.
    AddUnit {
        /// The application.
        app: String,
        /// How many.
        count: usize,
    },
    /// Remove a unit.
    RemoveUnit(String),
    /// Remove the relation between two `app:endpoint`s.
    RemoveRelation(String, String),
    /// Attach more instances of a storage to a unit (`juju add-storage`).
    AddStorage {
        /// The unit.
        unit: String,
        /// The storage's name in the charm's metadata.
        storage: String,
        /// How many instances.
        count: usize,
    },
    /// Detach a storage instance from a unit.
    DetachStorage {
        /// The unit.
        unit: String,
        /// The instance, e.g. `data/1`.
        id: String,
    },
    /// A secret an application owns is due for rotation (`secret-rotate`).
    RotateSecret {
        /// The owning application.
        app: String,
        /// The owner's label of the secret.
        label: String,
    },
    /// A secret's latest revision has expired (`secret-expired`).
    ExpireSecret {
        /// The owning application.
        app: String,
        /// The owner's label of the secret.
        label: String,
    },
    /// Run an action on a unit.
    RunAction {
        /// The unit.
        unit: String,
        /// The action.
        action: String,
        /// Its parameters.
        params: Map<String, Value>,
    },
}

impl Step {
    /// The step in words, for reports.
    pub fn describe(&self) -> String {
        match self {
            Step::Deploy {
                app, charm, units, ..
            } => format!("deploy {app} ({charm}, {units} unit(s))"),
            Step::Relate(a, b) => format!("relate {a} {b}"),
            Step::Config { app, values } => {
                let values: Vec<String> = values
                    .iter()
                    .map(|(k, v)| {
                        let shown = match v {
                            Value::String(s) if s.len() > 40 => "<…>".to_string(),
                            other => other.to_string(),
                        };
                        format!("{k}={shown}")
                    })
                    .collect();
                format!("config {app} {}", values.join(" "))
            }
            Step::AddUnit { app, count } => format!("add-unit {app} x{count}"),
            Step::RemoveUnit(unit) => format!("remove-unit {unit}"),
            Step::RemoveRelation(a, b) => format!("remove-relation {a} {b}"),
            Step::AddStorage {
                unit,
                storage,
                count,
            } => format!("add-storage {unit} {storage}={count}"),
            Step::DetachStorage { unit, id } => format!("detach-storage {unit} {id}"),
            Step::RotateSecret { app, label } => format!("rotate-secret {app} {label}"),
            Step::ExpireSecret { app, label } => format!("expire-secret {app} {label}"),
            Step::RunAction {
                unit,
                action,
                params,
            } => {
                let mut text = format!("run-action {unit} {action}");
                for (k, v) in params {
                    let shown = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    text.push_str(&format!(" {k}={shown}"));
                }
                text
            }
        }
    }
}

/// A named sequence of steps and the files to show after each.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Files to show after each step, as `unit:relative/path`.
    pub files: Vec<String>,
}

fn invalid(file: &Path, at: &str, message: impl std::fmt::Display) -> SimError {
    SimError::Invalid(format!("{}: {at}: {message}", file.display()))
}

fn yaml_to_json(file: &Path, at: &str, v: &Yaml) -> Result<Value, SimError> {
    serde_json::to_value(v).map_err(|e| invalid(file, at, format!("cannot be used: {e}")))
}

fn string_field(
    file: &Path,
    at: &str,
    map: &serde_norway::Mapping,
    key: &str,
) -> Result<String, SimError> {
    match map.get(key) {
        Some(Yaml::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(_) => Err(invalid(
            file,
            &format!("{at}.{key}"),
            "must be a non-empty string",
        )),
        None => Err(invalid(file, at, format!("missing `{key}`"))),
    }
}

fn count_field(
    file: &Path,
    at: &str,
    map: &serde_norway::Mapping,
    key: &str,
    default: usize,
) -> Result<usize, SimError> {
    match map.get(key) {
        None => Ok(default),
        Some(Yaml::Number(n)) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n > 0 && *n <= 1000)
            .ok_or_else(|| {
                invalid(
                    file,
                    &format!("{at}.{key}"),
                    "must be a whole number from 1 to 1000",
                )
            }),
        Some(_) => Err(invalid(file, &format!("{at}.{key}"), "must be a number")),
    }
}

fn object_field(
    file: &Path,
    at: &str,
    map: &serde_norway::Mapping,
    key: &str,
) -> Result<Map<String, Value>, SimError> {
    match map.get(key) {
        None | Some(Yaml::Null) => Ok(Map::new()),
        Some(v @ Yaml::Mapping(_)) => match yaml_to_json(file, &format!("{at}.{key}"), v)? {
            Value::Object(m) => Ok(m),
            _ => Err(invalid(file, &format!("{at}.{key}"), "must be a mapping")),
        },
        Some(_) => Err(invalid(file, &format!("{at}.{key}"), "must be a mapping")),
    }
}

fn pair(file: &Path, at: &str, v: &Yaml) -> Result<(String, String), SimError> {
    match v {
        Yaml::Sequence(items) if items.len() == 2 => match (&items[0], &items[1]) {
            (Yaml::String(a), Yaml::String(b)) if a.contains(':') && b.contains(':') => {
                Ok((a.clone(), b.clone()))
            }
            _ => Err(invalid(file, at, "must name two `app:endpoint`s")),
        },
        _ => Err(invalid(file, at, "must be a list of two `app:endpoint`s")),
    }
}

impl Scenario {
    /// Read a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, SimError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SimError::Io(format!("cannot read {}: {e}", path.display())))?;
        Scenario::parse(&text, path)
    }

    /// Parse scenario YAML; `file` names it in errors.
    pub fn parse(text: &str, file: impl AsRef<Path>) -> Result<Scenario, SimError> {
        let file = file.as_ref();
        reactive_grammar::yaml_nesting::check_yaml_nesting(text)
            .map_err(|e| invalid(file, &format!("line {}", e.line), e.to_string()))?;
        let doc: Yaml = serde_norway::from_str(text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!("line {}, column {}", l.line(), l.column()))
                .unwrap_or_else(|| "top".into());
            invalid(file, &at, format!("not valid YAML: {e}"))
        })?;
        let Yaml::Mapping(top) = doc else {
            return Err(invalid(file, "top", "must be a mapping with `steps`"));
        };
        let name = match top.get("name") {
            Some(Yaml::String(s)) => s.clone(),
            None => String::new(),
            Some(_) => return Err(invalid(file, "name", "must be a string")),
        };
        let Some(Yaml::Sequence(raw_steps)) = top.get("steps") else {
            return Err(invalid(file, "steps", "missing, or not a list"));
        };
        let mut steps = Vec::new();
        for (i, raw) in raw_steps.iter().enumerate() {
            let at = format!("steps[{i}]");
            let Yaml::Mapping(step) = raw else {
                return Err(invalid(file, &at, "must be a mapping of one step kind"));
            };
            if step.len() != 1 {
                return Err(invalid(file, &at, "must hold exactly one step kind"));
            }
            let (kind, body) = step.iter().next().expect("one entry");
            let kind = kind.as_str().unwrap_or_default();
            let at = format!("{at}.{kind}");
            let parsed = match (kind, body) {
                ("deploy", Yaml::Mapping(m)) => Step::Deploy {
                    app: string_field(file, &at, m, "app")?,
                    charm: match m.get("charm") {
                        None => string_field(file, &at, m, "app")?,
                        Some(_) => string_field(file, &at, m, "charm")?,
                    },
                    units: count_field(file, &at, m, "units", 1)?,
                    config: object_field(file, &at, m, "config")?,
                },
                ("relate", v) => {
                    let (a, b) = pair(file, &at, v)?;
                    Step::Relate(a, b)
                }
                ("config", Yaml::Mapping(m)) => Step::Config {
                    app: string_field(file, &at, m, "app")?,
                    values: object_field(file, &at, m, "values")?,
                },
                ("add-unit", Yaml::Mapping(m)) => Step::AddUnit {
                    app: string_field(file, &at, m, "app")?,
                    count: count_field(file, &at, m, "count", 1)?,
                },
                ("remove-unit", Yaml::String(unit)) if unit.contains('/') => {
                    Step::RemoveUnit(unit.clone())
                }
                ("remove-relation", v) => {
                    let (a, b) = pair(file, &at, v)?;
                    Step::RemoveRelation(a, b)
                }
                ("add-storage", Yaml::Mapping(m)) => Step::AddStorage {
                    unit: string_field(file, &at, m, "unit")?,
                    storage: string_field(file, &at, m, "storage")?,
                    count: count_field(file, &at, m, "count", 1)?,
                },
                ("detach-storage", Yaml::Mapping(m)) => Step::DetachStorage {
                    unit: string_field(file, &at, m, "unit")?,
                    id: string_field(file, &at, m, "id")?,
                },
                ("rotate-secret", Yaml::Mapping(m)) => Step::RotateSecret {
                    app: string_field(file, &at, m, "app")?,
                    label: string_field(file, &at, m, "label")?,
                },
                ("expire-secret", Yaml::Mapping(m)) => Step::ExpireSecret {
                    app: string_field(file, &at, m, "app")?,
                    label: string_field(file, &at, m, "label")?,
                },
                ("run-action", Yaml::Mapping(m)) => {
                    let unit = string_field(file, &at, m, "unit")?;
                    if !unit.contains('/') {
                        return Err(invalid(file, &format!("{at}.unit"), "must name a unit (`app/N`)"));
                    }
                    Step::RunAction {
                        unit,
                        action: string_field(file, &at, m, "action")?,
                        params: object_field(file, &at, m, "params")?,
                    }
                }
                (
                    "deploy" | "config" | "add-unit" | "add-storage" | "detach-storage"
                    | "rotate-secret" | "expire-secret" | "run-action",
                    _,
                ) => {
                    return Err(invalid(file, &at, "must be a mapping"))
                }
                ("remove-unit", _) => return Err(invalid(file, &at, "must name a unit (`app/N`)")),
                (other, _) => {
                    return Err(invalid(
                        file,
                        &format!("steps[{i}]"),
                        format!(
                            "unknown step `{other}`; expected deploy, relate, config, add-unit, remove-unit, remove-relation, add-storage, detach-storage, rotate-secret, expire-secret or run-action"
                        ),
                    ))
                }
            };
            steps.push(parsed);
        }
        let files = match top.get("files") {
            None => Vec::new(),
            Some(Yaml::Sequence(items)) => items
                .iter()
                .enumerate()
                .map(|(i, f)| match f {
                    Yaml::String(s) if s.contains(':') => Ok(s.clone()),
                    _ => Err(invalid(
                        file,
                        &format!("files[{i}]"),
                        "must be `unit:relative/path`",
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(invalid(file, "files", "must be a list")),
        };
        Ok(Scenario { name, steps, files })
    }
}

/// Where a scenario finds its charms: how to run a charm by name, and its
/// source directory.
pub type CharmCatalog<'a> = dyn Fn(&str) -> Result<(CharmRunner, PathBuf), SimError> + 'a;

impl Deployment {
    /// The relation between two `app:endpoint`s, if any, as `a`'s side sees
    /// it.
    pub fn find_relation(&self, a: &str, b: &str) -> Option<RelationId> {
        let split = |s: &str| {
            s.split_once(':')
                .map(|(x, y)| (x.to_string(), y.to_string()))
        };
        let (app_a, ep_a) = split(a)?;
        let (app_b, ep_b) = split(b)?;
        self.model()
            .relations
            .values()
            .find(|r| {
                r.endpoints.get(&app_a) == Some(&ep_a) && r.endpoints.get(&app_b) == Some(&ep_b)
            })
            .map(|r| RelationId::new(&ep_a, r.id))
    }

    /// Run one step, and report it.
    pub fn run_step(
        &mut self,
        step: &Step,
        catalog: &CharmCatalog<'_>,
        files: &[String],
    ) -> StepReport {
        let result = match step {
            Step::Deploy {
                app,
                charm,
                units,
                config,
            } => catalog(charm).and_then(|(runner, charm_dir)| {
                self.deploy(AppSpec {
                    name: app.clone(),
                    runner,
                    charm_dir,
                    units: *units,
                    config: config.clone(),
                })
            }),
            Step::Relate(a, b) => self.relate(a, b).map(|_| ()),
            Step::Config { app, values } => self.config(app, values.clone()),
            Step::AddUnit { app, count } => self
                .add_units(app, *count)
                .and_then(|()| self.run_until_quiet()),
            Step::RemoveUnit(unit) => self.remove_unit(unit),
            Step::RemoveRelation(a, b) => match self.find_relation(a, b) {
                Some(id) => self.remove_relation(&id),
                None => Err(SimError::Unknown {
                    what: "relation",
                    name: format!("{a} {b}"),
                }),
            },
            Step::AddStorage {
                unit,
                storage,
                count,
            } => self.add_storage(unit, storage, u32::try_from(*count).unwrap_or(u32::MAX)),
            Step::DetachStorage { unit, id } => self.detach_storage(unit, id),
            Step::RotateSecret { app, label } | Step::ExpireSecret { app, label } => {
                match self.secret_id_by_label(app, label) {
                    Some(id) if matches!(step, Step::RotateSecret { .. }) => {
                        self.rotate_secret(&id)
                    }
                    Some(id) => self.expire_secret(&id),
                    None => Err(SimError::Unknown {
                        what: "secret",
                        name: format!("{label} (of {app})"),
                    }),
                }
            }
            Step::RunAction {
                unit,
                action,
                params,
            } => self
                .run_action(unit, action, Value::Object(params.clone()))
                .map(drop),
        };
        let mut report = StepReport {
            step: step.describe(),
            hooks: self.take_runs(),
            actions: self.take_action_results(),
            units: self.snapshot_units(),
            files: self.snapshot_files(files),
            error: result.err().map(|e| e.to_string()),
        };
        report.scrub(&self.model().secrets.values());
        report
    }

    /// Run every step of `scenario`, calling `on_step` with each report; stops
    /// at the first step that fails (its report carries the error).
    pub fn run_scenario(
        &mut self,
        scenario: &Scenario,
        catalog: &CharmCatalog<'_>,
        on_step: &mut dyn FnMut(&StepReport),
    ) -> Vec<StepReport> {
        let mut reports = Vec::new();
        for step in &scenario.steps {
            let report = self.run_step(step, catalog, &scenario.files);
            on_step(&report);
            let failed = report.error.is_some();
            reports.push(report);
            if failed {
                break;
            }
        }
        reports
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_yaml_nesting_is_refused_at_once_naming_the_file() {
        let deep = format!("name: t\nsteps: {}", "[".repeat(100_000));
        let started = std::time::Instant::now();
        let e = Scenario::parse(&deep, "deep.yaml").unwrap_err().to_string();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(
            e.contains("deep.yaml") && e.contains("nest deeper than 128"),
            "{e}"
        );
    }

    #[test]
    fn parses_every_step_kind() {
        let s = Scenario::parse(
            "name: t\nsteps:\n  - deploy: {app: a, units: 2, config: {x: 1}}\n  - relate: [a:x, b:y]\n  - config: {app: a, values: {x: 2}}\n  - add-unit: {app: a}\n  - remove-unit: a/1\n  - remove-relation: [a:x, b:y]\n  - run-action: {unit: a/0, action: list-jobs, params: {format: text}}\nfiles: ['a/0:f.txt']\n",
            "s.yaml",
        )
        .unwrap();
        assert_eq!(s.steps.len(), 7);
        assert_eq!(
            s.steps[6],
            Step::RunAction {
                unit: "a/0".into(),
                action: "list-jobs".into(),
                params: serde_json::json!({"format": "text"})
                    .as_object()
                    .unwrap()
                    .clone(),
            }
        );
        assert_eq!(
            s.steps[6].describe(),
            "run-action a/0 list-jobs format=text"
        );
        assert_eq!(
            s.steps[0],
            Step::Deploy {
                app: "a".into(),
                charm: "a".into(),
                units: 2,
                config: serde_json::json!({"x": 1}).as_object().unwrap().clone(),
            }
        );
        assert_eq!(s.steps[4], Step::RemoveUnit("a/1".into()));
        assert_eq!(s.files, ["a/0:f.txt"]);
    }

    #[test]
    fn bad_scenarios_name_the_file_and_step() {
        let cases = [
            ("steps: [", "s.yaml: line"),
            ("name: x", "s.yaml: steps: missing"),
            (
                "steps:\n  - fly: {}",
                "s.yaml: steps[0]: unknown step `fly`",
            ),
            (
                "steps:\n  - deploy: {units: 1}",
                "s.yaml: steps[0].deploy: missing `app`",
            ),
            (
                "steps:\n  - deploy: {app: a, units: 0}",
                "s.yaml: steps[0].deploy.units: must be a whole number",
            ),
            (
                "steps:\n  - relate: [a:x]",
                "s.yaml: steps[0].relate: must be a list of two",
            ),
            (
                "steps:\n  - remove-unit: a",
                "s.yaml: steps[0].remove-unit: must name a unit",
            ),
            (
                "steps:\n  - run-action: {unit: a, action: x}",
                "s.yaml: steps[0].run-action.unit: must name a unit",
            ),
            (
                "steps:\n  - run-action: {unit: a/0}",
                "s.yaml: steps[0].run-action: missing `action`",
            ),
            (
                "steps:\n  - {deploy: {app: a}, relate: [a:x, b:y]}",
                "s.yaml: steps[0]: must hold exactly one",
            ),
        ];
        for (text, expected) in cases {
            let e = Scenario::parse(text, "s.yaml").unwrap_err().to_string();
            assert!(e.starts_with(expected), "{text:?}: {e}");
        }
    }
}
