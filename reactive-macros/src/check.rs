//! Validate the collected attributes: well-formed flags (`{endpoint_name}`
//! only in an `#[endpoint]` impl block), hook patterns that expand to Juju
//! hook names, non-empty file paths, at most one `#[only_once]` and one
//! restricted attribute, and no combination that can never run (`#[hook]`
//! with a flag condition, a restricted attribute with anything else).
//!
//! Errors are spanned at the offending literal (or attribute) and quote the
//! offending part, since stable Rust cannot point inside a literal.

use proc_macro2::TokenStream;
use reactive_grammar::flag::{check_flag, has_placeholder};
use reactive_grammar::hook_pattern::parse_hook_pattern;
use syn::{FnArg, GenericArgument, ItemFn, PathArguments, ReturnType, Type, TypeParamBound};

use crate::actions::Actions;
use crate::attrs::{AttrKind, HandlerAttr};
use crate::ctxt::Ctxt;
use crate::metadata::Endpoints;

/// What the attributes of one function ask for, once validated.
#[derive(Default)]
pub(crate) struct HandlerModel {
    /// Flag conditions in the order written.
    pub(crate) conditions: Vec<(AttrKind, Vec<String>)>,
    pub(crate) hooks: Vec<String>,
    pub(crate) files: Vec<String>,
    pub(crate) only_once: bool,
    pub(crate) restricted: Option<AttrKind>,
    pub(crate) not_unless: Vec<String>,
    /// `#[action("name")]`: the action it handles.
    pub(crate) action: Option<String>,
}

impl HandlerModel {
    /// Whether the function is a handler (anything but a bare `not_unless`).
    pub(crate) fn registers(&self) -> bool {
        !self.conditions.is_empty()
            || !self.hooks.is_empty()
            || !self.files.is_empty()
            || self.only_once
            || self.restricted.is_some()
            || self.action.is_some()
    }
}

/// Check the function itself can be a handler.
pub(crate) fn check_function(func: &ItemFn, attr_name: &str, cx: &mut Ctxt) {
    let sig = &func.sig;
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        cx.error_spanned(
            receiver,
            format!(
                "`#[{attr_name}]` on a method: handlers of an endpoint type go in an impl block \
                 marked `#[endpoint]`, which registers them once per endpoint instance"
            ),
        );
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned(
            &sig.generics,
            format!(
                "`#[{attr_name}]` handlers cannot be generic: the framework must know the one \
                 function to call"
            ),
        );
    }
    if let Some(boxed) = boxed_error_not_send_sync(&sig.output) {
        cx.error_spanned(
            boxed,
            format!(
                "the error type of a `#[{attr_name}]` handler must be `Send + Sync`: \
                 write `Box<dyn Error + Send + Sync>`"
            ),
        );
    }
    if let Some(asyncness) = &sig.asyncness {
        cx.error_spanned(
            asyncness,
            format!("`#[{attr_name}]` handlers cannot be `async`: hooks run synchronously"),
        );
    }
}

/// Check every attribute and combine them into a model; `endpoints`, when
/// the charm's metadata is known, are the endpoints flags and hook patterns
/// may name.
pub(crate) fn check_attrs(
    attrs: &[HandlerAttr],
    cx: &mut Ctxt,
    endpoints: Option<&Endpoints>,
) -> HandlerModel {
    check_attrs_in(attrs, cx, false, endpoints)
}

/// [`check_attrs`] for handlers in an `#[endpoint]` impl block (`in_endpoint`),
/// where flags may hold `{endpoint_name}`.
pub(crate) fn check_attrs_in(
    attrs: &[HandlerAttr],
    cx: &mut Ctxt,
    in_endpoint: bool,
    endpoints: Option<&Endpoints>,
) -> HandlerModel {
    let mut model = HandlerModel::default();
    for attr in attrs {
        let name = attr.kind.name();
        if attr.kind.takes_strings() && attr.args.is_empty() && !attr.parse_failed {
            let example = match attr.kind {
                AttrKind::Hook => "\"install\"",
                AttrKind::Action => "\"backup\"",
                AttrKind::WhenFileChanged => "\"templates/app.conf\"",
                _ => "\"db.ready\"",
            };
            let what = match attr.kind {
                AttrKind::Hook => "hook pattern",
                AttrKind::Action => "action name",
                AttrKind::WhenFileChanged => "file",
                _ => "flag",
            };
            cx.error_spanned(
                &attr.tokens,
                format!("`#[{name}]` needs at least one {what}, e.g. `#[{name}({example})]`"),
            );
            continue;
        }
        if !attr.kind.takes_strings() && attr.has_args {
            cx.error_spanned(&attr.arg_tokens, format!("`#[{name}]` takes no arguments"));
            continue;
        }
        match attr.kind {
            kind if kind.is_flag_condition() => {
                let flags = check_flags(attr, cx, in_endpoint, endpoints);
                model.conditions.push((kind, flags));
            }
            AttrKind::NotUnless => {
                let flags = check_flags(attr, cx, in_endpoint, endpoints);
                model.not_unless.extend(flags);
            }
            AttrKind::Hook => {
                for lit in &attr.args {
                    let pattern = lit.value();
                    match parse_hook_pattern(&pattern) {
                        Ok(parsed) => match parsed.check_hook_kinds() {
                            Ok(()) => {
                                let unknown = endpoints.map(|e| e.check_hook(&parsed));
                                for problem in unknown.unwrap_or_default() {
                                    cx.error_at(lit.span(), problem);
                                }
                                model.hooks.push(pattern);
                            }
                            Err(problem) => cx.error_at(lit.span(), problem),
                        },
                        Err(problem) => cx.error_at(lit.span(), problem),
                    }
                }
            }
            AttrKind::WhenFileChanged => {
                for lit in &attr.args {
                    let path = lit.value();
                    if path.is_empty() {
                        cx.error_at(lit.span(), "`#[when_file_changed]` path is empty");
                    } else {
                        model.files.push(path);
                    }
                }
            }
            AttrKind::OnlyOnce => {
                if model.only_once {
                    cx.error_spanned(&attr.tokens, "`#[only_once]` is given twice");
                }
                model.only_once = true;
            }
            AttrKind::CollectMetrics | AttrKind::MeterStatusChanged => {
                if let Some(previous) = model.restricted {
                    cx.error_spanned(
                        &attr.tokens,
                        format!(
                            "`#[{name}]` cannot be combined with `#[{}]`: a handler runs in one restricted hook",
                            previous.name()
                        ),
                    );
                }
                model.restricted = Some(attr.kind);
            }
            AttrKind::Action => {
                if in_endpoint {
                    cx.error_spanned(
                        &attr.tokens,
                        "`#[action]` handlers are free functions: an action is the charm's, \
                         not an endpoint's, so it cannot go in an `#[endpoint]` impl block",
                    );
                    continue;
                }
                check_action(attr, cx, &mut model);
            }
            _ => {}
        }
    }
    check_combinations(attrs, cx);
    model
}

/// The one action name of `#[action]`, checked against the charm's actions.
fn check_action(attr: &HandlerAttr, cx: &mut Ctxt, model: &mut HandlerModel) {
    if model.action.is_some() {
        cx.error_spanned(
            &attr.tokens,
            "`#[action]` is given twice: a handler runs one action",
        );
        return;
    }
    let [lit] = attr.args.as_slice() else {
        cx.error_spanned(
            &attr.arg_tokens,
            "`#[action]` takes one action name, e.g. `#[action(\"backup\")]`",
        );
        return;
    };
    let name = lit.value();
    match Actions::load().check(&name) {
        Some(problem) => cx.error_at(lit.span(), problem),
        None => model.action = Some(name),
    }
}

/// What to point at for two attributes that cannot be combined: the one
/// written later. It is always a stacked attribute with its own tokens, while
/// the outermost one can only be pointed at through the macro's call site,
/// which makes rustc add a note about macro expansion.
fn later<'a>(attrs: &[HandlerAttr], a: &'a HandlerAttr, b: &'a HandlerAttr) -> &'a TokenStream {
    let position = |x: &HandlerAttr| attrs.iter().position(|y| std::ptr::eq(x, y));
    if position(a) > position(b) {
        &a.tokens
    } else {
        &b.tokens
    }
}

fn check_combinations(attrs: &[HandlerAttr], cx: &mut Ctxt) {
    let first = |pred: fn(AttrKind) -> bool| attrs.iter().find(|a| pred(a.kind));
    if let Some(action) = first(|k| k == AttrKind::Action) {
        if let Some(other) = first(|k| !matches!(k, AttrKind::Action | AttrKind::NotUnless)) {
            cx.error_spanned(
                later(attrs, action, other),
                format!(
                    "`#[action]` cannot be combined with `#[{}]`: an action handler runs only \
                     when Juju runs its action, never in a hook",
                    other.kind.name()
                ),
            );
            return;
        }
    }
    let hook = first(|k| k == AttrKind::Hook);
    let flag = first(AttrKind::is_flag_condition);
    if let (Some(hook), Some(flag)) = (hook, flag) {
        cx.error_spanned(
            later(attrs, hook, flag),
            format!(
                "`#[hook]` cannot be combined with `#[{}]`: hook handlers run in the hooks phase, \
                 flag handlers in the main loop; set a flag in the hook handler instead",
                flag.kind.name()
            ),
        );
    }
    if let Some(restricted) = first(AttrKind::is_restricted) {
        let other = first(|k| {
            k.is_flag_condition()
                || matches!(
                    k,
                    AttrKind::Hook | AttrKind::OnlyOnce | AttrKind::WhenFileChanged
                )
        });
        if let Some(other) = other {
            cx.error_spanned(
                later(attrs, restricted, other),
                format!(
                    "`#[{}]` cannot be combined with `#[{}]`: restricted hooks run only \
                     `#[collect_metrics]` and `#[meter_status_changed]` handlers",
                    restricted.kind.name(),
                    other.kind.name()
                ),
            );
        }
    }
}

fn check_flags(
    attr: &HandlerAttr,
    cx: &mut Ctxt,
    in_endpoint: bool,
    endpoints: Option<&Endpoints>,
) -> Vec<String> {
    let mut flags = Vec::new();
    for lit in &attr.args {
        let flag = lit.value();
        if let Err(problem) = check_flag(&flag) {
            cx.error_at(lit.span(), problem);
            continue;
        }
        if has_placeholder(&flag) && !in_endpoint {
            cx.error_at(
                lit.span(),
                format!(
                    "`{{endpoint_name}}` in `{flag}` can only be used by handlers inside an \
                     endpoint's impl block marked `#[endpoint]`"
                ),
            );
            continue;
        }
        if let Some(problem) = endpoints.and_then(|e| e.check_flag(&flag)) {
            cx.error_at(lit.span(), problem);
            continue;
        }
        flags.push(flag);
    }
    flags
}

/// The `Box<dyn …>` in a return type written `Result<(), Box<dyn …>>` whose
/// trait object lacks `Send` or `Sync`. Such a box never converts into the
/// dispatcher's error type, and rustc would say so in three errors (about
/// `Send`, `Sync` and `Sized`) that do not name the fix; type aliases and
/// every other error type are left to rustc.
fn boxed_error_not_send_sync(output: &ReturnType) -> Option<&Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let [_, error] = type_arguments(ty, "Result")?[..] else {
        return None;
    };
    let [Type::TraitObject(object)] = type_arguments(error, "Box")?[..] else {
        return None;
    };
    let has = |name: &str| {
        object.bounds.iter().any(|bound| {
            matches!(bound, TypeParamBound::Trait(t)
                if t.path.segments.last().is_some_and(|s| s.ident == name))
        })
    };
    (!(has("Send") && has("Sync"))).then_some(error)
}

/// The type arguments of `ty` when it is a path ending in `name<…>`.
fn type_arguments<'a>(ty: &'a Type, name: &str) -> Option<Vec<&'a Type>> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    Some(
        arguments
            .args
            .iter()
            .filter_map(|argument| match argument {
                GenericArgument::Type(ty) => Some(ty),
                _ => None,
            })
            .collect(),
    )
}
