//! Generate: the user's function, plus one `inventory` registration of a
//! const descriptor whose invoke closure calls generic code in the runtime.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Pat, Type};

use crate::attrs::{self, AttrKind};
use crate::check::{self, HandlerModel};
use crate::ctxt::Ctxt;
use crate::location;
use crate::metadata::Metadata;
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

    let mut collected = vec![attrs::parse_args(kind, TokenStream::new(), args, &mut cx)];
    for attr in &mut func.attrs {
        if let Some(kind) = attrs::kind_of(attr) {
            collected.push(attrs::collect_stacked(attr, kind, &mut cx));
        }
    }
    let metadata = Metadata::load();
    if let Some(problem) = metadata.problem() {
        cx.error_at(Span::call_site(), problem);
    }
    let model = check::check_attrs(&collected, &mut cx, metadata.endpoints());
    // A bare `#[not_unless]` is a guard, not a handler: it may go on any
    // function that takes the context (methods and generics included).
    if let Some(handler) = collected.iter().find(|a| a.kind != AttrKind::NotUnless) {
        check::check_function(&func, handler.kind.name(), &mut cx);
    }

    let file = location::crate_relative_file(func.sig.ident.span());
    let line = location::line(func.sig.fn_token.span());
    let id = format!("{file}:{line}:{}", func.sig.ident);

    if !model.not_unless.is_empty() {
        inject_not_unless(&mut func, &model, &id, &mut cx);
    }
    track_metadata(&mut func, &metadata);
    if model.action.is_some() {
        let tracking = crate::actions::Actions::load().tracking();
        let items: syn::Block = syn::parse_quote!({ #tracking });
        func.block.stmts.splice(0..0, items.stmts);
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
    let call = if model.action.is_some() {
        action_call(func)
    } else {
        handler_call(func)
    };
    let invoke = quote! {
        |__reactive_ctx: &mut #private::Context, _entry: &#private::HandlerEntry| {
            #call
        }
    };
    let location = Location {
        file,
        line,
        function: func.sig.ident.to_string(),
    };
    submit_descriptor(model, &location, quote!(#private::None), invoke)
}

/// Where a handler is defined.
pub(crate) struct Location<'a> {
    pub(crate) file: &'a str,
    pub(crate) line: u32,
    pub(crate) function: String,
}

/// One `inventory::submit!` of a handler descriptor.
pub(crate) fn submit_descriptor(
    model: &HandlerModel,
    location: &Location<'_>,
    endpoint: TokenStream,
    invoke: TokenStream,
) -> TokenStream {
    let private = paths::private();
    let Location {
        file,
        line,
        function,
    } = location;
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
    let action = match &model.action {
        Some(name) => quote!(#private::Some(#name)),
        None => quote!(#private::None),
    };
    quote! {
        #private::inventory::submit! {
            #private::HandlerDescriptor {
                module_path: ::core::module_path!(),
                crate_name: ::core::env!("CARGO_PKG_NAME"),
                file: #file,
                line: #line,
                function: #function,
                conditions: &[#(#conditions),*],
                hooks: #hooks,
                files_changed: #files,
                only_once: #only_once,
                restricted: #restricted,
                action: #action,
                endpoint: #endpoint,
                invoke: #invoke,
            }
        }
    }
}

/// The call of the user's function through `call_handler`, whose trait
/// bounds let rustc check the signature (STYLE: leave to rustc what rustc
/// checks well). The macro only chooses where a failure is reported:
///
/// - parameters that look like a handler's (none, or one `&Context` /
///   `&mut Context`): the signature is named explicitly, so rustc reports
///   the one bound that fails, usually `HandlerReturn` with its own message,
///   and the error points at the return type;
/// - otherwise: the error points at the first parameter type that is not a
///   context (or at the second context), with `Handler`'s message.
fn handler_call(func: &ItemFn) -> TokenStream {
    let private = paths::private();
    let sig = &func.sig;
    let params: Vec<&syn::PatType> = sig
        .inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(typed) => Some(typed),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let signature = match params.as_slice() {
        [] => Some(quote!(NoArgs)),
        [only] => match context_reference(&only.ty) {
            Some(true) => Some(quote!(MutContext)),
            Some(false) => Some(quote!(RefContext)),
            None => None,
        },
        _ => None,
    };
    let name_only = || (sig.ident.span(), sig.ident.span());
    let ((first, last), generics) = match signature {
        Some(marker) => {
            let blamed = match &sig.output {
                syn::ReturnType::Type(_, ty) => span_range(ty),
                syn::ReturnType::Default => name_only(),
            };
            let signature = paths::signature();
            (blamed, quote!(::<#signature::#marker, _>))
        }
        None => {
            let blamed = params
                .iter()
                .find(|p| context_reference(&p.ty).is_none())
                .or_else(|| params.get(1))
                .map_or_else(name_only, |p| span_range(&p.ty));
            (blamed, TokenStream::new())
        }
    };
    // rustc points an unmet bound at the argument expression (a single token
    // carries a single span). The argument is the field access
    // `(handler,).0`, whose span runs from the tuple at the blamed tokens'
    // start to the `0` at their end, so the error underlines all of them;
    // rustc does not look inside it, as it would inside a call. The outer
    // call is spanned the same way, so that rustc puts no "required by this
    // call" label elsewhere.
    let mut name = sig.ident.clone();
    name.set_span(first);
    let mut tuple = Group::new(Delimiter::Parenthesis, quote!(#name,));
    tuple.set_span(first);
    let field = respan(quote!(.0), last);
    let argument = quote!(#tuple #field);
    let call = quote!(#private::call_handler #generics);
    spanned_call(call, quote!(#argument, __reactive_ctx), first, last)
}

/// The call of an `#[action]` handler through `call_action_handler`, whose
/// trait bounds check the signature; an unmet bound is reported over the
/// parameter list (or the name, for a function without parameters).
fn action_call(func: &ItemFn) -> TokenStream {
    let private = paths::private();
    let sig = &func.sig;
    let (first, last) = if sig.inputs.is_empty() {
        (sig.ident.span(), sig.ident.span())
    } else {
        span_range(&sig.inputs)
    };
    let mut name = sig.ident.clone();
    name.set_span(first);
    let mut tuple = Group::new(Delimiter::Parenthesis, quote!(#name,));
    tuple.set_span(first);
    let field = respan(quote!(.0), last);
    let argument = quote!(#tuple #field);
    let call = quote!(#private::call_action_handler);
    spanned_call(call, quote!(#argument, __reactive_ctx), first, last)
}

/// `callee(arguments)` spanning from `first` to `last`: the callee's path
/// too, which is where rustc puts its "required by this call" label.
fn spanned_call(
    callee: TokenStream,
    arguments: TokenStream,
    first: Span,
    last: Span,
) -> TokenStream {
    let mut call: Vec<TokenTree> = respan(callee, first).into_iter().collect();
    if let Some(tree) = call.last_mut() {
        tree.set_span(last);
    }
    let mut parens = Group::new(Delimiter::Parenthesis, arguments);
    parens.set_span(last);
    call.push(TokenTree::Group(parens));
    call.into_iter().collect()
}

/// `tokens` with every span set to `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let TokenTree::Group(group) = &tree {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tree = TokenTree::Group(inner);
            }
            tree.set_span(span);
            tree
        })
        .collect()
}

/// The spans of the first and last tokens of `tokens`.
fn span_range(tokens: &impl ToTokens) -> (Span, Span) {
    let mut trees = tokens.to_token_stream().into_iter();
    let first = trees.next().map_or_else(Span::call_site, |t| t.span());
    let last = trees.last().map_or(first, |t| t.span());
    (first, last)
}

/// `Some(true)` for a type written `&mut …Context`, `Some(false)` for
/// `&…Context`, `None` for anything else.
fn context_reference(ty: &Type) -> Option<bool> {
    let Type::Reference(reference) = ty else {
        return None;
    };
    let Type::Path(path) = reference.elem.as_ref() else {
        return None;
    };
    (path.path.segments.last()?.ident == "Context").then_some(reference.mutability.is_some())
}

/// Put the `not_unless` guard at the top of the function's body, through its
/// context parameter.
fn inject_not_unless(func: &mut ItemFn, model: &HandlerModel, id: &str, cx: &mut Ctxt) {
    let Some(ctx) = context_param(func) else {
        // Pointed at the parameter list, where the context is missing.
        cx.error_at(
            func.sig.paren_token.span.join(),
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

/// Put the items that recompile the crate when its metadata file changes at
/// the top of the function's body: not next to the function, because a bare
/// `#[not_unless]` may sit on a method, and an impl block cannot hold
/// `const _` items.
fn track_metadata(func: &mut ItemFn, metadata: &Metadata) {
    let tracking = metadata.tracking();
    let items: syn::Block = syn::parse_quote!({ #tracking });
    func.block.stmts.splice(0..0, items.stmts);
}

/// The name of the parameter of type `&Context` / `&mut Context`.
fn context_param(func: &ItemFn) -> Option<syn::Ident> {
    func.sig.inputs.iter().find_map(|arg| {
        let FnArg::Typed(typed) = arg else {
            return None;
        };
        context_reference(&typed.ty)?;
        match typed.pat.as_ref() {
            Pat::Ident(ident) => Some(ident.ident.clone()),
            _ => None,
        }
    })
}
