//! Validate against the charm's `metadata.yaml`: every `endpoint.<name>.*`
//! flag and every `<name>-relation-*` hook pattern must name an endpoint the
//! charm declares under `provides`, `requires` or `peers`.
//!
//! The file is `metadata.yaml`, else `charmcraft.yaml`, beside the charm
//! crate's `Cargo.toml` (`CARGO_MANIFEST_DIR`), or, for a crate that has
//! neither, the one named by [`PATH_VAR`] (for tests: trybuild builds in
//! its own directory; the variable applies only to the crate cargo was
//! asked to build, never to its dependencies). No file
//! means no metadata rules. The parse is cached per path and modification
//! time in the macro process, and the generated code names the file with
//! `include_bytes!` and the variable with `option_env!`, so that editing
//! either recompiles the charm on stable Rust.
//!
//! The rules are pure functions ([`parse_endpoints`], [`Endpoints`]); only
//! [`Metadata::load`] reads the environment and the file system.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use proc_macro2::TokenStream;
use reactive_grammar::hook_pattern::{HookPattern, Role};
use reactive_grammar::suggest::closest;
use serde_norway::Value as Yaml;

/// The environment variable naming the metadata file to check against,
/// instead of the one beside `Cargo.toml`. A relative path is taken from
/// `CARGO_MANIFEST_DIR`; an empty value counts as unset.
pub(crate) const PATH_VAR: &str = "REACTIVE_METADATA_PATH";

/// The files looked for beside `Cargo.toml`, in order.
const FILE_NAMES: [&str; 2] = ["metadata.yaml", "charmcraft.yaml"];

/// Why a metadata file yields no endpoint names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileProblem {
    /// The 1-based line at fault, when known.
    pub(crate) line: Option<usize>,
    /// What is wrong.
    pub(crate) message: String,
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The endpoint names `text` declares under `provides`, `requires` and
/// `peers`, in that order, each once. Any other key is ignored.
pub(crate) fn parse_endpoints(text: &str) -> Result<Vec<String>, FileProblem> {
    reactive_grammar::yaml_nesting::check_yaml_nesting(text).map_err(|e| FileProblem {
        line: Some(e.line),
        message: format!("is refused: {e}"),
    })?;
    let doc: Yaml = serde_norway::from_str(text).map_err(|e| {
        let location = e.location();
        let mut message = e.to_string();
        if let Some(at) = &location {
            // The location goes first in our message: do not repeat it.
            message = message.replace(
                &format!(" at line {} column {}", at.line(), at.column()),
                "",
            );
        }
        FileProblem {
            line: location.as_ref().map(|at| at.line()),
            message: match location {
                Some(at) => format!(
                    "is not valid YAML at line {}, column {}: {message}",
                    at.line(),
                    at.column()
                ),
                None => format!("is not valid YAML: {message}"),
            },
        }
    })?;
    let top = match doc {
        Yaml::Mapping(top) => top,
        Yaml::Null => return Ok(Vec::new()),
        _ => return Err(shape_problem("must be a mapping at the top level")),
    };
    let mut names: Vec<String> = Vec::new();
    for role in Role::ALL {
        let section = role.as_str();
        let entries = match top.get(section) {
            None | Some(Yaml::Null) => continue,
            Some(Yaml::Mapping(entries)) => entries,
            Some(_) => {
                return Err(shape_problem(format!(
                    "`{section}` must be a mapping of endpoint names"
                )))
            }
        };
        for key in entries.keys() {
            let Yaml::String(name) = key else {
                return Err(shape_problem(format!(
                    "`{section}` has a key that is not a string; endpoint names are strings"
                )));
            };
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    Ok(names)
}

fn shape_problem(message: impl Into<String>) -> FileProblem {
    FileProblem {
        line: None,
        message: message.into(),
    }
}

/// The endpoints a charm declares, and the name of the file declaring them
/// (for messages).
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    file_name: String,
    names: Arc<[String]>,
}

impl Endpoints {
    /// The endpoints `names` declared by the file called `file_name`.
    pub(crate) fn new(file_name: impl Into<String>, names: Arc<[String]>) -> Self {
        Endpoints {
            file_name: file_name.into(),
            names,
        }
    }

    /// The problem with `flag`, if it names an endpoint (`endpoint.<name>`
    /// or `endpoint.<name>.…`, the name written literally) that is not
    /// declared. Other flags, and `endpoint.{endpoint_name}.…`, pass.
    pub(crate) fn check_flag(&self, flag: &str) -> Option<String> {
        let name = flag_endpoint(flag)?;
        self.unknown(name, flag)
    }

    /// The problems with `pattern`: one per endpoint written literally in
    /// its relation hook names (`db` in `db-relation-{joined,changed}`) that
    /// is not declared.
    pub(crate) fn check_hook(&self, pattern: &HookPattern) -> Vec<String> {
        pattern
            .relation_endpoints()
            .iter()
            .filter_map(|name| self.unknown(name, pattern.as_str()))
            .collect()
    }

    /// The message for `name`, written in `written`, when it is not declared.
    fn unknown(&self, name: &str, written: &str) -> Option<String> {
        if self.names.iter().any(|known| known == name) {
            return None;
        }
        let file = &self.file_name;
        let declared = if self.names.is_empty() {
            format!("{file} declares no endpoints")
        } else {
            let list: Vec<String> = self.names.iter().map(|n| format!("`{n}`")).collect();
            format!("{file} declares {}", list.join(", "))
        };
        let hint = closest(name, self.names.iter().map(String::as_str))
            .map(|near| format!("; did you mean `{near}`?"))
            .unwrap_or_default();
        Some(format!(
            "unknown endpoint `{name}` in `{written}`: {declared}{hint}"
        ))
    }
}

/// The endpoint name `flag` names literally: the segment after a leading
/// `endpoint.`, unless it holds a placeholder.
fn flag_endpoint(flag: &str) -> Option<&str> {
    let rest = flag.strip_prefix("endpoint.")?;
    let name = rest.split('.').next()?;
    (!name.is_empty() && !name.contains(['{', '}'])).then_some(name)
}

/// The metadata of the charm being compiled, as one macro invocation sees
/// it.
pub(crate) struct Metadata {
    /// The file read, absolute, to track so that editing it recompiles.
    tracked: Option<PathBuf>,
    state: State,
}

enum State {
    /// No file: no metadata rules.
    Absent,
    Endpoints(Endpoints),
    /// A file that yields no endpoint names; the message names it.
    Problem(String),
}

impl Metadata {
    /// Find, read and parse the charm's metadata file (cached per path and
    /// modification time).
    pub(crate) fn load() -> Metadata {
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
        // The override is for the crate the build was asked for (a trybuild
        // case); cargo marks it with `CARGO_PRIMARY_PACKAGE`. Dependencies
        // compiled in the same build (interface crates) never take it.
        let override_path = std::env::var_os("CARGO_PRIMARY_PACKAGE")
            .and_then(|_| std::env::var_os(PATH_VAR))
            .map(PathBuf::from);
        let Some(Located { path, overridden }) = locate(manifest_dir.as_deref(), override_path)
        else {
            return Metadata {
                tracked: None,
                state: State::Absent,
            };
        };
        let shown = shown_path(&path, manifest_dir.as_deref());
        match read_cached(&path) {
            Ok(Ok(names)) => {
                let file_name = path
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_else(|| shown.clone());
                Metadata {
                    tracked: Some(path),
                    state: State::Endpoints(Endpoints::new(file_name, names)),
                }
            }
            Ok(Err(problem)) => Metadata {
                tracked: Some(path),
                state: State::Problem(format!("cannot check endpoint names: `{shown}` {problem}")),
            },
            Err(io) => {
                let named_by = if overridden {
                    format!(" (named by `{PATH_VAR}`)")
                } else {
                    String::new()
                };
                Metadata {
                    tracked: None,
                    state: State::Problem(format!(
                        "cannot check endpoint names: cannot read `{shown}`{named_by}: {io}"
                    )),
                }
            }
        }
    }

    /// The declared endpoints, when a file was found and parsed.
    pub(crate) fn endpoints(&self) -> Option<&Endpoints> {
        match &self.state {
            State::Endpoints(endpoints) => Some(endpoints),
            _ => None,
        }
    }

    /// Why the file found yields no endpoints, to report once per macro
    /// invocation.
    pub(crate) fn problem(&self) -> Option<&str> {
        match &self.state {
            State::Problem(message) => Some(message),
            _ => None,
        }
    }

    /// Items that make the crate recompile when the file or [`PATH_VAR`]
    /// changes: `include_bytes!` of the file read, when there is one, and
    /// `option_env!` of the variable, always.
    pub(crate) fn tracking(&self) -> TokenStream {
        crate::tracking::recompile_on_change(self.tracked.as_deref(), PATH_VAR)
    }
}

/// The metadata file to check against.
#[derive(Debug, PartialEq, Eq)]
struct Located {
    path: PathBuf,
    /// Whether [`PATH_VAR`] named it.
    overridden: bool,
}

/// The metadata file of the crate in `manifest_dir`: `metadata.yaml`, else
/// `charmcraft.yaml` in `manifest_dir`, when one is a file; else
/// `override_path` (the value of [`PATH_VAR`]) when set and not empty,
/// taken from `manifest_dir` when relative, whether or not it exists.
///
/// A crate's own file wins over the override: the variable is for test
/// crates that have none (trybuild's), and it also reaches every
/// dependency compiled in the same build, whose own files must still rule.
fn locate(manifest_dir: Option<&Path>, override_path: Option<PathBuf>) -> Option<Located> {
    if let Some(dir) = manifest_dir {
        if let Some(path) = FILE_NAMES
            .iter()
            .map(|name| dir.join(name))
            .find(|path| path.is_file())
        {
            return Some(Located {
                path,
                overridden: false,
            });
        }
    }
    let path = override_path.filter(|p| !p.as_os_str().is_empty())?;
    let path = match manifest_dir {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path,
    };
    Some(Located {
        path,
        overridden: true,
    })
}

/// `path` relative to the manifest directory when inside it, for messages.
fn shown_path(path: &Path, manifest_dir: Option<&Path>) -> String {
    manifest_dir
        .and_then(|dir| path.strip_prefix(dir).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

type Parsed = Result<Arc<[String]>, FileProblem>;

/// The parse of the file at `path`, from the cache when the file has not
/// changed since; `Err` when it cannot be read.
fn read_cached(path: &Path) -> std::io::Result<Parsed> {
    type Cache = Mutex<HashMap<PathBuf, (SystemTime, Parsed)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    if let Some(modified) = modified {
        let entries = cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((seen, parsed)) = entries.get(path) {
            if *seen == modified {
                return Ok(parsed.clone());
            }
        }
    }
    let text = std::fs::read_to_string(path)?;
    let parsed: Parsed = parse_endpoints(&text).map(Arc::from);
    if let Some(modified) = modified {
        let mut entries = cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.insert(path.to_path_buf(), (modified, parsed.clone()));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reactive_grammar::hook_pattern::parse_hook_pattern;

    const CHARM: &str = "\
name: demo
provides:
  metrics:
    interface: prometheus-manual
requires:
  db:
    interface: mysql
peers:
  cluster:
    interface: cluster
";

    #[test]
    fn deep_yaml_nesting_is_refused_at_once() {
        let deep = format!("name: demo\nx: {}", "[".repeat(100_000));
        let started = std::time::Instant::now();
        let problem = parse_endpoints(&deep).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(
            problem.message.contains("nest deeper than 128"),
            "{}",
            problem.message
        );
        assert_eq!(problem.line, Some(2));
    }

    fn endpoints(names: &[&str]) -> Endpoints {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        Endpoints::new("metadata.yaml", Arc::from(names))
    }

    fn hook(endpoints: &Endpoints, pattern: &str) -> Vec<String> {
        endpoints.check_hook(&parse_hook_pattern(pattern).unwrap())
    }

    #[test]
    fn parses_endpoint_names_by_role() {
        assert_eq!(
            parse_endpoints(CHARM).unwrap(),
            ["metrics", "db", "cluster"]
        );
    }

    #[test]
    fn parses_sections_in_role_order_whatever_the_file_order() {
        let text = "peers:\n  p: {interface: x}\nrequires:\n  r: {interface: x}\nprovides:\n  a: {interface: x}\n";
        assert_eq!(parse_endpoints(text).unwrap(), ["a", "r", "p"]);
    }

    #[test]
    fn parses_files_without_endpoints() {
        assert!(parse_endpoints("name: demo\n").unwrap().is_empty());
        assert!(parse_endpoints("name: demo\nprovides:\n")
            .unwrap()
            .is_empty());
        assert!(parse_endpoints("").unwrap().is_empty());
    }

    #[test]
    fn ignores_other_keys_and_duplicates() {
        let text = "name: demo\nextra-bindings: {a: b}\nprovides: {db: {interface: x}}\nrequires: {db: {interface: y}}\n";
        assert_eq!(parse_endpoints(text).unwrap(), ["db"]);
    }

    #[test]
    fn invalid_yaml_names_the_line() {
        let problem = parse_endpoints("name: demo\nprovides:\n  metrics: [\n").unwrap_err();
        assert_eq!(problem.line, Some(4), "{problem}");
        assert!(
            problem
                .message
                .starts_with("is not valid YAML at line 4, column 1: "),
            "{problem}"
        );
        assert!(!problem.message.contains("at line 4 column 1"), "{problem}");

        let problem = parse_endpoints("name: demo\n\tprovides: x\n").unwrap_err();
        assert_eq!(problem.line, Some(2), "{problem}");
    }

    #[test]
    fn wrong_shapes_are_problems() {
        assert_eq!(
            parse_endpoints("- a\n").unwrap_err().message,
            "must be a mapping at the top level"
        );
        assert_eq!(
            parse_endpoints("requires: [db]\n").unwrap_err().message,
            "`requires` must be a mapping of endpoint names"
        );
        assert_eq!(
            parse_endpoints("peers:\n  1: {interface: x}\n")
                .unwrap_err()
                .message,
            "`peers` has a key that is not a string; endpoint names are strings"
        );
    }

    #[test]
    fn known_endpoint_flags_pass() {
        let e = endpoints(&["metrics", "db"]);
        for flag in [
            "endpoint.metrics.joined",
            "endpoint.db",
            "endpoint.db.changed.host",
        ] {
            assert_eq!(e.check_flag(flag), None, "{flag}");
        }
    }

    #[test]
    fn flags_not_naming_an_endpoint_pass() {
        let e = endpoints(&["metrics"]);
        for flag in [
            "db.ready",
            "app.installed",
            "endpoint",
            "endpoints.x.joined",
            "my.endpoint.x",
            "endpoint.{endpoint_name}.joined",
            "endpoint.{endpoint_name}",
        ] {
            assert_eq!(e.check_flag(flag), None, "{flag}");
        }
    }

    #[test]
    fn unknown_endpoint_flag_with_suggestion() {
        assert_eq!(
            endpoints(&["metrics", "db"]).check_flag("endpoint.metric.joined"),
            Some(
                "unknown endpoint `metric` in `endpoint.metric.joined`: metadata.yaml declares \
                 `metrics`, `db`; did you mean `metrics`?"
                    .to_string()
            )
        );
    }

    #[test]
    fn unknown_endpoint_flag_without_suggestion() {
        assert_eq!(
            endpoints(&["metrics", "db"]).check_flag("endpoint.website.joined"),
            Some(
                "unknown endpoint `website` in `endpoint.website.joined`: metadata.yaml declares \
                 `metrics`, `db`"
                    .to_string()
            )
        );
    }

    #[test]
    fn unknown_endpoint_when_none_is_declared() {
        assert_eq!(
            Endpoints::new("charmcraft.yaml", Arc::from(Vec::new())).check_flag("endpoint.db"),
            Some(
                "unknown endpoint `db` in `endpoint.db`: charmcraft.yaml declares no endpoints"
                    .to_string()
            )
        );
    }

    #[test]
    fn hook_patterns() {
        let e = endpoints(&["metrics", "db"]);
        for pattern in [
            "install",
            "db-relation-{joined,changed}",
            "{metrics,db}-relation-broken",
            "{requires:mysql}-relation-joined",
            "data-storage-attached",
        ] {
            assert!(hook(&e, pattern).is_empty(), "{pattern}");
        }
        assert_eq!(
            hook(&e, "metric-relation-joined"),
            [
                "unknown endpoint `metric` in `metric-relation-joined`: metadata.yaml declares \
              `metrics`, `db`; did you mean `metrics`?"
            ]
        );
        assert_eq!(
            hook(&e, "{db,cache,website}-relation-joined"),
            [
                "unknown endpoint `cache` in `{db,cache,website}-relation-joined`: metadata.yaml \
                 declares `metrics`, `db`",
                "unknown endpoint `website` in `{db,cache,website}-relation-joined`: metadata.yaml \
                 declares `metrics`, `db`",
            ]
        );
    }

    #[test]
    fn shown_path_is_relative_to_the_manifest_when_inside() {
        let dir = Path::new("/charm");
        assert_eq!(
            shown_path(Path::new("/charm/metadata.yaml"), Some(dir)),
            "metadata.yaml"
        );
        assert_eq!(
            shown_path(Path::new("/elsewhere/metadata.yaml"), Some(dir)),
            "/elsewhere/metadata.yaml"
        );
        assert_eq!(
            shown_path(Path::new("/charm/metadata.yaml"), None),
            "/charm/metadata.yaml"
        );
    }

    /// A fresh directory for one test.
    fn temp_dir(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "reactive-macros-metadata-{test}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn locates_metadata_then_charmcraft_beside_the_manifest() {
        let dir = temp_dir("locate");
        assert_eq!(locate(Some(&dir), None), None);
        assert_eq!(locate(None, None), None);
        std::fs::write(dir.join("charmcraft.yaml"), "name: x\n").unwrap();
        let found = |path: PathBuf| {
            Some(Located {
                path,
                overridden: false,
            })
        };
        assert_eq!(locate(Some(&dir), None), found(dir.join("charmcraft.yaml")));
        std::fs::write(dir.join("metadata.yaml"), "name: x\n").unwrap();
        assert_eq!(locate(Some(&dir), None), found(dir.join("metadata.yaml")));
        assert_eq!(
            locate(Some(&dir), Some(PathBuf::new())),
            found(dir.join("metadata.yaml")),
            "an empty override counts as unset"
        );
        assert_eq!(
            locate(Some(&dir), Some(PathBuf::from("/elsewhere/meta.yaml"))),
            found(dir.join("metadata.yaml")),
            "a crate's own file wins over the override"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_override_wins_and_is_taken_from_the_manifest_dir() {
        let dir = Path::new("/charm");
        let overridden = |path: &str| {
            Some(Located {
                path: PathBuf::from(path),
                overridden: true,
            })
        };
        assert_eq!(
            locate(Some(dir), Some(PathBuf::from("tests/meta.yaml"))),
            overridden("/charm/tests/meta.yaml")
        );
        assert_eq!(
            locate(Some(dir), Some(PathBuf::from("/elsewhere/meta.yaml"))),
            overridden("/elsewhere/meta.yaml")
        );
        assert_eq!(
            locate(None, Some(PathBuf::from("meta.yaml"))),
            overridden("meta.yaml")
        );
    }

    #[test]
    fn cache_follows_the_file() {
        let dir = temp_dir("cache");
        let path = dir.join("metadata.yaml");
        std::fs::write(&path, "provides: {a: {interface: x}}\n").unwrap();
        let names = |parsed: Parsed| parsed.unwrap().to_vec();
        assert_eq!(names(read_cached(&path).unwrap()), ["a"]);
        assert_eq!(names(read_cached(&path).unwrap()), ["a"]);
        std::fs::write(&path, "provides: {b: {interface: x}}\n").unwrap();
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(later))
            .unwrap();
        assert_eq!(names(read_cached(&path).unwrap()), ["b"]);
        std::fs::write(&path, "provides: [\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(later + std::time::Duration::from_secs(5)))
            .unwrap();
        assert_eq!(read_cached(&path).unwrap().unwrap_err().line, Some(2));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(read_cached(&path).is_err());
    }
}
