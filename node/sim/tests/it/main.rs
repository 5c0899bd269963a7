//! The integration tests of the simulator: one test binary (STYLE: one per crate), a module each.

// The checker self-test expects forks: only with the deliberately broken quorum.
#[cfg(feature = "broken-quorum")]
mod broken_quorum;
// Expects no backdated block committed: never with the broken quorum.
#[cfg(not(feature = "broken-quorum"))]
mod backdate;
mod determinism;
// Expects no fork: never with the broken quorum.
#[cfg(not(feature = "broken-quorum"))]
mod sweep;
