//! The integration tests of the consensus core: one test binary (STYLE: one per crate), a module
//! each.

mod bounds;
mod common;
mod round;
mod timely;
