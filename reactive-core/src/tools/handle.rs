//! A shared handle on one hook's (cached) tools, so that lazily read data
//! (relation data views) can fetch what it needs when first read.

use std::sync::{Arc, Mutex};

use super::cache::CachedTools;
use super::null::NoTools;
use super::HookTools;

/// A cloneable handle on the hook's tools. Every access is short: take the
/// tools with [`ToolsHandle::with`] for one call.
#[derive(Clone)]
pub struct ToolsHandle {
    inner: Arc<Mutex<CachedTools>>,
}

impl std::fmt::Debug for ToolsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ToolsHandle")
    }
}

impl Default for ToolsHandle {
    fn default() -> Self {
        ToolsHandle::new(Box::new(NoTools))
    }
}

impl ToolsHandle {
    /// A handle on `tools`, with per-hook caching.
    pub fn new(tools: Box<dyn HookTools>) -> Self {
        ToolsHandle {
            inner: Arc::new(Mutex::new(CachedTools::new(tools))),
        }
    }

    /// Run `f` with the tools.
    pub fn with<R>(&self, f: impl FnOnce(&mut CachedTools) -> R) -> R {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Take the tools out (at the end of a hook), leaving "no tools" behind
    /// for any handle still held.
    pub fn take(&self) -> Box<dyn HookTools> {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let cached = std::mem::replace(&mut *guard, CachedTools::new(Box::new(NoTools)));
        cached.into_inner()
    }
}
