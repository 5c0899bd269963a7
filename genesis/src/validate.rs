//! [`Genesis::validate`]: every rule a genesis must satisfy before a node starts on it (DESIGN §4).
//!
//! The checks run in a fixed order and stop at the first failure, which names the entry and says
//! what to change. Rules, in order:
//!
//! 1. `version` is [`GENESIS_VERSION`]; `params` pass `Params::validate`; `chain_id` equals
//!    `params.chain_id`; `genesis_time` is set; consensus timeouts, block limits, clock precision and message delay
//!    are in range.
//! 2. Genesis accounts: unique account ids, valid ed25519 keys, names of 1 to 256 bytes; exactly
//!    one regulator, at least one custodian bank and at least one seal authority.
//! 3. At least one validator; each has a valid name, nonzero voting power (total within u64), a
//!    valid consensus key, an institution that is a genesis member institution (credit
//!    institution, custodian bank or validator institution).
//! 4. Validators and observers together: unique names, peer ids, consensus keys and p2p
//!    addresses; each peer id is an ed25519-derived libp2p peer id; each address is
//!    `/ip4/…/tcp/…` (a `/p2p/` suffix, if any, must be the node's own peer id).

use std::collections::BTreeSet;

use loanchain_contracts::{AccountId, Role};

use crate::error::GenesisError;
use crate::genesis::{GENESIS_VERSION, Genesis};
use crate::net::{TcpMultiaddr, is_ed25519_point, parse_ed25519_peer_id};

/// Longest genesis account name, in bytes (the contracts crate's limit for text fields).
const MAX_ACCOUNT_NAME_BYTES: usize = 256;
/// Longest consensus timeout (base or per-round increase), in ms.
const MAX_TIMEOUT_MS: u64 = 600_000;
/// Largest message-delay bound, in ms: a minute, `loanchain_consensus::MAX_MESSAGE_DELAY_MS`
/// (this crate does not depend on the consensus core), the cap up to which the bound grows per
/// round; a larger genesis value would never grow, and would let a proposer backdate blocks by
/// more than a minute.
const MAX_MESSAGE_DELAY_MS: u64 = 60_000;
use loanchain_types::limits::{MAX_BLOCK_TX_BYTES, MAX_BLOCK_TXS};

/// Checks a node name: 1 to 64 characters of `[A-Za-z0-9._-]`, not starting with '.'.
pub fn check_node_name(name: &str) -> Result<(), GenesisError> {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > 64 || name.starts_with('.') || !name.chars().all(ok) {
        return Err(GenesisError::BadField {
            what: "node name",
            value: name.into(),
            reason: "use 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-', not starting with '.'".into(),
        });
    }
    Ok(())
}

impl Genesis {
    /// Checks every rule of the module documentation; the first failure is returned.
    pub fn validate(&self) -> Result<(), GenesisError> {
        self.validate_header()?;
        self.validate_accounts()?;
        self.validate_validators()?;
        self.validate_nodes()
    }

    fn validate_header(&self) -> Result<(), GenesisError> {
        if self.version != GENESIS_VERSION {
            return Err(GenesisError::BadField {
                what: "version",
                value: self.version.to_string(),
                reason: format!("this build reads genesis version {GENESIS_VERSION} only"),
            });
        }
        self.params.validate().map_err(|e| GenesisError::InvalidParams { reason: e.to_string() })?;
        if self.chain_id != self.params.chain_id {
            return Err(GenesisError::ChainIdMismatch { genesis: self.chain_id.clone(), params: self.params.chain_id.clone() });
        }
        if self.genesis_time == 0 {
            return Err(GenesisError::BadField {
                what: "genesis_time",
                value: "0".into(),
                reason: "set it to the chain's start, in unix milliseconds".into(),
            });
        }
        let c = &self.consensus;
        let bad = |field: &'static str, reason: String| Err(GenesisError::InvalidConsensus { field, reason });
        for (field, base) in [
            ("timeout_propose_ms", c.timeout_propose_ms),
            ("timeout_prevote_ms", c.timeout_prevote_ms),
            ("timeout_precommit_ms", c.timeout_precommit_ms),
        ] {
            if base == 0 || base > MAX_TIMEOUT_MS {
                return bad(field, format!("{base} ms must be within 1 and {MAX_TIMEOUT_MS}"));
            }
        }
        for (field, value) in [
            ("timeout_propose_delta_ms", c.timeout_propose_delta_ms),
            ("timeout_prevote_delta_ms", c.timeout_prevote_delta_ms),
            ("timeout_precommit_delta_ms", c.timeout_precommit_delta_ms),
            ("timeout_commit_ms", c.timeout_commit_ms),
        ] {
            if value > MAX_TIMEOUT_MS {
                return bad(field, format!("{value} ms must be at most {MAX_TIMEOUT_MS}"));
            }
        }
        if c.max_block_txs == 0 || c.max_block_txs as usize > MAX_BLOCK_TXS {
            return bad("max_block_txs", format!("{} must be within 1 and {MAX_BLOCK_TXS}", c.max_block_txs));
        }
        if c.max_block_bytes < 1024 || c.max_block_bytes > MAX_BLOCK_TX_BYTES as u64 {
            return bad("max_block_bytes", format!("{} must be within 1024 and {MAX_BLOCK_TX_BYTES}", c.max_block_bytes));
        }
        if c.max_clock_drift_ms == 0 || c.max_clock_drift_ms > MAX_TIMEOUT_MS {
            return bad("max_clock_drift_ms", format!("{} ms must be within 1 and {MAX_TIMEOUT_MS}", c.max_clock_drift_ms));
        }
        if c.message_delay_ms == 0 || c.message_delay_ms > MAX_MESSAGE_DELAY_MS {
            return bad("message_delay_ms", format!("{} ms must be within 1 and {MAX_MESSAGE_DELAY_MS}", c.message_delay_ms));
        }
        Ok(())
    }

    fn validate_accounts(&self) -> Result<(), GenesisError> {
        let mut ids = BTreeSet::new();
        for a in &self.accounts {
            let id = a.public_key.account_id();
            if !ids.insert(id) {
                return Err(GenesisError::Duplicate { what: "account", value: id.to_string() });
            }
            if !is_ed25519_point(a.public_key.as_bytes()) {
                return Err(GenesisError::BadPublicKey { what: format!("account {:?}", a.name), key: a.public_key.to_hex() });
            }
            if a.name.is_empty() || a.name.len() > MAX_ACCOUNT_NAME_BYTES {
                return Err(GenesisError::BadField {
                    what: "account name",
                    value: a.name.clone(),
                    reason: format!("must be 1 to {MAX_ACCOUNT_NAME_BYTES} bytes"),
                });
            }
        }
        let count = |role| self.accounts.iter().filter(|a| a.role == role).count();
        for (role, ok, expected) in [
            (Role::Regulator, count(Role::Regulator) == 1, "exactly one regulator is required"),
            (Role::CustodianBank, count(Role::CustodianBank) >= 1, "at least one custodian bank is required"),
            (Role::SealAuthority, count(Role::SealAuthority) >= 1, "at least one seal authority is required"),
        ] {
            if !ok {
                return Err(GenesisError::RoleCount { role: role.name(), count: count(role), expected });
            }
        }
        Ok(())
    }

    fn validate_validators(&self) -> Result<(), GenesisError> {
        if self.validators.is_empty() {
            return Err(GenesisError::NoValidators);
        }
        let mut total: u64 = 0;
        for v in &self.validators {
            check_node_name(&v.name)?;
            if v.voting_power == 0 {
                return Err(GenesisError::ZeroVotingPower { validator: v.name.clone() });
            }
            total = total.checked_add(v.voting_power).ok_or(GenesisError::VotingPowerOverflow)?;
            if !is_ed25519_point(v.consensus_public_key.as_bytes()) {
                return Err(GenesisError::BadPublicKey {
                    what: format!("validator {:?} consensus", v.name),
                    key: v.consensus_public_key.to_hex(),
                });
            }
            self.check_institution(&v.name, &v.institution)?;
        }
        Ok(())
    }

    fn check_institution(&self, validator: &str, institution: &AccountId) -> Result<(), GenesisError> {
        let bad = |reason: String| GenesisError::BadInstitution { validator: validator.into(), account: institution.to_string(), reason };
        let account = self
            .accounts
            .iter()
            .find(|a| a.public_key.account_id() == *institution)
            .ok_or_else(|| bad("is not a genesis account: add it to `accounts`".into()))?;
        match account.role {
            Role::CreditInstitution | Role::CustodianBank | Role::ValidatorInstitution => Ok(()),
            other => Err(bad(format!(
                "has role {other}; only a credit_institution, custodian_bank or validator_institution may run a validator"
            ))),
        }
    }

    fn validate_nodes(&self) -> Result<(), GenesisError> {
        let nodes = self
            .validators
            .iter()
            .map(|v| (&v.name, &v.peer_id, &v.p2p_address))
            .chain(self.observers.iter().map(|o| (&o.name, &o.peer_id, &o.p2p_address)));
        let (mut names, mut peers, mut addrs) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for (name, peer_id, address) in nodes {
            check_node_name(name)?;
            if !names.insert(name.as_str()) {
                return Err(GenesisError::Duplicate { what: "node name", value: name.clone() });
            }
            let peer = parse_ed25519_peer_id(peer_id).map_err(|reason| GenesisError::BadPeerId {
                node: name.clone(),
                peer_id: peer_id.clone(),
                reason,
            })?;
            if !peers.insert(peer) {
                return Err(GenesisError::Duplicate { what: "peer id", value: peer_id.clone() });
            }
            let bad_addr = |reason: String| GenesisError::BadAddress { node: name.clone(), address: address.clone(), reason };
            let addr: TcpMultiaddr = address.parse().map_err(bad_addr)?;
            if addr.peer.is_some_and(|p| p != peer) {
                return Err(bad_addr("its /p2p/ suffix is not the node's own peer id".into()));
            }
            if !addrs.insert(addr.socket_addr()) {
                return Err(GenesisError::Duplicate { what: "p2p address", value: address.clone() });
            }
        }
        let mut keys = BTreeSet::new();
        for v in &self.validators {
            if !keys.insert(v.consensus_public_key) {
                return Err(GenesisError::Duplicate { what: "consensus key", value: v.consensus_public_key.to_hex() });
            }
        }
        Ok(())
    }
}
