//! The genesis file (DESIGN §4): what every node must agree on before block 1.
//!
//! JSON on disk (money as strings, keys and account ids as hex), bcs for the hash: the genesis
//! hash is SHA-256 of the bcs encoding of [`Genesis`], so two nodes with the same hash run the same
//! chain. Every type here uses only plain structs, `Vec`, `String`, integers and the contracts
//! crate's types, which bcs encodes and decodes back (no internally tagged enums, no maps keyed by
//! non-canonical types).

use std::fs;
use std::io::Read;
use std::path::Path;

use loanchain_contracts::{AccountId, GenesisAccount, Hash, Params, PublicKey, Role};
use loanchain_types::{Validator, ValidatorSet};
use serde::{Deserialize, Serialize};

use crate::error::GenesisError;

/// The only genesis format version this crate reads and writes.
pub const GENESIS_VERSION: u32 = 1;
/// Largest genesis file [`Genesis::load`] reads.
pub const MAX_GENESIS_BYTES: u64 = 16 << 20;

/// The genesis file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Format version, [`GENESIS_VERSION`].
    pub version: u32,
    /// The chain id; every transaction and vote signs over it. Must equal `params.chain_id`.
    pub chain_id: String,
    /// Time of genesis, unix milliseconds: the first block's time must be later.
    pub genesis_time: u64,
    /// Parameters of the loan state machine (risk margins, grace days, periods…, DESIGN §6).
    pub params: Params,
    /// Parameters of consensus (timeouts, block limits, clock drift, DESIGN §8).
    pub consensus: ConsensusParams,
    /// The validator set at height 1, in proposer order.
    pub validators: Vec<ValidatorEntry>,
    /// Observer nodes: allowed to connect and follow the chain, never to vote (DESIGN §9).
    pub observers: Vec<ObserverEntry>,
    /// Accounts that exist from genesis (institutions, custodian bank, regulator, seal
    /// authorities), with their roles and opening balances. A seal authority's account key is
    /// also its certificate-issuing key.
    pub accounts: Vec<GenesisAccount>,
}

/// Consensus parameters (DESIGN §8). Timeouts are in milliseconds; round `r` (from 0) waits
/// `base + r × delta`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsensusParams {
    /// How long to wait for the proposal in round 0.
    pub timeout_propose_ms: u64,
    /// Added to the propose timeout in each further round.
    pub timeout_propose_delta_ms: u64,
    /// How long to wait for +2/3 prevotes for one value after seeing +2/3 prevotes for anything.
    pub timeout_prevote_ms: u64,
    /// Added to the prevote timeout in each further round.
    pub timeout_prevote_delta_ms: u64,
    /// How long to wait for +2/3 precommits for one value after seeing +2/3 precommits for anything.
    pub timeout_precommit_ms: u64,
    /// Added to the precommit timeout in each further round.
    pub timeout_precommit_delta_ms: u64,
    /// Pause after a commit before starting the next height (gathers transactions; 0 = at once).
    pub timeout_commit_ms: u64,
    /// Most transactions in one block.
    pub max_block_txs: u32,
    /// Most bytes of transactions in one block (their signed bytes, summed; the encoded block's
    /// own bound follows: `loanchain_types::limits::MAX_BLOCK_BYTES`).
    pub max_block_bytes: u64,
    /// The clock precision of proposer-based timestamps (DESIGN §8, "Block time"): how far two
    /// correct validators' clocks may differ. A validator prevotes a new proposal only if its
    /// block's time is at most this far ahead of its own clock, and at most this plus
    /// [`message_delay_ms`](Self::message_delay_ms) behind it.
    pub max_clock_drift_ms: u64,
    /// The message-delay bound of proposer-based timestamps, round 0: how long a proposal may take
    /// from its proposer's clock to a validator's receipt (gossip, verification, the chain task's
    /// queue) and still be prevoted. Each round adds a tenth, up to a minute, so a value too small
    /// for the real network costs rounds, not liveness (`loanchain_consensus::message_delay_in_round`).
    /// A block can be stamped at most this plus the precision in the past. The devnet's 2 s is
    /// CometBFT's first default: far above a LAN's delay, but a proposal reaches a busy node's
    /// chain task later than the wire (two shared cores, block execution and storage ahead of it
    /// in the queue), and below the 2.5 s a devnet round lasts at least (propose 1 s, prevote and
    /// precommit 300 ms each, plus the commit pause), so a proposer can backdate a block by at most
    /// about one round's time (3 s with the precision).
    pub message_delay_ms: u64,
}

impl ConsensusParams {
    /// The devnet's values: short timeouts for a local network, blocks of up to 5,000 transactions.
    pub fn devnet() -> ConsensusParams {
        ConsensusParams {
            timeout_propose_ms: 1_000,
            timeout_propose_delta_ms: 500,
            timeout_prevote_ms: 300,
            timeout_prevote_delta_ms: 200,
            timeout_precommit_ms: 300,
            timeout_precommit_delta_ms: 200,
            timeout_commit_ms: 50,
            max_block_txs: 5_000,
            max_block_bytes: 4 << 20,
            max_clock_drift_ms: 1_000,
            message_delay_ms: 2_000,
        }
    }

    /// The propose timeout of `round`, in ms (saturating).
    pub fn propose_timeout_ms(&self, round: u32) -> u64 {
        grow(self.timeout_propose_ms, self.timeout_propose_delta_ms, round)
    }

    /// The prevote timeout of `round`, in ms (saturating).
    pub fn prevote_timeout_ms(&self, round: u32) -> u64 {
        grow(self.timeout_prevote_ms, self.timeout_prevote_delta_ms, round)
    }

    /// The precommit timeout of `round`, in ms (saturating).
    pub fn precommit_timeout_ms(&self, round: u32) -> u64 {
        grow(self.timeout_precommit_ms, self.timeout_precommit_delta_ms, round)
    }
}

fn grow(base: u64, delta: u64, round: u32) -> u64 {
    base.saturating_add(delta.saturating_mul(u64::from(round)))
}

/// A validator: a member institution's node that votes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorEntry {
    /// Node name, 1 to 64 characters of `[A-Za-z0-9._-]` (also its directory name in a devnet).
    pub name: String,
    /// The member institution that runs it: a genesis account.
    pub institution: AccountId,
    /// The ed25519 key that signs its proposals and votes (not its account key).
    pub consensus_public_key: PublicKey,
    /// Its libp2p peer id, derived from its ed25519 node key ("12D3KooW…").
    pub peer_id: String,
    /// Where it listens for peers: `/ip4/A.B.C.D/tcp/PORT`.
    pub p2p_address: String,
    /// Its weight in votes and in proposer selection (≥ 1).
    pub voting_power: u64,
}

/// An observer (a regulator's read-only node): allowed to connect and sync, never to vote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObserverEntry {
    /// Node name, as for validators.
    pub name: String,
    /// Its libp2p peer id (ed25519-derived).
    pub peer_id: String,
    /// Where it listens for peers: `/ip4/A.B.C.D/tcp/PORT`.
    pub p2p_address: String,
}

impl Genesis {
    /// The validator set of genesis, as the consensus core and commit certificates see it: each
    /// validator's name, consensus key and voting power, in genesis order.
    pub fn validator_set(&self) -> Result<ValidatorSet, loanchain_types::Error> {
        ValidatorSet::new(
            self.validators
                .iter()
                .map(|v| Validator { name: v.name.clone(), public_key: v.consensus_public_key, voting_power: v.voting_power })
                .collect(),
        )
    }

    /// SHA-256 of the bcs encoding: the identity of the chain's starting point.
    pub fn hash(&self) -> Hash {
        Hash::digest(&self.to_bcs())
    }

    /// The canonical (bcs) bytes.
    pub fn to_bcs(&self) -> Vec<u8> {
        loanchain_contracts::codec::to_bytes(self)
    }

    /// Decodes canonical bytes (size-bounded; no trailing bytes).
    pub fn from_bcs(bytes: &[u8]) -> Result<Genesis, GenesisError> {
        if bytes.len() as u64 > MAX_GENESIS_BYTES {
            return Err(GenesisError::Encoding { reason: format!("{} bytes is more than {MAX_GENESIS_BYTES}", bytes.len()) });
        }
        bcs::from_bytes(bytes).map_err(|e| GenesisError::Encoding { reason: e.to_string() })
    }

    /// Pretty JSON, as written to `genesis.json`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a genesis always encodes as JSON") + "\n"
    }

    /// Parses JSON without validating it (see [`Genesis::validate`]).
    pub fn from_json(bytes: &[u8]) -> Result<Genesis, GenesisError> {
        Genesis::parse(Path::new("<memory>"), bytes)
    }

    fn parse(path: &Path, bytes: &[u8]) -> Result<Genesis, GenesisError> {
        serde_json::from_slice(bytes).map_err(|source| GenesisError::Json { path: path.into(), what: "genesis file", source })
    }

    /// Reads, parses and validates a genesis file of at most [`MAX_GENESIS_BYTES`].
    pub fn load(path: impl AsRef<Path>) -> Result<Genesis, GenesisError> {
        let path = path.as_ref();
        let bytes = read_limited(path, "genesis file", MAX_GENESIS_BYTES)?;
        let genesis = Genesis::parse(path, &bytes)?;
        genesis.validate()?;
        Ok(genesis)
    }

    /// Writes the genesis as pretty JSON, atomically (temporary file, then rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), GenesisError> {
        write_atomic(path.as_ref(), self.to_json().as_bytes(), None)
    }

    /// The sum of the validators' voting power, if it fits in a u64.
    pub fn total_voting_power(&self) -> Option<u64> {
        self.validators.iter().try_fold(0u64, |sum, v| sum.checked_add(v.voting_power))
    }

    /// The validator with this peer id.
    pub fn validator_by_peer_id(&self, peer_id: &str) -> Option<&ValidatorEntry> {
        self.validators.iter().find(|v| v.peer_id == peer_id)
    }

    /// Every peer id allowed to connect (validators and observers): the libp2p allow-list.
    pub fn allowed_peer_ids(&self) -> Vec<&str> {
        self.validators.iter().map(|v| v.peer_id.as_str()).chain(self.observers.iter().map(|o| o.peer_id.as_str())).collect()
    }

    /// The genesis accounts with `role`.
    pub fn accounts_with_role(&self, role: Role) -> impl Iterator<Item = &GenesisAccount> {
        self.accounts.iter().filter(move |a| a.role == role)
    }
}

/// Reads a whole file, refusing one larger than `max` bytes.
pub(crate) fn read_limited(path: &Path, what: &'static str, max: u64) -> Result<Vec<u8>, GenesisError> {
    let file = fs::File::open(path).map_err(|e| GenesisError::io(path, e))?;
    let mut bytes = Vec::new();
    // Read one byte more than allowed to tell "exactly max" from "too large" without trusting metadata.
    file.take(max + 1).read_to_end(&mut bytes).map_err(|e| GenesisError::io(path, e))?;
    if bytes.len() as u64 > max {
        let size = fs::metadata(path).map(|m| m.len()).unwrap_or(bytes.len() as u64);
        return Err(GenesisError::FileTooLarge { path: path.into(), what, size, max });
    }
    Ok(bytes)
}

/// Writes `bytes` to a temporary file beside `path` (with unix `mode` if given), syncs it and
/// renames it over `path`, so a reader never sees half a file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), GenesisError> {
    use std::io::Write;
    let file_name = path.file_name().ok_or_else(|| GenesisError::BadField {
        what: "output path",
        value: path.display().to_string(),
        reason: "it names no file".into(),
    })?;
    let tmp = path.with_file_name(format!(".{}.tmp", file_name.to_string_lossy()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode.unwrap_or(0o644));
    }
    let result = (|| {
        let mut f = options.open(&tmp)?;
        #[cfg(unix)]
        if let Some(mode) = mode {
            // The file may have existed with another mode: set it explicitly.
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(fs::Permissions::from_mode(mode))?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        GenesisError::io(path, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_grow_per_round_and_saturate() {
        let c = ConsensusParams::devnet();
        assert_eq!(c.propose_timeout_ms(0), 1_000);
        assert_eq!(c.propose_timeout_ms(3), 2_500);
        assert_eq!(c.prevote_timeout_ms(1), 500);
        assert_eq!(c.precommit_timeout_ms(2), 700);
        let huge = ConsensusParams { timeout_propose_delta_ms: u64::MAX, ..c };
        assert_eq!(huge.propose_timeout_ms(u32::MAX), u64::MAX);
    }

    #[test]
    fn consensus_params_round_trip_through_bcs() {
        let c = ConsensusParams::devnet();
        assert_eq!(bcs::from_bytes::<ConsensusParams>(&bcs::to_bytes(&c).unwrap()).unwrap(), c);
    }

    #[test]
    fn unknown_fields_are_refused_so_typos_do_not_pass_silently() {
        let mut json: serde_json::Value = serde_json::to_value(ConsensusParams::devnet()).unwrap();
        json["timeout_propsoe_ms"] = 5.into();
        let err = serde_json::from_value::<ConsensusParams>(json).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }
}
