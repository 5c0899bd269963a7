//! The integration tests of the primitives: one test binary (STYLE: one per crate), a module each.

mod agreement;
mod speccheck;
