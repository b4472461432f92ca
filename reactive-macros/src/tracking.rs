//! Recompiling a crate when the charm files its macros read change.

/// Items that make the crate recompile when a charm file the macros read
/// changes, or the environment variable that can name another one:
/// `include_bytes!` of the file (when there is one, by absolute path) and
/// `option_env!` of the variable, always.
pub(crate) fn recompile_on_change(
    file: Option<&std::path::Path>,
    path_var: &str,
) -> proc_macro2::TokenStream {
    let file = file
        .filter(|path| path.is_absolute())
        .and_then(std::path::Path::to_str)
        .map(|path| {
            quote::quote!(
                const _: &[u8] = ::core::include_bytes!(#path);
            )
        });
    quote::quote! {
        #file
        const _: ::core::option::Option<&str> = ::core::option_env!(#path_var);
    }
}
