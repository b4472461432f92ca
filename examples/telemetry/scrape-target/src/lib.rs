//! The scrape-target example charm.
#![deny(missing_docs)]
