//! The integration tests of the consensus core: one test binary (STYLE: one per crate), a module
//! each.

mod bounds;
mod common;
mod pbts;
mod round;
mod timely;
