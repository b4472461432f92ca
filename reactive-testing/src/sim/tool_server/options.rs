//! Splitting a hook tool's command line as Juju's option parser does:
//! options before, between or after positional arguments, the forms an
//! option's value may take, `--` and `--help`; and the output formats the
//! tools print in. Each tool's own options and arguments are in `commands`.

use std::collections::BTreeMap;

use super::commands::help;

/// Why a command line was not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Parse {
    /// `--help`: print this and exit 0.
    Help(String),
    /// Bad arguments.
    Usage(String),
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Smart,
    Json,
    Yaml,
}

/// One option a tool takes.
#[derive(Clone, Copy)]
pub(super) struct Opt {
    /// Its names without dashes: one letter for `-x`, longer for `--xyz`.
    pub(super) names: &'static [&'static str],
    /// Whether it takes a value.
    pub(super) value: bool,
}

pub(super) const FORMAT: Opt = Opt {
    names: &["format"],
    value: true,
};
pub(super) const OUTPUT: Opt = Opt {
    names: &["o", "output"],
    value: true,
};
pub(super) const RELATION: Opt = Opt {
    names: &["r", "relation"],
    value: true,
};
pub(super) const APP: Opt = Opt {
    names: &["app"],
    value: false,
};

/// A command line split into options and positional arguments.
#[derive(Debug, Default)]
pub(super) struct Args {
    /// Option (first name) to its value (`"true"` for flags).
    pub(super) options: BTreeMap<&'static str, String>,
    pub(super) positional: Vec<String>,
}

impl Args {
    pub(super) fn value(&self, name: &str) -> Option<String> {
        self.options.get(name).cloned()
    }

    pub(super) fn flag(&self, name: &str) -> bool {
        self.options.get(name).is_some_and(|v| v == "true")
    }

    pub(super) fn format(&self) -> Result<Format, Parse> {
        match self.options.get("format").map(String::as_str) {
            None | Some("smart") => Ok(Format::Smart),
            Some("json") => Ok(Format::Json),
            Some("yaml") => Ok(Format::Yaml),
            Some(other) => Err(Parse::Usage(format!(
                "invalid value {other:?} for option --format: unknown format {other:?}"
            ))),
        }
    }

    /// At most `max` positional arguments.
    pub(super) fn at_most(&self, max: usize) -> Result<(), Parse> {
        if self.positional.len() > max {
            Err(unrecognized(&self.positional[max..]))
        } else {
            Ok(())
        }
    }

    pub(super) fn output_unsupported(&self) -> Result<(), Parse> {
        if self.options.contains_key("o") {
            Err(Parse::Usage(
                "--output is not supported by the simulator's hook tools".into(),
            ))
        } else {
            Ok(())
        }
    }
}

pub(super) fn unrecognized(args: &[String]) -> Parse {
    Parse::Usage(format!("unrecognized args: {args:?}"))
}

/// Split `args` as Juju's option parser does: options may come before,
/// between or after positional arguments; `--` ends the options; `-` alone
/// is positional; `-x VALUE`, `-xVALUE`, `-x=VALUE`, `--name VALUE` and
/// `--name=VALUE` all give a value; `--help` and `-h` ask for help.
pub(super) fn split_args(tool: &str, opts: &[Opt], args: &[String]) -> Result<Args, Parse> {
    let mut parsed = Args::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--" {
            parsed.positional.extend(iter.by_ref().cloned());
            break;
        }
        if arg == "-" || !arg.starts_with('-') {
            parsed.positional.push(arg.clone());
            continue;
        }
        let (long, body) = match arg.strip_prefix("--") {
            Some(body) => (true, body),
            None => (false, &arg[1..]),
        };
        let (name, inline): (&str, Option<String>) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (body, None),
        };
        // A short option's value may be glued on: `-rdb:1`.
        let (name, inline) = if !long && inline.is_none() && name.chars().count() > 1 {
            let mut chars = name.chars();
            let first = chars.next().map(|c| c.len_utf8()).unwrap_or(0);
            (&name[..first], Some(name[first..].to_string()))
        } else {
            (name, inline)
        };
        if name == "help" || name == "h" {
            return Err(Parse::Help(help(tool)));
        }
        let is_short = name.chars().count() == 1;
        let opt = opts
            .iter()
            .find(|o| o.names.contains(&name) && (is_short != long || !is_short));
        let Some(opt) = opt else {
            let dashes = if long { "--" } else { "-" };
            return Err(Parse::Usage(format!(
                "option provided but not defined: {dashes}{name}"
            )));
        };
        let key = opt.names[0];
        if opt.value {
            let value = match inline {
                Some(value) => value,
                None => iter
                    .next()
                    .cloned()
                    .ok_or_else(|| Parse::Usage(format!("option needs an argument: {arg}")))?,
            };
            parsed.options.insert(key, value);
        } else {
            let value = match inline.as_deref() {
                None | Some("true") | Some("1") => "true",
                Some("false") | Some("0") => "false",
                Some(other) => {
                    return Err(Parse::Usage(format!(
                        "invalid boolean value {other:?} for option {arg}"
                    )))
                }
            };
            parsed.options.insert(key, value.to_string());
        }
    }
    Ok(parsed)
}
