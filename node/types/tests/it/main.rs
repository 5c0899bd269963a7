//! The integration tests of the chain types: one test binary (STYLE: one per crate), a module each.

mod fixtures;
