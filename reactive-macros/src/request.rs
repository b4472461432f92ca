//! `#[derive(Request)]` and `#[derive(Response)]`: the typed request and
//! response types of the request/response pattern.
//!
//! A request type is a non-generic struct with named fields and a
//! `#[request(response = ResponseType)]` attribute; no field may be called
//! `request_id` (the framework generates it). The derive implements
//! `reactive_core::request::Request` and generates two extension traits:
//! `<Struct>Fields` (a getter and a setter per field, on request handles)
//! and `<Struct>Finders` (`response_by_<field>` on requester endpoints). A
//! response type is a non-generic struct with named fields; its derive
//! implements `reactive_core::request::Response`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, Type};

use crate::ctxt::Ctxt;
use crate::paths;

/// Which derive is expanding.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Request,
    Response,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Request => "Request",
            Kind::Response => "Response",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::Response => "response",
        }
    }
}

/// One field of the struct.
struct Field {
    ident: Ident,
    /// The JSON key (the identifier without `r#`).
    name: String,
    ty: Type,
}

/// Check the struct's shape and collect its fields (reporting every
/// problem).
fn collect_fields(input: &DeriveInput, kind: Kind, cx: &mut Ctxt) -> Vec<Field> {
    let derive = kind.name();
    let noun = kind.noun();
    let ident = &input.ident;
    let example = match kind {
        Kind::Request => "struct JobRequest { job_name: String }",
        Kind::Response => "struct JobResponse { success: bool }",
    };
    let named = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => Some(named),
            Fields::Unnamed(unnamed) => {
                cx.error_spanned(
                    unnamed,
                    format!(
                        "`#[derive({derive})]` needs named fields: each field of a {noun} is a key of its JSON object \
                         (write `{example}`)"
                    ),
                );
                None
            }
            Fields::Unit => {
                cx.error_spanned(
                    ident,
                    format!(
                        "`#[derive({derive})]` needs a struct with named fields; `{ident}` has none \
                         (write `{example}`)"
                    ),
                );
                None
            }
        },
        Data::Enum(data) => {
            cx.error_spanned(
                data.enum_token,
                format!(
                    "`#[derive({derive})]` goes on a struct with named fields, not an enum \
                     (a {noun} is one JSON object of its fields)"
                ),
            );
            None
        }
        Data::Union(data) => {
            cx.error_spanned(
                data.union_token,
                format!("`#[derive({derive})]` goes on a struct with named fields, not a union"),
            );
            None
        }
    };
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        cx.error_spanned(
            &input.generics,
            format!("a {noun} type cannot be generic: the framework must know its fields' types"),
        );
    }
    let Some(named) = named else {
        return Vec::new();
    };
    let mut fields = Vec::new();
    for field in &named.named {
        let Some(field_ident) = &field.ident else {
            continue;
        };
        for attr in &field.attrs {
            if attr.path().is_ident("request") {
                cx.error_spanned(attr, "`#[request(...)]` goes on the struct, not on a field");
            }
        }
        let name = field_ident.unraw().to_string();
        if kind == Kind::Request && name == "request_id" {
            cx.error_spanned(
                field_ident,
                "a request cannot declare `request_id`: the framework generates it (a UUID v4 set when \
                 the request is created, never modified) and every request has it; remove this field",
            );
            continue;
        }
        fields.push(Field {
            ident: field_ident.clone(),
            name,
            ty: field.ty.clone(),
        });
    }
    fields
}

/// Read `#[request(response = Type)]`.
fn response_type(input: &DeriveInput, cx: &mut Ctxt) -> Option<Type> {
    let mut response: Option<Type> = None;
    let mut seen = false;
    for attr in &input.attrs {
        if !attr.path().is_ident("request") {
            continue;
        }
        seen = true;
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("response") {
                let ty: Type = meta.value()?.parse()?;
                if response.is_some() {
                    return Err(meta.error("`response` is given twice"));
                }
                response = Some(ty);
                Ok(())
            } else {
                let key = meta
                    .path
                    .get_ident()
                    .map(|i| i.to_string())
                    .unwrap_or_default();
                Err(meta.error(format!(
                    "unknown `#[request]` argument `{key}`; expected `response = ResponseType`"
                )))
            }
        });
        if let Err(e) = result {
            cx.push(e);
        }
    }
    if response.is_none() && !cx.has_errors() {
        let ident = &input.ident;
        let message = if seen {
            "`#[request(...)]` must name the response type: `#[request(response = ResponseType)]`"
                .to_string()
        } else {
            format!(
                "`#[derive(Request)]` needs the response type: add `#[request(response = ResponseType)]` \
                 on `{ident}`, naming a struct that derives `Response`"
            )
        };
        cx.error_spanned(ident, message);
    }
    response
}

/// `#[derive(Request)]`.
pub(crate) fn derive_request(input: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let fields = collect_fields(&input, Kind::Request, &mut cx);
    let response = response_type(&input, &mut cx);
    let Some(response) = response.filter(|_| !cx.has_errors()) else {
        return cx.into_compile_errors();
    };
    let ident = &input.ident;
    let request_trait = quote!(::reactive_core::request::Request);
    let mut out = trait_impl(ident, &fields, request_trait.clone(), Some(&response));
    out.extend(fields_trait(&input, &fields));
    out.extend(finders_trait(&input, &fields, &request_trait));
    out
}

/// `#[derive(Response)]`.
pub(crate) fn derive_response(input: TokenStream) -> TokenStream {
    let mut cx = Ctxt::default();
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let fields = collect_fields(&input, Kind::Response, &mut cx);
    if cx.has_errors() {
        return cx.into_compile_errors();
    }
    trait_impl(
        &input.ident,
        &fields,
        quote!(::reactive_core::request::Response),
        None,
    )
}

/// `impl Request for X` / `impl Response for X`.
fn trait_impl(
    ident: &Ident,
    fields: &[Field],
    trait_path: TokenStream,
    response: Option<&Type>,
) -> TokenStream {
    let private = paths::private();
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let to_fields = fields.iter().map(|f| {
        let (field, name, ty) = (&f.ident, &f.name, &f.ty);
        let codec = quote_spanned!(ty.span()=> #private::codec::<#ty>());
        quote! {
            __fields.insert(
                ::std::string::String::from(#name),
                (#codec.encode)(#name, &self.#field)?,
            );
        }
    });
    let from_fields = fields.iter().map(|f| {
        let (field, name, ty) = (&f.ident, &f.name, &f.ty);
        let codec = quote_spanned!(ty.span()=> #private::codec::<#ty>());
        quote! {
            #field: (#codec.decode)(__fields, #name)?,
        }
    });
    let response = response.map(|ty| {
        quote_spanned! {ty.span()=>
            type Response = #ty;
        }
    });
    quote! {
        #[automatically_derived]
        impl #trait_path for #ident {
            #response
            const FIELDS: &'static [&'static str] = &[#(#names),*];

            fn to_fields(
                &self,
            ) -> ::core::result::Result<
                #private::serde_json::Map<::std::string::String, #private::serde_json::Value>,
                #private::FieldError,
            > {
                let mut __fields = #private::serde_json::Map::new();
                #(#to_fields)*
                ::core::result::Result::Ok(__fields)
            }

            fn from_fields(
                __fields: &#private::serde_json::Map<::std::string::String, #private::serde_json::Value>,
            ) -> ::core::result::Result<Self, #private::FieldError> {
                ::core::result::Result::Ok(#ident {
                    #(#from_fields)*
                })
            }
        }
    }
}

/// `pub trait <Struct>Fields`: getters and setters on request handles.
fn fields_trait(input: &DeriveInput, fields: &[Field]) -> TokenStream {
    let ident = &input.ident;
    let vis = &input.vis;
    let private = paths::private();
    let trait_ident = format_ident!("{}Fields", ident.unraw());
    let trait_doc = format!(
        "Typed getters and setters of [`{ident}`]'s fields on request handles (generated by \
         `#[derive(Request)]`): the getters on every handle, the setters on a `RequestMut` only \
         (a request this side created). Each setter writes the relation data at once."
    );
    let mut decls = Vec::new();
    let mut defs = Vec::new();
    for f in fields {
        let (field, name, ty) = (&f.ident, &f.name, &f.ty);
        let setter = format_ident!("set_{}", name, span = field.span());
        let codec = quote_spanned!(ty.span()=> #private::codec::<#ty>());
        let get_doc = format!("The request's `{name}` field.");
        let set_doc = format!(
            "Set the request's `{name}` field, in the relation data too. Fails only when the value \
             cannot be encoded as JSON."
        );
        decls.push(quote! {
            #[doc = #get_doc]
            fn #field(&self) -> &#ty;
            #[doc = #set_doc]
            fn #setter(
                &mut self,
                value: #ty,
            ) -> ::core::result::Result<(), #private::RequestError>
            where
                Self: #private::RequestEdit<#ident>;
        });
        defs.push(quote! {
            fn #field(&self) -> &#ty {
                &#private::RequestAccess::<#ident>::request_fields(self).#field
            }
            fn #setter(
                &mut self,
                value: #ty,
            ) -> ::core::result::Result<(), #private::RequestError>
            where
                Self: #private::RequestEdit<#ident>,
            {
                #private::RequestEdit::<#ident>::edit_field(
                    self,
                    #name,
                    value,
                    #codec.encode,
                    |__request| &mut __request.#field,
                )
            }
        });
    }
    quote! {
        #[doc = #trait_doc]
        #vis trait #trait_ident {
            #(#decls)*
        }

        #[automatically_derived]
        impl<__Handle: ?::core::marker::Sized + #private::RequestAccess<#ident>> #trait_ident
            for __Handle
        {
            #(#defs)*
        }
    }
}

/// `pub trait <Struct>Finders`: `response_by_<field>` on requester
/// endpoints.
fn finders_trait(
    input: &DeriveInput,
    fields: &[Field],
    request_trait: &TokenStream,
) -> TokenStream {
    let ident = &input.ident;
    let vis = &input.vis;
    let private = paths::private();
    let trait_ident = format_ident!("{}Finders", ident.unraw());
    let trait_doc = format!(
        "Find a response by a field of its request, on every requester endpoint of [`{ident}`] \
         (generated by `#[derive(Request)]`)."
    );
    let result = quote! {
        ::core::result::Result<
            ::core::option::Option<
                #private::ResponseRecord<<#ident as #request_trait>::Response>
            >,
            #private::RequestError,
        >
    };
    let mut decls = Vec::new();
    let mut defs = Vec::new();
    let request_id: Type = syn::parse_quote!(::std::string::String);
    let all = std::iter::once(("request_id".to_string(), &request_id, Span::call_site())).chain(
        fields
            .iter()
            .map(|f| (f.name.clone(), &f.ty, f.ident.span())),
    );
    for (name, ty, span) in all {
        let finder = format_ident!("response_by_{}", name, span = span);
        let doc = format!(
            "The response to the first request (by id) whose `{name}` equals `value`, on relation \
             `relation_id` when given; `None` when no such request was answered."
        );
        decls.push(quote! {
            #[doc = #doc]
            fn #finder<__Value>(
                &self,
                value: &__Value,
                relation_id: ::core::option::Option<&str>,
            ) -> #result
            where
                __Value: ?::core::marker::Sized + #private::serde::Serialize,
                #ty: ::core::borrow::Borrow<__Value>;
        });
        defs.push(quote! {
            fn #finder<__Value>(
                &self,
                value: &__Value,
                relation_id: ::core::option::Option<&str>,
            ) -> #result
            where
                __Value: ?::core::marker::Sized + #private::serde::Serialize,
                #ty: ::core::borrow::Borrow<__Value>,
            {
                let value = #private::field_to_value(#name, value)?;
                #private::RequesterEndpoint::response_by_field(self, relation_id, &[(#name, value)])
            }
        });
    }
    quote! {
        #[doc = #trait_doc]
        #vis trait #trait_ident {
            #(#decls)*
        }

        #[automatically_derived]
        impl<__Endpoint: #private::RequesterEndpoint<Request = #ident>> #trait_ident for __Endpoint {
            #(#defs)*
        }
    }
}
