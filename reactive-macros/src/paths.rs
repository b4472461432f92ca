//! Every path the generated code names, in one place.

use proc_macro2::TokenStream;
use quote::quote;

/// `::reactive_core::__private`, the hidden module generated code uses.
pub(crate) fn private() -> TokenStream {
    quote!(::reactive_core::__private)
}

/// The marker types of the handler signatures
/// (`::reactive_core::handler::invoke::signature`).
pub(crate) fn signature() -> TokenStream {
    quote!(::reactive_core::handler::invoke::signature)
}
