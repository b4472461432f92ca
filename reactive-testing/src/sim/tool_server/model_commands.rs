//! The grammar of the tools about the model and of the `secret-*` tools:
//! resources, storage, secrets, status, goal state, ports, charm state,
//! credentials and remote models, with Juju's options and argument forms.

use super::options::{split_args, Args, Format, Opt, Parse, FORMAT, OUTPUT, RELATION};
use reactive_core::tools::{PortRange, SecretOptions, SecretOwner, SecretRevision, SecretRotate};

/// The tools parsed here.
pub(super) const MODEL_TOOLS: &[&str] = &[
    "close-port",
    "credential-get",
    "goal-state",
    "open-port",
    "opened-ports",
    "relation-model-get",
    "resource-get",
    "secret-add",
    "secret-get",
    "secret-grant",
    "secret-ids",
    "secret-info-get",
    "secret-remove",
    "secret-revoke",
    "secret-set",
    "state-delete",
    "state-get",
    "state-set",
    "status-get",
    "storage-add",
    "storage-get",
    "storage-list",
];

/// A parsed call of one of [`MODEL_TOOLS`].
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ModelCall {
    ResourceGet {
        name: String,
    },
    StorageGet {
        id: Option<String>,
        key: Option<String>,
        format: Format,
    },
    StorageList {
        name: Option<String>,
        format: Format,
    },
    StorageAdd {
        directives: Vec<(String, u32)>,
    },
    SecretAdd {
        options: SecretOptions,
        settings: Vec<(String, String)>,
        file: bool,
    },
    SecretGet {
        id: Option<String>,
        label: Option<String>,
        key: Option<String>,
        revision: SecretRevision,
        format: Format,
    },
    SecretSet {
        id: String,
        options: SecretOptions,
        settings: Vec<(String, String)>,
        file: bool,
    },
    SecretAccess {
        grant: bool,
        id: String,
        relation_id: Option<String>,
        unit: Option<String>,
    },
    SecretRemove {
        id: String,
        revision: Option<u64>,
    },
    SecretIds {
        format: Format,
    },
    SecretInfoGet {
        id: Option<String>,
        label: Option<String>,
        format: Format,
    },
    StatusGet {
        application: bool,
        include_data: bool,
        format: Format,
    },
    GoalState {
        format: Format,
    },
    OpenedPorts {
        endpoints: bool,
        format: Format,
    },
    Port {
        open: bool,
        range: PortRange,
        endpoints: Vec<String>,
    },
    StateGet {
        key: Option<String>,
        strict: bool,
        format: Format,
    },
    StateSet {
        settings: Vec<(String, String)>,
        file: bool,
    },
    StateDelete {
        key: String,
    },
    CredentialGet {
        format: Format,
    },
    RelationModelGet {
        relation_id: Option<String>,
        format: Format,
    },
}

const fn flag(names: &'static [&'static str]) -> Opt {
    Opt {
        names,
        value: false,
    }
}

const fn valued(names: &'static [&'static str]) -> Opt {
    Opt { names, value: true }
}

/// The usage line of each tool here.
pub(super) fn usage(tool: &str) -> Option<&'static str> {
    Some(match tool {
        "resource-get" => "resource-get <resource name>",
        "storage-get" => "storage-get [options] [<key>]",
        "storage-list" => "storage-list [options] [<storage-name>]",
        "storage-add" => "storage-add <charm storage name>[=count] ...",
        "secret-add" => "secret-add [options] [key[#base64|#file]=value...]",
        "secret-get" => "secret-get [options] <ID> [key[#base64]]",
        "secret-set" => "secret-set [options] <ID> [key[#base64]=value...]",
        "secret-grant" => "secret-grant [options] <ID>",
        "secret-revoke" => "secret-revoke [options] <ID>",
        "secret-remove" => "secret-remove [options] <ID>",
        "secret-ids" => "secret-ids [options]",
        "secret-info-get" => "secret-info-get [options] <ID>",
        "status-get" => "status-get [--include-data] [--application]",
        "goal-state" => "goal-state [options]",
        "opened-ports" => "opened-ports [options]",
        "open-port" => "open-port <port>[/<protocol>] or <from>-<to>[/<protocol>] or icmp",
        "close-port" => "close-port <port>[/<protocol>] or <from>-<to>[/<protocol>] or icmp",
        "state-get" => "state-get [options] [<key>]",
        "state-set" => "state-set [options] key=value [key=value ...]",
        "state-delete" => "state-delete <key>",
        "credential-get" => "credential-get [options]",
        "relation-model-get" => "relation-model-get [options]",
        _ => return None,
    })
}

fn settings(args: &[String]) -> Result<Vec<(String, String)>, Parse> {
    args.iter()
        .map(|arg| match arg.split_once('=') {
            Some((key, _)) if key.contains('#') => Err(Parse::Usage(format!(
                "the {key:?} form (#base64, #file) is not supported by the simulator; give the value plainly or with --file"
            ))),
            Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
            _ => Err(Parse::Usage(format!("expected \"key=value\", got {arg:?}"))),
        })
        .collect()
}

fn secret_options(a: &Args, owner: bool) -> Result<SecretOptions, Parse> {
    let rotate = match a.value("rotate").as_deref() {
        None => None,
        Some("never") => Some(SecretRotate::Never),
        Some("hourly") => Some(SecretRotate::Hourly),
        Some("daily") => Some(SecretRotate::Daily),
        Some("weekly") => Some(SecretRotate::Weekly),
        Some("monthly") => Some(SecretRotate::Monthly),
        Some("quarterly") => Some(SecretRotate::Quarterly),
        Some("yearly") => Some(SecretRotate::Yearly),
        Some(other) => {
            return Err(Parse::Usage(format!(
                "invalid value {other:?} for option --rotate: expected never, hourly, daily, weekly, monthly, quarterly or yearly"
            )))
        }
    };
    let owner = match (owner, a.value("owner").as_deref()) {
        (_, None) | (false, _) => None,
        (true, Some("application")) => Some(SecretOwner::Application),
        (true, Some("unit")) => Some(SecretOwner::Unit),
        (true, Some(other)) => {
            return Err(Parse::Usage(format!(
                "invalid value {other:?} for option --owner: expected application or unit"
            )))
        }
    };
    Ok(SecretOptions {
        label: a.value("label"),
        description: a.value("description"),
        expire: a.value("expire"),
        rotate,
        owner,
    })
}

const SECRET_META: [Opt; 5] = [
    valued(&["label"]),
    valued(&["description"]),
    valued(&["expire"]),
    valued(&["rotate"]),
    valued(&["file"]),
];

fn one_id(tool: &str, a: &Args) -> Result<String, Parse> {
    match a.positional.first() {
        Some(id) => {
            a.at_most(1)?;
            Ok(id.clone())
        }
        None => Err(Parse::Usage(format!("{tool}: missing secret id"))),
    }
}

/// Parse one of [`MODEL_TOOLS`].
pub(super) fn parse(tool: &str, args: &[String]) -> Result<ModelCall, Parse> {
    match tool {
        "resource-get" => {
            let a = split_args(tool, &[], args)?;
            let Some(name) = a.positional.first() else {
                return Err(Parse::Usage("missing required resource name".into()));
            };
            a.at_most(1)?;
            Ok(ModelCall::ResourceGet { name: name.clone() })
        }
        "storage-get" => {
            let a = split_args(tool, &[FORMAT, OUTPUT, valued(&["s"])], args)?;
            a.output_unsupported()?;
            a.at_most(1)?;
            Ok(ModelCall::StorageGet {
                id: a.value("s"),
                key: a.positional.first().cloned(),
                format: a.format()?,
            })
        }
        "storage-list" => {
            let a = split_args(tool, &[FORMAT, OUTPUT], args)?;
            a.output_unsupported()?;
            a.at_most(1)?;
            Ok(ModelCall::StorageList {
                name: a.positional.first().cloned(),
                format: a.format()?,
            })
        }
        "storage-add" => {
            let a = split_args(tool, &[], args)?;
            if a.positional.is_empty() {
                return Err(Parse::Usage(
                    "storage-add requires a storage directive".into(),
                ));
            }
            let directives = a
                .positional
                .iter()
                .map(|d| {
                    let (name, count) = match d.split_once('=') {
                        Some((name, count)) => (name, count.parse::<u32>().ok()),
                        None => (d.as_str(), Some(1)),
                    };
                    match count {
                        Some(count) if !name.is_empty() => Ok((name.to_string(), count)),
                        _ => Err(Parse::Usage(format!(
                            "cannot parse storage directive {d:?}: expected <name>[=<count>]"
                        ))),
                    }
                })
                .collect::<Result<_, _>>()?;
            Ok(ModelCall::StorageAdd { directives })
        }
        "secret-add" => {
            let mut opts = SECRET_META.to_vec();
            opts.push(valued(&["owner"]));
            let a = split_args(tool, &opts, args)?;
            Ok(ModelCall::SecretAdd {
                options: secret_options(&a, true)?,
                settings: settings(&a.positional)?,
                file: a.options.contains_key("file"),
            })
        }
        "secret-get" => {
            let opts = [
                FORMAT,
                OUTPUT,
                valued(&["label"]),
                flag(&["peek"]),
                flag(&["refresh"]),
            ];
            let a = split_args(tool, &opts, args)?;
            a.output_unsupported()?;
            a.at_most(2)?;
            let revision = match (a.flag("peek"), a.flag("refresh")) {
                (true, true) => {
                    return Err(Parse::Usage(
                        "specify one of --peek or --refresh but not both".into(),
                    ))
                }
                (true, false) => SecretRevision::Peek,
                (false, true) => SecretRevision::Refresh,
                (false, false) => SecretRevision::Tracked,
            };
            let id = a.positional.first().cloned();
            let label = a.value("label");
            if id.is_none() && label.is_none() {
                return Err(Parse::Usage("require either a secret URI or label".into()));
            }
            Ok(ModelCall::SecretGet {
                id,
                label,
                key: a.positional.get(1).cloned(),
                revision,
                format: a.format()?,
            })
        }
        "secret-set" => {
            let a = split_args(tool, &SECRET_META, args)?;
            let Some((id, rest)) = a.positional.split_first() else {
                return Err(Parse::Usage("missing secret URI".into()));
            };
            Ok(ModelCall::SecretSet {
                id: id.clone(),
                options: secret_options(&a, false)?,
                settings: settings(rest)?,
                file: a.options.contains_key("file"),
            })
        }
        "secret-grant" | "secret-revoke" => {
            let opts = [RELATION, valued(&["unit"]), valued(&["app", "application"])];
            let a = split_args(tool, &opts, args)?;
            let id = one_id(tool, &a)?;
            if a.options.contains_key("app") {
                return Err(Parse::Usage(
                    "--app is not supported by the simulator; name the relation with --relation"
                        .into(),
                ));
            }
            let relation_id = a.value("r");
            if tool == "secret-grant" && relation_id.is_none() {
                return Err(Parse::Usage("missing relation".into()));
            }
            Ok(ModelCall::SecretAccess {
                grant: tool == "secret-grant",
                id,
                relation_id,
                unit: a.value("unit"),
            })
        }
        "secret-remove" => {
            let a = split_args(tool, &[valued(&["revision"])], args)?;
            let id = one_id(tool, &a)?;
            let revision = match a.value("revision") {
                None => None,
                Some(text) => Some(text.parse::<u64>().map_err(|_| {
                    Parse::Usage(format!("invalid value {text:?} for option --revision"))
                })?),
            };
            Ok(ModelCall::SecretRemove { id, revision })
        }
        "secret-ids" => {
            let a = split_args(tool, &[FORMAT, OUTPUT], args)?;
            a.output_unsupported()?;
            a.at_most(0)?;
            Ok(ModelCall::SecretIds {
                format: a.format()?,
            })
        }
        "secret-info-get" => {
            let a = split_args(tool, &[FORMAT, OUTPUT, valued(&["label"])], args)?;
            a.output_unsupported()?;
            a.at_most(1)?;
            let id = a.positional.first().cloned();
            let label = a.value("label");
            match (&id, &label) {
                (None, None) => {
                    return Err(Parse::Usage("require either a secret URI or label".into()))
                }
                (Some(_), Some(_)) => {
                    return Err(Parse::Usage(
                        "specify either a secret URI or label but not both".into(),
                    ))
                }
                _ => {}
            }
            Ok(ModelCall::SecretInfoGet {
                id,
                label,
                format: a.format()?,
            })
        }
        "status-get" => {
            let opts = [
                FORMAT,
                OUTPUT,
                flag(&["include-data"]),
                flag(&["application"]),
            ];
            let a = split_args(tool, &opts, args)?;
            a.output_unsupported()?;
            a.at_most(0)?;
            Ok(ModelCall::StatusGet {
                application: a.flag("application"),
                include_data: a.flag("include-data"),
                format: a.format()?,
            })
        }
        "goal-state" | "credential-get" => {
            let a = split_args(tool, &[FORMAT, OUTPUT], args)?;
            a.output_unsupported()?;
            a.at_most(0)?;
            let format = a.format()?;
            Ok(if tool == "goal-state" {
                ModelCall::GoalState { format }
            } else {
                ModelCall::CredentialGet { format }
            })
        }
        "opened-ports" => {
            let a = split_args(tool, &[FORMAT, OUTPUT, flag(&["endpoints"])], args)?;
            a.output_unsupported()?;
            a.at_most(0)?;
            Ok(ModelCall::OpenedPorts {
                endpoints: a.flag("endpoints"),
                format: a.format()?,
            })
        }
        "open-port" | "close-port" => {
            let a = split_args(tool, &[FORMAT, valued(&["endpoints"])], args)?;
            let Some(spec) = a.positional.first() else {
                return Err(Parse::Usage("no port or range specified".into()));
            };
            a.at_most(1)?;
            let range: PortRange = spec.parse().map_err(|reason: String| {
                Parse::Usage(format!("invalid port or range {spec:?}: {reason}"))
            })?;
            let endpoints = a
                .value("endpoints")
                .map(|list| {
                    list.split(',')
                        .map(|e| e.trim().to_string())
                        .filter(|e| !e.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            Ok(ModelCall::Port {
                open: tool == "open-port",
                range,
                endpoints,
            })
        }
        "state-get" => {
            let a = split_args(tool, &[FORMAT, OUTPUT, flag(&["strict"])], args)?;
            a.output_unsupported()?;
            a.at_most(1)?;
            Ok(ModelCall::StateGet {
                key: a.positional.first().filter(|k| k.as_str() != "-").cloned(),
                strict: a.flag("strict"),
                format: a.format()?,
            })
        }
        "state-set" => {
            let a = split_args(tool, &[valued(&["file"])], args)?;
            Ok(ModelCall::StateSet {
                settings: settings(&a.positional)?,
                file: a.options.contains_key("file"),
            })
        }
        "state-delete" => {
            let a = split_args(tool, &[], args)?;
            let Some(key) = a.positional.first() else {
                return Err(Parse::Usage("missing key to delete".into()));
            };
            a.at_most(1)?;
            Ok(ModelCall::StateDelete { key: key.clone() })
        }
        "relation-model-get" => {
            let a = split_args(tool, &[FORMAT, OUTPUT, RELATION], args)?;
            a.output_unsupported()?;
            a.at_most(0)?;
            Ok(ModelCall::RelationModelGet {
                relation_id: a.value("r"),
                format: a.format()?,
            })
        }
        other => Err(Parse::Usage(format!("unknown hook tool {other:?}"))),
    }
}
