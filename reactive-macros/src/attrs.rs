//! Parse: the reactive attributes stacked on one function.
//!
//! Stacked attribute macros reach the first (outermost) one unexpanded. That
//! one collects them all, and rewrites the others to an inert marker (their
//! own expansion then passes the item through), rather than deleting them,
//! which would leave the user's imports unused.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr, Meta, Token};

use crate::ctxt::Ctxt;

/// The marker argument of an attribute already collected by another one.
pub(crate) const COLLECTED_MARKER: &str = "__reactive_collected";

/// Which attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttrKind {
    When,
    WhenAll,
    WhenAny,
    WhenNot,
    WhenNone,
    WhenNotAll,
    Hook,
    WhenFileChanged,
    OnlyOnce,
    NotUnless,
    CollectMetrics,
    MeterStatusChanged,
    Action,
}

impl AttrKind {
    const ALL: [AttrKind; 13] = [
        AttrKind::When,
        AttrKind::WhenAll,
        AttrKind::WhenAny,
        AttrKind::WhenNot,
        AttrKind::WhenNone,
        AttrKind::WhenNotAll,
        AttrKind::Hook,
        AttrKind::WhenFileChanged,
        AttrKind::OnlyOnce,
        AttrKind::NotUnless,
        AttrKind::CollectMetrics,
        AttrKind::MeterStatusChanged,
        AttrKind::Action,
    ];

    /// The attribute's name as written.
    pub(crate) fn name(self) -> &'static str {
        match self {
            AttrKind::When => "when",
            AttrKind::WhenAll => "when_all",
            AttrKind::WhenAny => "when_any",
            AttrKind::WhenNot => "when_not",
            AttrKind::WhenNone => "when_none",
            AttrKind::WhenNotAll => "when_not_all",
            AttrKind::Hook => "hook",
            AttrKind::WhenFileChanged => "when_file_changed",
            AttrKind::OnlyOnce => "only_once",
            AttrKind::NotUnless => "not_unless",
            AttrKind::CollectMetrics => "collect_metrics",
            AttrKind::MeterStatusChanged => "meter_status_changed",
            AttrKind::Action => "action",
        }
    }

    fn from_name(name: &str) -> Option<AttrKind> {
        AttrKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// A flag condition (`when` and its family).
    pub(crate) fn is_flag_condition(self) -> bool {
        matches!(
            self,
            AttrKind::When
                | AttrKind::WhenAll
                | AttrKind::WhenAny
                | AttrKind::WhenNot
                | AttrKind::WhenNone
                | AttrKind::WhenNotAll
        )
    }

    /// A restricted-mode hook.
    pub(crate) fn is_restricted(self) -> bool {
        matches!(
            self,
            AttrKind::CollectMetrics | AttrKind::MeterStatusChanged
        )
    }

    /// Whether the attribute takes a list of string literals.
    pub(crate) fn takes_strings(self) -> bool {
        !matches!(
            self,
            AttrKind::OnlyOnce | AttrKind::CollectMetrics | AttrKind::MeterStatusChanged
        )
    }
}

/// One reactive attribute with its arguments.
pub(crate) struct HandlerAttr {
    pub(crate) kind: AttrKind,
    /// What an error about the attribute as a whole points at: the
    /// attribute as written when it is stacked, nothing (the macro's call
    /// site, which is the whole attribute) for the outermost one, whose own
    /// tokens a macro does not receive. Tokens rather than a `Span`, because
    /// on stable only `syn::Error::new_spanned` can cover several tokens.
    pub(crate) tokens: TokenStream,
    /// Its arguments as written, for errors about them as a whole.
    pub(crate) arg_tokens: TokenStream,
    /// Its string arguments.
    pub(crate) args: Vec<LitStr>,
    /// Whether it had any argument at all (for the no-argument kinds).
    pub(crate) has_args: bool,
    /// Whether its arguments failed to parse (already reported).
    pub(crate) parse_failed: bool,
}

/// Whether the invoking attribute's arguments are the collected marker.
pub(crate) fn is_collected_marker(args: &TokenStream) -> bool {
    let mut tokens = args.clone().into_iter();
    matches!(
        (tokens.next(), tokens.next()),
        (Some(proc_macro2::TokenTree::Ident(i)), None) if i == COLLECTED_MARKER
    )
}

/// Parse the arguments of one attribute.
pub(crate) fn parse_args(
    kind: AttrKind,
    tokens: TokenStream,
    args: TokenStream,
    cx: &mut Ctxt,
) -> HandlerAttr {
    let has_args = !args.is_empty();
    let mut attr = HandlerAttr {
        kind,
        tokens,
        arg_tokens: args.clone(),
        args: Vec::new(),
        has_args,
        parse_failed: false,
    };
    if kind.takes_strings() {
        match Punctuated::<LitStr, Token![,]>::parse_terminated.parse2(args) {
            Ok(list) => attr.args = list.into_iter().collect(),
            Err(e) => {
                attr.parse_failed = true;
                cx.error_at(
                    e.span(),
                    format!(
                    "`#[{}]` takes string literals separated by commas, e.g. `#[{}(\"db.ready\")]`",
                    kind.name(),
                    kind.name()
                ),
                )
            }
        }
    }
    attr
}

/// The reactive kind of `attr`, when it is one of ours: a bare name
/// (`when`), a path through `reactive_core` (`reactive_core::when`,
/// `reactive_core::prelude::when`), or a path through the crate's own
/// modules (`crate::when`, `self::…`, `super::…`: a re-export of ours, as
/// inside reactive-core itself).
pub(crate) fn kind_of(attr: &Attribute) -> Option<AttrKind> {
    let path = attr.path();
    let last = path.segments.last()?;
    let kind = AttrKind::from_name(&last.ident.to_string())?;
    let ours = path.segments.len() == 1
        || path.segments.first().is_some_and(|s| {
            s.ident == "reactive_core"
                || s.ident == "crate"
                || s.ident == "self"
                || s.ident == "super"
        });
    ours.then_some(kind)
}

/// Take the arguments of a stacked attribute and rewrite it to the inert
/// marker.
pub(crate) fn collect_stacked(attr: &mut Attribute, kind: AttrKind, cx: &mut Ctxt) -> HandlerAttr {
    let span = attr.span();
    let (args, name_value) = match &attr.meta {
        Meta::Path(_) => (TokenStream::new(), false),
        Meta::List(list) => (list.tokens.clone(), false),
        Meta::NameValue(nv) => {
            cx.error_spanned(
                nv,
                format!(
                    "`#[{} = ...]` is not a form this attribute takes",
                    kind.name()
                ),
            );
            (TokenStream::new(), true)
        }
    };
    let mut parsed = parse_args(kind, attr.to_token_stream(), args, cx);
    // Already reported: no "needs at least one flag" on top.
    parsed.parse_failed |= name_value;
    let path = attr.path().clone();
    let marker = syn::Ident::new(COLLECTED_MARKER, Span::call_site());
    *attr = syn::parse_quote_spanned!(span=> #[#path(#marker)]);
    parsed
}

/// Tokens for a literal list of strings: `&["a", "b"]`.
pub(crate) fn str_slice<'a>(items: impl IntoIterator<Item = &'a str>) -> TokenStream {
    let items = items.into_iter();
    quote!(&[#(#items),*])
}
