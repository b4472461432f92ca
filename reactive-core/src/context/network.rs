//! The addresses a charm hands to its peers and clients.

use super::Context;
use crate::tools::{HookTools, ToolError};

impl Context {
    /// This unit's ingress address for `binding` (an endpoint or extra
    /// binding of `metadata.yaml`): the first of `network-get`'s
    /// `ingress-addresses`, the address other units should use to reach
    /// it. `None` when Juju gives none.
    ///
    /// ```
    /// # use reactive_core::Context;
    /// # fn handler(ctx: &mut Context) -> Result<(), reactive_core::tools::ToolError> {
    /// if let Some(address) = ctx.ingress_address("website")? {
    ///     ctx.log(reactive_core::LogLevel::Info, &format!("serving on {address}"));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn ingress_address(&self, binding: &str) -> Result<Option<String>, ToolError> {
        let info = self.tools().with(|t| t.network_get(binding))?;
        Ok(info
            .get("ingress-addresses")
            .and_then(|a| a.as_array())
            .and_then(|a| a.first())
            .and_then(|a| a.as_str())
            .map(str::to_string))
    }
}
