//! What a node is to the chain: it votes, or it only follows (DESIGN §1, §9).

use serde::{Deserialize, Serialize};

/// A node's role, in its `config.json` and in its `/v1/status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    /// Votes with its consensus key.
    Validator,
    /// Follows and verifies the chain, serves the read-only API and dashboard, never votes.
    Observer,
}
