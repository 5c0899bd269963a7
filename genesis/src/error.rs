//! The one error enum of the crate (STYLE habit 8).

use std::path::PathBuf;

use loanchain_contracts::ErrorClass;
use thiserror::Error;

/// Everything that can go wrong with a genesis file, a key file, a node config or a devnet.
///
/// Validation errors name the offending entry and say what to change; I/O errors carry the path.
#[derive(Debug, Error)]
pub enum GenesisError {
    // --- validation ---------------------------------------------------------------------------
    /// `params` does not pass `Params::validate`.
    #[error("genesis params are invalid: {reason}")]
    InvalidParams {
        /// What the contracts crate objected to.
        reason: String,
    },
    /// `consensus` holds a value the node cannot run with.
    #[error("consensus.{field} is invalid: {reason}")]
    InvalidConsensus {
        /// The field of `ConsensusParams`.
        field: &'static str,
        /// Why, and what would be accepted.
        reason: String,
    },
    /// The top-level `chain_id` and `params.chain_id` differ.
    #[error("chain_id {genesis:?} differs from params.chain_id {params:?}: set both to the same value")]
    ChainIdMismatch {
        /// The top-level chain id.
        genesis: String,
        /// The one in `params`.
        params: String,
    },
    /// The validator list is empty.
    #[error("genesis lists no validators: at least one is needed to produce blocks")]
    NoValidators,
    /// Two validators, observers or accounts share a value that must be unique.
    #[error("{what} {value:?} appears more than once: every node and account needs its own")]
    Duplicate {
        /// What is duplicated ("node name", "peer id", "consensus key", "p2p address", "account").
        what: &'static str,
        /// The repeated value.
        value: String,
    },
    /// A validator has voting power 0.
    #[error("validator {validator:?} has voting power 0: give it at least 1 or remove it")]
    ZeroVotingPower {
        /// The validator's name.
        validator: String,
    },
    /// The voting powers do not sum within a u64.
    #[error("the total voting power overflows a u64: use smaller voting powers")]
    VotingPowerOverflow,
    /// A validator's institution is not among the genesis accounts, or has a role that cannot run a validator.
    #[error("validator {validator:?}: institution {account} {reason}")]
    BadInstitution {
        /// The validator's name.
        validator: String,
        /// The institution account id (hex).
        account: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The number of genesis accounts of a role is outside what the chain needs.
    #[error("genesis has {count} {role} account(s); {expected}")]
    RoleCount {
        /// The role (snake_case name).
        role: &'static str,
        /// How many accounts have it.
        count: usize,
        /// What is required.
        expected: &'static str,
    },
    /// A node's peer id does not parse or is not derived from an ed25519 key.
    #[error("node {node:?}: peer id {peer_id:?} is invalid: {reason}")]
    BadPeerId {
        /// The node's name.
        node: String,
        /// The peer id as written.
        peer_id: String,
        /// Why.
        reason: String,
    },
    /// A node's address is not a `/ip4/A.B.C.D/tcp/PORT` multiaddr.
    #[error("node {node:?}: address {address:?} is invalid: {reason} (expected /ip4/A.B.C.D/tcp/PORT)")]
    BadAddress {
        /// The node's name.
        node: String,
        /// The address as written.
        address: String,
        /// Why.
        reason: String,
    },
    /// A public key is not a valid ed25519 point.
    #[error("{what} public key {key} is not a valid ed25519 key")]
    BadPublicKey {
        /// Whose key.
        what: String,
        /// The key in hex.
        key: String,
    },
    /// A name or other text field is empty, too long or has characters outside the allowed set.
    #[error("{what} {value:?} is invalid: {reason}")]
    BadField {
        /// Which field.
        what: &'static str,
        /// The value.
        value: String,
        /// Why.
        reason: String,
    },

    // --- files --------------------------------------------------------------------------------
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file is larger than this kind of file may be.
    #[error("{path}: {size} bytes is more than the {max} bytes a {what} may have")]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// What it should be.
        what: &'static str,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A file is not valid JSON of the expected shape.
    #[error("{path}: not a valid {what}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What it should be.
        what: &'static str,
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// A key file is malformed or its parts do not match.
    #[error("key file {path}: {reason}")]
    BadKeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A key file holds another kind of key than the one asked for.
    #[error("key file {path} holds a {found} key, but a {expected} key is needed")]
    WrongKeyKind {
        /// The file.
        path: PathBuf,
        /// The kind needed.
        expected: &'static str,
        /// The kind found.
        found: &'static str,
    },
    /// A file or directory exists and would be overwritten.
    #[error("{path} already exists: remove it or pass --force to overwrite")]
    AlreadyExists {
        /// The path.
        path: PathBuf,
    },
    /// The bcs encoding failed or did not decode back.
    #[error("bcs encoding of the genesis failed: {reason}")]
    Encoding {
        /// Why.
        reason: String,
    },
    /// The contracts crate refused something (a seal certificate, a genesis account).
    #[error("{context}: {source}")]
    Contracts {
        /// What was being done.
        context: &'static str,
        /// The contracts error.
        #[source]
        source: loanchain_contracts::Error,
    },
}

impl GenesisError {
    /// Whether retrying can help: only I/O may be transient; everything else is the input's fault.
    pub fn class(&self) -> ErrorClass {
        match self {
            GenesisError::Io { .. } => ErrorClass::Retryable,
            GenesisError::Encoding { .. } => ErrorClass::Fatal,
            _ => ErrorClass::Client,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> GenesisError {
        GenesisError::Io { path: path.into(), source }
    }
}
