//! The integration tests of the whole-node simulation: one binary, a module each.

mod store;
mod whole;
