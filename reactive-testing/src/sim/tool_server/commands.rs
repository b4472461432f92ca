//! Each hook tool's grammar: which options and positional arguments it
//! takes, their defaults and checks, giving a parsed [`Call`] or a usage
//! error (or `--help` text) worded as Juju words it.

use super::model_commands::{self, ModelCall, MODEL_TOOLS};
use super::options::{split_args, Format, Opt, Parse, APP, FORMAT, OUTPUT, RELATION};
use reactive_core::log::LogLevel;
use reactive_core::tools::WorkloadState;

/// A `--network-get` selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NetSelect {
    Primary,
    Bind,
    Ingress,
    Egress,
}

/// A parsed tool invocation.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Call {
    RelationGet {
        relation_id: Option<String>,
        app: bool,
        key: Option<String>,
        target: Option<String>,
        format: Format,
    },
    RelationSet {
        relation_id: Option<String>,
        app: bool,
        file: bool,
        settings: Vec<(String, String)>,
    },
    RelationIds {
        endpoint: Option<String>,
        format: Format,
    },
    RelationList {
        relation_id: Option<String>,
        format: Format,
    },
    ConfigGet {
        key: Option<String>,
        all: bool,
        format: Format,
    },
    IsLeader {
        format: Format,
    },
    LeaderGet {
        key: Option<String>,
        format: Format,
    },
    LeaderSet {
        settings: Vec<(String, String)>,
    },
    JujuLog {
        level: LogLevel,
        message: String,
    },
    StatusSet {
        application: bool,
        state: WorkloadState,
        message: String,
    },
    UnitGet {
        key: String,
        format: Format,
    },
    NetworkGet {
        binding: Option<String>,
        relation_id: Option<String>,
        select: Option<NetSelect>,
        format: Format,
    },
    ApplicationVersionSet {
        version: String,
    },
    /// A tool about the model or a `secret-*` tool.
    Model(ModelCall),
    ActionGet {
        key: Option<String>,
        format: Format,
    },
    ActionSet {
        settings: Vec<(String, String)>,
    },
    ActionFail {
        message: String,
    },
    ActionLog {
        message: String,
    },
}

pub(super) fn help(tool: &str) -> String {
    let usage = match tool {
        "relation-get" => "relation-get [options] <key> <unit id>",
        "relation-set" => "relation-set [options] key=value [key=value ...]",
        "relation-ids" => "relation-ids [options] <name>",
        "relation-list" => "relation-list [options]",
        "config-get" => "config-get [options] [<key>]",
        "is-leader" => "is-leader [options]",
        "leader-get" => "leader-get [options] [<key>]",
        "leader-set" => "leader-set <key>=<value> [...]",
        "juju-log" => "juju-log [options] <message>",
        "status-set" => "status-set [options] <maintenance | blocked | waiting | active> [message]",
        "unit-get" => "unit-get [options] <setting>",
        "network-get" => "network-get [options] <binding-name>",
        "application-version-set" => "application-version-set <new-version>",
        "action-get" => "action-get [options] [<key>[.<key>.<key>...]]",
        "action-set" => "action-set <key>=<value> [<key>=<value> ...]",
        "action-fail" => "action-fail [\"<failure message>\"]",
        "action-log" => "action-log <message>",
        other => model_commands::usage(other).unwrap_or(""),
    };
    format!("Usage: {usage}\n\n(served by the reactive-rs simulator)\n")
}

/// `key=value` arguments.
fn settings(args: &[String]) -> Result<Vec<(String, String)>, Parse> {
    args.iter()
        .map(|arg| match arg.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
            _ => Err(Parse::Usage(format!("expected \"key=value\", got {arg:?}"))),
        })
        .collect()
}

/// An optional key argument; `-` means "every key".
fn key_arg(arg: Option<&String>) -> Option<String> {
    arg.filter(|k| k.as_str() != "-" && !k.is_empty()).cloned()
}

fn parse_level(text: &str) -> Result<LogLevel, Parse> {
    match text.to_ascii_uppercase().as_str() {
        "TRACE" | "DEBUG" => Ok(LogLevel::Debug),
        "INFO" => Ok(LogLevel::Info),
        "WARNING" | "WARN" => Ok(LogLevel::Warning),
        "ERROR" | "CRITICAL" => Ok(LogLevel::Error),
        _ => Err(Parse::Usage(format!(
            "invalid log level {text:?}; expected TRACE, DEBUG, INFO, WARNING, ERROR or CRITICAL"
        ))),
    }
}

/// Parse one tool's command line.
pub(super) fn parse(tool: &str, args: &[String]) -> Result<Call, Parse> {
    match tool {
        "relation-get" => {
            let a = split_args(tool, &[FORMAT, OUTPUT, RELATION, APP], args)?;
            a.output_unsupported()?;
            a.at_most(2)?;
            Ok(Call::RelationGet {
                relation_id: a.value("r"),
                app: a.flag("app"),
                key: key_arg(a.positional.first()),
                target: a.positional.get(1).cloned(),
                format: a.format()?,
            })
        }
        "relation-set" => {
            let file = Opt {
                names: &["file"],
                value: true,
            };
            let a = split_args(tool, &[FORMAT, RELATION, APP, file], args)?;
            Ok(Call::RelationSet {
                relation_id: a.value("r"),
                app: a.flag("app"),
                file: a.options.contains_key("file"),
                settings: settings(&a.positional)?,
            })
        }
        "relation-ids" => {
            let a = split_args(tool, &[FORMAT, OUTPUT], args)?;
            a.output_unsupported()?;
            a.at_most(1)?;
            Ok(Call::RelationIds {
                endpoint: a.positional.first().cloned(),
                format: a.format()?,
            })
        }
        "relation-list" => {
            let a = split_args(tool, &[FORMAT, OUTPUT, RELATION], args)?;
            a.output_unsupported()?;
            a.at_most(0)?;
            Ok(Call::RelationList {
                relation_id: a.value("r"),
                format: a.format()?,
            })
        }
        "config-get" => {
            let all = Opt {
                names: &["all", "a"],
                value: false,
            };
            let a = split_args(tool, &[FORMAT, OUTPUT, all], args)?;
            a.output_unsupported()?;
            a.at_most(1)?;
            let key = a.positional.first().cloned();
            if key.is_some() && a.flag("all") {
                return Err(Parse::Usage(
                    "cannot use argument --all together with key".into(),
                ));
            }
            Ok(Call::ConfigGet {
                key,
                all: a.flag("all"),
                format: a.format()?,
            })
        }
        "is-leader" => {
            let a = split_args(tool, &[FORMAT, OUTPUT], args)?;
            a.output_unsupported()?;
            a.at_most(0)?;
            Ok(Call::IsLeader {
                format: a.format()?,
            })
        }
        "leader-get" => {
            let a = split_args(tool, &[FORMAT, OUTPUT], args)?;
            a.output_unsupported()?;
            a.at_most(1)?;
            Ok(Call::LeaderGet {
                key: key_arg(a.positional.first()),
                format: a.format()?,
            })
        }
        "leader-set" => {
            let a = split_args(tool, &[], args)?;
            Ok(Call::LeaderSet {
                settings: settings(&a.positional)?,
            })
        }
        "juju-log" => {
            let level = Opt {
                names: &["l", "log-level"],
                value: true,
            };
            let debug = Opt {
                names: &["debug"],
                value: false,
            };
            let a = split_args(tool, &[level, debug, FORMAT], args)?;
            if a.positional.is_empty() {
                return Err(Parse::Usage("no message specified".into()));
            }
            let level = match a.value("l") {
                Some(text) => parse_level(&text)?,
                None if a.flag("debug") => LogLevel::Debug,
                None => LogLevel::Info,
            };
            Ok(Call::JujuLog {
                level,
                message: a.positional.join(" "),
            })
        }
        "status-set" => {
            let application = Opt {
                names: &["application"],
                value: false,
            };
            let a = split_args(tool, &[application], args)?;
            let Some(state) = a.positional.first() else {
                return Err(Parse::Usage(
                    "invalid args, require <status> [message]".into(),
                ));
            };
            a.at_most(2)?;
            let state = state.parse::<WorkloadState>().map_err(|_| {
                Parse::Usage(format!(
                    "invalid status {state:?}, expected one of [maintenance blocked waiting active]"
                ))
            })?;
            Ok(Call::StatusSet {
                application: a.flag("application"),
                state,
                message: a.positional.get(1).cloned().unwrap_or_default(),
            })
        }
        "unit-get" => {
            let a = split_args(tool, &[FORMAT, OUTPUT], args)?;
            a.output_unsupported()?;
            let Some(key) = a.positional.first() else {
                return Err(Parse::Usage("no setting specified".into()));
            };
            a.at_most(1)?;
            if key != "private-address" && key != "public-address" {
                return Err(Parse::Usage(format!("unknown setting {key:?}")));
            }
            Ok(Call::UnitGet {
                key: key.clone(),
                format: a.format()?,
            })
        }
        "network-get" => {
            const SELECTORS: [(&str, NetSelect); 4] = [
                ("primary-address", NetSelect::Primary),
                ("bind-address", NetSelect::Bind),
                ("ingress-address", NetSelect::Ingress),
                ("egress-subnets", NetSelect::Egress),
            ];
            let opts = [
                FORMAT,
                OUTPUT,
                RELATION,
                Opt {
                    names: &["primary-address"],
                    value: false,
                },
                Opt {
                    names: &["bind-address"],
                    value: false,
                },
                Opt {
                    names: &["ingress-address"],
                    value: false,
                },
                Opt {
                    names: &["egress-subnets"],
                    value: false,
                },
            ];
            let a = split_args(tool, &opts, args)?;
            a.output_unsupported()?;
            a.at_most(1)?;
            let chosen: Vec<NetSelect> = SELECTORS
                .iter()
                .filter(|(name, _)| a.flag(name))
                .map(|(_, s)| *s)
                .collect();
            if chosen.len() > 1 {
                return Err(Parse::Usage(
                    "only one of --primary-address, --bind-address, --ingress-address and --egress-subnets may be given"
                        .into(),
                ));
            }
            let binding = a.positional.first().cloned();
            let relation_id = a.value("r");
            if binding.is_none() && relation_id.is_none() {
                return Err(Parse::Usage("no arguments specified".into()));
            }
            Ok(Call::NetworkGet {
                binding,
                relation_id,
                select: chosen.first().copied(),
                format: a.format()?,
            })
        }
        "application-version-set" => {
            let a = split_args(tool, &[], args)?;
            let Some(version) = a.positional.first() else {
                return Err(Parse::Usage("no version specified".into()));
            };
            a.at_most(1)?;
            Ok(Call::ApplicationVersionSet {
                version: version.clone(),
            })
        }
        "action-get" => {
            let a = split_args(tool, &[FORMAT, OUTPUT], args)?;
            a.output_unsupported()?;
            a.at_most(1)?;
            Ok(Call::ActionGet {
                key: key_arg(a.positional.first()),
                format: a.format()?,
            })
        }
        "action-set" => {
            let a = split_args(tool, &[], args)?;
            Ok(Call::ActionSet {
                settings: settings(&a.positional)?,
            })
        }
        "action-fail" => {
            let a = split_args(tool, &[], args)?;
            a.at_most(1)?;
            Ok(Call::ActionFail {
                message: a.positional.first().cloned().unwrap_or_else(|| {
                    "action failed without reason given, check action for errors".into()
                }),
            })
        }
        "action-log" => {
            let a = split_args(tool, &[], args)?;
            if a.positional.is_empty() {
                return Err(Parse::Usage("no message specified".into()));
            }
            Ok(Call::ActionLog {
                message: a.positional.join(" "),
            })
        }
        other if MODEL_TOOLS.contains(&other) => {
            model_commands::parse(other, args).map(Call::Model)
        }
        other => Err(Parse::Usage(format!("unknown hook tool {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use crate::sim::tool_server::test_fixture::*;
    use serde_json::json;

    #[test]
    fn accepts_the_variants_juju_accepts() {
        let f = fixture();
        for args in [
            &["--format", "json", "--relation=db:0", "-", "pg/0"][..],
            &["-rdb:0", "--format=json", "-", "pg/0"],
            &["-r=db:0", "--format=json", "-", "pg/0"],
            &["-", "pg/0", "-r", "db:0", "--format=json"],
            &["--format=json", "-r", "db:0", "", "pg/0"],
        ] {
            assert_eq!(
                f.json("relation-get", args)["host"],
                "db.example",
                "{args:?}"
            );
        }
        // One key, in every format.
        assert_eq!(
            f.json(
                "relation-get",
                &["--format=json", "-r", "db:0", "host", "pg/0"]
            ),
            json!("db.example")
        );
        assert_eq!(
            f.json(
                "relation-get",
                &["--format=json", "-r", "db:0", "nope", "pg/0"]
            ),
            json!(null)
        );
        assert_eq!(
            f.ok("relation-get", &["-r", "db:0", "host", "pg/0"]),
            "db.example\n"
        );
        let yaml = f.ok(
            "relation-get",
            &["--format=yaml", "-r", "db:0", "-", "pg/0"],
        );
        assert!(yaml.contains("host: db.example\n"), "{yaml}");
        // `--app` with a unit name means its application.
        assert_eq!(
            f.json(
                "relation-get",
                &["--format=json", "--app", "-r", "db:0", "-", "pg/0"]
            ),
            json!({"version": "16"})
        );
        // Smart output.
        assert_eq!(f.ok("is-leader", &[]), "True\n");
        assert_eq!(f.ok("relation-ids", &["db"]), "db:0\n");
        assert_eq!(f.ok("config-get", &["port"]), "80\n");
        assert_eq!(f.json("config-get", &["--format=json", "name"]), json!("x"));
        // Without --all, options without a value are left out.
        assert_eq!(
            f.json("config-get", &["--format=json"]),
            json!({"port": 80, "name": "x"})
        );
        assert_eq!(
            f.json("config-get", &["-a", "--format=json"])["unset"],
            json!(null)
        );
        // relation-set: arguments, YAML on stdin, arguments over the file.
        let r = f.call_as(
            "app/0",
            "relation-set",
            &["--relation", "db:0", "--file=-", "b=from-args", "c="],
            "a: 1\nb: from-file\nflag: true\nempty: ~\n",
        );
        assert_eq!(r.code, 0, "{r:?}");
        assert_eq!(f.ok("relation-set", &["-r", "db:0", "plain=yes"]), "");
        let mine = f.json(
            "relation-get",
            &["--format=json", "-r", "db:0", "-", "app/0"],
        );
        assert_eq!(mine["a"], "1");
        assert_eq!(mine["b"], "from-args");
        assert_eq!(mine["flag"], "true");
        assert_eq!(mine["plain"], "yes");
        assert_eq!(mine.get("empty"), None);
        // juju-log: words joined, --debug, levels in any case.
        assert_eq!(f.ok("juju-log", &["two", "words"]), "");
        assert_eq!(f.ok("juju-log", &["--debug", "dbg"]), "");
        assert_eq!(f.ok("juju-log", &["--log-level=critical", "bad"]), "");
        assert_eq!(f.ok("juju-log", &["-l", "trace", "--", "-x"]), "");
        let logs: Vec<Vec<String>> = f
            .calls()
            .into_iter()
            .filter(|(t, _)| t == "juju-log")
            .map(|(_, a)| a)
            .collect();
        assert_eq!(logs[0], ["-l", "INFO", "two words"]);
        assert_eq!(logs[1], ["-l", "DEBUG", "dbg"]);
        assert_eq!(logs[2], ["-l", "ERROR", "bad"]);
        assert_eq!(logs[3], ["-l", "DEBUG", "-x"]);
        // status-set without a message; open-port without a protocol.
        assert_eq!(f.ok("status-set", &["maintenance"]), "");
        assert_eq!(f.ok("open-port", &["9100"]), "");
        assert!(f
            .calls()
            .contains(&("open-port".to_string(), vec!["9100/tcp".to_string()])));
        // network-get selectors.
        assert_eq!(
            f.ok("network-get", &["db", "--ingress-address"]),
            "10.0.0.2\n"
        );
        assert_eq!(
            f.json(
                "network-get",
                &["--format=json", "-r", "db:0", "--bind-address"]
            ),
            json!("10.0.0.2")
        );
        assert_eq!(
            f.ok("network-get", &["db", "--egress-subnets"]),
            "10.0.0.2/32\n"
        );
        // --help.
        let help = f.call("relation-get", &["--help"]);
        assert_eq!(help.code, 0);
        assert!(help.stdout.starts_with("Usage: relation-get"), "{help:?}");
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        let f = fixture();
        let cases: &[(&str, &[&str], &str)] = &[
            ("relation-get", &["--bogus"], "not defined: --bogus"),
            ("relation-get", &["-x"], "not defined: -x"),
            ("relation-get", &["-r"], "needs an argument"),
            (
                "relation-get",
                &["--format=xml", "-r", "db:0", "-", "pg/0"],
                "unknown format",
            ),
            (
                "relation-get",
                &["-r", "db:0", "a", "pg/0", "extra"],
                "unrecognized args",
            ),
            ("relation-get", &["-o", "out.txt", "-r", "db:0"], "--output"),
            ("relation-get", &["--app=maybe"], "invalid boolean"),
            (
                "relation-set",
                &["-r", "db:0", "novalue"],
                "expected \"key=value\"",
            ),
            (
                "relation-set",
                &["-r", "db:0", "=v"],
                "expected \"key=value\"",
            ),
            (
                "relation-list",
                &["-r", "db:0", "extra"],
                "unrecognized args",
            ),
            ("config-get", &["--all", "port"], "--all"),
            ("config-get", &["a", "b"], "unrecognized args"),
            ("is-leader", &["now"], "unrecognized args"),
            ("leader-get", &["a", "b"], "unrecognized args"),
            ("leader-set", &["novalue"], "expected \"key=value\""),
            ("leader-set", &["-x"], "not defined"),
            ("juju-log", &[], "no message"),
            ("juju-log", &["-l", "LOUD", "msg"], "invalid log level"),
            ("juju-log", &["-l"], "needs an argument"),
            ("status-set", &[], "require <status>"),
            (
                "status-set",
                &["sleepy", "zzz"],
                "invalid status \"sleepy\"",
            ),
            ("status-set", &["active", "a", "b"], "unrecognized args"),
            ("status-set", &["active", "-x"], "not defined: -x"),
            ("unit-get", &[], "no setting"),
            ("unit-get", &["colour"], "unknown setting"),
            ("network-get", &[], "no arguments"),
            (
                "network-get",
                &["db", "--ingress-address", "--bind-address"],
                "only one",
            ),
            ("application-version-set", &[], "no version"),
            ("application-version-set", &["1", "2"], "unrecognized args"),
            ("open-port", &[], "no port"),
            ("open-port", &["http"], "invalid port"),
            ("open-port", &["0"], "invalid port"),
            ("open-port", &["70000/tcp"], "invalid port"),
            ("open-port", &["8010-8000/tcp"], "ends before it starts"),
            ("close-port", &["80/sctp"], "invalid protocol"),
            ("action-get", &["a", "b"], "unrecognized args"),
            ("action-set", &["x"], "expected \"key=value\""),
            ("action-fail", &["a", "b"], "unrecognized args"),
            ("action-log", &[], "no message specified"),
            ("--", &[], "unknown hook tool"),
            ("rm", &["-rf", "/"], "unknown hook tool"),
            ("", &[], "unknown hook tool"),
        ];
        for (tool, args, expected) in cases {
            let stderr = f.usage(tool, args);
            assert!(stderr.contains(expected), "{tool} {args:?}: {stderr}");
        }
        // None of them reached the unit's tools.
        assert!(f.calls().is_empty(), "{:?}", f.calls());
    }
}
