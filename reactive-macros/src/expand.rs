//! Generate: the user's function, plus one `inventory` registration of a
//! const descriptor whose invoke closure calls generic code in the runtime.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Pat, Type};

use crate::attrs::{self, AttrKind, HandlerAttr};
use crate::check::{self, HandlerModel};
use crate::ctxt::Ctxt;
use crate::location;
use crate::paths;

/// Expand the attribute `kind` (the outermost reactive attribute) on `item`.
pub(crate) fn handler(kind: AttrKind, args: TokenStream, item: TokenStream) -> TokenStream {
    if attrs::is_collected_marker(&args) {
        return item;
    }
    let mut cx = Ctxt::default();
    let mut func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            cx.error_at(
                Span::call_site(),
                format!("`#[{}]` can only be put on a function", kind.name()),
            );
            let mut out = cx.into_compile_errors();
            out.extend(item);
            return out;
        }
    };

    let mut collected = vec![attrs::parse_args(kind, Span::call_site(), args, &mut cx)];
    for attr in &mut func.attrs {
        if let Some(kind) = attrs::kind_of(attr) {
            collected.push(attrs::collect_stacked(attr, kind, &mut cx));
        }
    }
    check::check_function(&func, kind.name(), &mut cx);
    let model = check::check_attrs(&collected, &mut cx);

    let file = location::crate_relative_file(func.sig.ident.span());
    let line = location::line(func.sig.fn_token.span());
    let id = format!("{file}:{line}:{}", func.sig.ident);

    if !model.not_unless.is_empty() {
        inject_not_unless(&mut func, &model, &id, &collected, &mut cx);
    }
    if cx.has_errors() {
        // Still emit the function, so no cascade of secondary errors follows.
        let mut out = cx.into_compile_errors();
        out.extend(quote!(#func));
        return out;
    }
    let registration = if model.registers() {
        register(&func, &model, &file, line)
    } else {
        TokenStream::new()
    };
    quote! {
        #func
        #registration
    }
}

fn register(func: &ItemFn, model: &HandlerModel, file: &str, line: u32) -> TokenStream {
    let private = paths::private();
    let name = &func.sig.ident;
    let name_str = name.to_string();
    let conditions = model.conditions.iter().map(|(kind, flags)| {
        let variant = match kind {
            AttrKind::When | AttrKind::WhenAll => quote!(All),
            AttrKind::WhenAny => quote!(Any),
            AttrKind::WhenNot | AttrKind::WhenNone => quote!(None),
            _ => quote!(NotAll),
        };
        let flags = attrs::str_slice(flags.iter().map(String::as_str));
        quote!(#private::Condition::#variant(#flags))
    });
    let hooks = attrs::str_slice(model.hooks.iter().map(String::as_str));
    let files = attrs::str_slice(model.files.iter().map(String::as_str));
    let only_once = model.only_once;
    let restricted = match model.restricted {
        Some(AttrKind::CollectMetrics) => {
            quote!(#private::Some(#private::RestrictedHook::CollectMetrics))
        }
        Some(_) => quote!(#private::Some(#private::RestrictedHook::MeterStatusChanged)),
        None => quote!(#private::None),
    };
    // The call is spanned at the signature, so a handler with parameters the
    // framework cannot provide is reported there.
    let call = quote_spanned! {func.sig.span()=>
        #private::call_handler(#name, __reactive_ctx)
    };
    quote! {
        #private::inventory::submit! {
            #private::HandlerDescriptor {
                module_path: ::core::module_path!(),
                crate_name: ::core::env!("CARGO_PKG_NAME"),
                file: #file,
                line: #line,
                function: #name_str,
                conditions: &[#(#conditions),*],
                hooks: #hooks,
                files_changed: #files,
                only_once: #only_once,
                restricted: #restricted,
                invoke: |__reactive_ctx: &mut #private::Context, _entry: &#private::HandlerEntry| {
                    #call
                },
            }
        }
    }
}

/// Put the `not_unless` guard at the top of the function's body, through its
/// context parameter.
fn inject_not_unless(
    func: &mut ItemFn,
    model: &HandlerModel,
    id: &str,
    attrs: &[HandlerAttr],
    cx: &mut Ctxt,
) {
    let Some(ctx) = context_param(func) else {
        let span = attrs
            .iter()
            .find(|a| a.kind == AttrKind::NotUnless)
            .map(|a| a.span)
            .unwrap_or_else(Span::call_site);
        cx.error_at(
            span,
            "`#[not_unless]` needs the function to take the context \
             (`ctx: &mut Context` or `ctx: &Context`) to check the flags",
        );
        return;
    };
    let flags = attrs::str_slice(model.not_unless.iter().map(String::as_str));
    let guard: syn::Stmt = syn::parse_quote! {
        #ctx.check_not_unless(#id, #flags);
    };
    func.block.stmts.insert(0, guard);
}

/// The name of the parameter of type `&Context` / `&mut Context`.
fn context_param(func: &ItemFn) -> Option<syn::Ident> {
    func.sig.inputs.iter().find_map(|arg| {
        let FnArg::Typed(typed) = arg else {
            return None;
        };
        let Type::Reference(reference) = typed.ty.as_ref() else {
            return None;
        };
        let Type::Path(path) = reference.elem.as_ref() else {
            return None;
        };
        if path.path.segments.last()?.ident != "Context" {
            return None;
        }
        match typed.pat.as_ref() {
            Pat::Ident(ident) => Some(ident.ident.clone()),
            _ => None,
        }
    })
}
