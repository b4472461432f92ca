//! `#[endpoint(interface = "...", role = "...")]` on an impl block: register
//! the endpoint type and its handlers (once per endpoint instance).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ImplItem, ItemImpl, Lit, MetaNameValue, Token, Type};

use crate::attrs::{self, HandlerAttr};
use crate::check;
use crate::ctxt::Ctxt;
use crate::expand::{self, Location};
use crate::location;
use crate::metadata::Metadata;
use crate::paths;

/// What the attribute's arguments say.
#[derive(Default)]
struct EndpointArgs {
    interface: Option<String>,
    role: Option<String>,
    requester: Option<Type>,
    responder: Option<Type>,
}

fn parse_args(args: TokenStream, cx: &mut Ctxt) -> EndpointArgs {
    let mut parsed = EndpointArgs::default();
    let pairs = match Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse2(args) {
        Ok(pairs) => pairs,
        Err(e) => {
            cx.error_at(
                e.span(),
                "`#[endpoint]` takes `interface = \"...\"` and `role = \"provides\" | \"requires\" | \"peers\"`, \
                 and optionally `requester = RequestType` or `responder = RequestType`",
            );
            return parsed;
        }
    };
    for pair in pairs {
        let key = pair
            .path
            .get_ident()
            .map(|i| i.to_string())
            .unwrap_or_default();
        let string = match &pair.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => Some(s.value()),
            _ => None,
        };
        match key.as_str() {
            "interface" => match string {
                Some(s) if !s.is_empty() && !s.chars().any(char::is_whitespace) => {
                    parsed.interface = Some(s)
                }
                _ => cx.error_spanned(&pair.value, "`interface` must be a non-empty string without spaces"),
            },
            "role" => match string.as_deref() {
                Some(role @ ("provides" | "requires" | "peers")) => parsed.role = Some(role.to_string()),
                Some(other) => {
                    let hint = reactive_grammar::suggest::closest(
                        other,
                        ["provides", "requires", "peers"],
                    )
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                    cx.error_spanned(
                        &pair.value,
                        format!("unknown role `{other}`: expected `provides`, `requires` or `peers`{hint}"),
                    )
                }
                None => cx.error_spanned(&pair.value, "`role` must be a string"),
            },
            "requester" | "responder" => match syn::parse2::<Type>(quote::ToTokens::to_token_stream(&pair.value)) {
                Ok(ty) if key == "requester" => parsed.requester = Some(ty),
                Ok(ty) => parsed.responder = Some(ty),
                Err(_) => cx.error_spanned(&pair.value, format!("`{key}` must name a request type")),
            },
            _ => cx.error_spanned(
                &pair.path,
                format!("unknown `#[endpoint]` argument `{key}`; expected `interface`, `role`, `requester` or `responder`"),
            ),
        }
    }
    if parsed.requester.is_some() && parsed.responder.is_some() {
        cx.error_at(
            Span::call_site(),
            "an endpoint is either a `requester` or a `responder`, not both",
        );
    }
    parsed
}

/// Expand `#[endpoint(...)]` on `item`.
pub(crate) fn endpoint(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let args = parse_args(args, &mut cx);
    if args.interface.is_none() && !cx.has_errors() {
        cx.error_at(
            Span::call_site(),
            "`#[endpoint]` needs `interface = \"...\"`",
        );
    }
    if args.role.is_none() && !cx.has_errors() {
        cx.error_at(
            Span::call_site(),
            "`#[endpoint]` needs `role = \"provides\"`, `\"requires\"` or `\"peers\"`",
        );
    }
    let mut block: ItemImpl = match syn::parse2(item.clone()) {
        Ok(block) => block,
        Err(_) => {
            cx.error_at(
                Span::call_site(),
                "`#[endpoint]` goes on the inherent impl block of an endpoint type that holds its handlers",
            );
            let mut out = cx.into_compile_errors();
            out.extend(item);
            return out;
        }
    };
    if let Some((_, path, _)) = &block.trait_ {
        cx.error_spanned(
            path,
            "`#[endpoint]` goes on an inherent impl block (`impl MyEndpoint { ... }`), not a trait impl",
        );
    }
    if !block.generics.params.is_empty() {
        cx.error_spanned(
            &block.generics,
            "endpoint types cannot be generic: the framework must know the one type to make",
        );
    }
    let self_ty = block.self_ty.clone();
    let private = paths::private();
    let metadata = Metadata::load();
    if let Some(problem) = metadata.problem() {
        cx.error_at(Span::call_site(), problem);
    }
    let tracking = metadata.tracking();

    let mut registrations = Vec::new();
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else { continue };
        let mut collected: Vec<HandlerAttr> = Vec::new();
        for attr in &mut method.attrs {
            if let Some(kind) = attrs::kind_of(attr) {
                collected.push(attrs::collect_stacked(attr, kind, &mut cx));
            }
        }
        if collected.is_empty() {
            continue;
        }
        let model = check::check_attrs_in(&collected, &mut cx, true, metadata.endpoints());
        if !method.sig.generics.params.is_empty() {
            cx.error_spanned(&method.sig.generics, "endpoint handlers cannot be generic");
        }
        if !model.registers() {
            continue;
        }
        let name = &method.sig.ident;
        let file = location::crate_relative_file(name.span());
        let line = location::line(method.sig.fn_token.span());
        let has_receiver = matches!(method.sig.inputs.first(), Some(syn::FnArg::Receiver(_)));
        let invoke = if has_receiver {
            quote! {
                |__reactive_ctx: &mut #private::Context, __reactive_entry: &#private::HandlerEntry| {
                    #private::call_endpoint_handler::<#self_ty, _, _>(
                        <#self_ty>::#name, __reactive_ctx, __reactive_entry,
                    )
                }
            }
        } else {
            quote! {
                |__reactive_ctx: &mut #private::Context, _entry: &#private::HandlerEntry| {
                    #private::call_handler(<#self_ty>::#name, __reactive_ctx)
                }
            }
        };
        let location = Location {
            file: &file,
            line,
            function: name.to_string(),
        };
        registrations.push(expand::submit_descriptor(
            &model,
            &location,
            quote!(#private::Some(&__REACTIVE_SERVES)),
            invoke,
        ));
    }
    if cx.has_errors() {
        let mut out = cx.into_compile_errors();
        out.extend(quote!(#block #tracking));
        return out;
    }
    let interface = args.interface.unwrap_or_default();
    let role = args.role.unwrap_or_default();
    let type_name = quote!(#self_ty).to_string().replace(' ', "");
    let pattern = match (&args.requester, &args.responder) {
        (Some(request), _) => quote! {
            #private::Some(#private::requester_flags::<#self_ty, #request>)
        },
        (_, Some(request)) => quote! {
            #private::Some(#private::responder_flags::<#self_ty, #request>)
        },
        _ => quote!(#private::None),
    };
    quote! {
        #block
        #tracking
        const _: () = {
            static __REACTIVE_SERVES: #private::EndpointRef = #private::EndpointRef {
                interface: #interface,
                role: #role,
                type_name: #type_name,
            };
            #private::inventory::submit! {
                #private::EndpointDescriptor {
                    serves: &__REACTIVE_SERVES,
                    module_path: ::core::module_path!(),
                    create: #private::create_instance::<#self_ty>,
                    pattern_flags: #pattern,
                }
            }
            #(#registrations)*
        };
    }
}
