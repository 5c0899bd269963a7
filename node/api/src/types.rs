//! The JSON shapes of the node's HTTP API (DESIGN §11): what the node serves and `loanctl` reads.
//! Which route carries which shape is [`crate::routes`].

use loanchain_contracts::event::{Event, Receipt};
use loanchain_contracts::ids::{AccountId, ClaimId, LoanId};
use loanchain_contracts::state::tables::{Account, Claim, Loan, LoanStatus};
use loanchain_contracts::{Hash, Money};
use serde::{Deserialize, Serialize};

use loanchain_types::{BlockHeader, CommitCertificate, Evidence, EvidenceKind, Height, Round, ValidatorIndex};
use schemars::JsonSchema;

pub use loanchain_types::NodeRole;

/// `{ "error": { "code", "message" } }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ApiError,
}

/// A machine-readable code and a sentence for a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApiError {
    /// Stable snake_case code, for example `nonce_replayed`, `mempool_full`, `not_found`.
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
}

/// `GET /v1/status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NodeStatus {
    /// The node's name in genesis.
    pub name: String,
    /// Validator or observer.
    pub role: NodeRole,
    /// The chain id.
    pub chain_id: String,
    /// SHA-256 of the genesis file this node runs.
    pub genesis_hash: Hash,
    /// Height of the last committed (and executed) block; 0 before the first.
    pub height: Height,
    /// Its hash (`None` at height 0).
    pub block_hash: Option<Hash>,
    /// The app hash after executing it (genesis app hash at height 0).
    pub app_hash: Hash,
    /// Its block time, unix milliseconds (genesis time at height 0).
    pub block_time_ms: u64,
    /// The consensus round at the height being decided.
    pub round: Round,
    /// Connected peers.
    pub peers: usize,
    /// Transactions waiting in the mempool.
    pub mempool_size: usize,
    /// Blocks the node knows exist but has not executed yet.
    pub behind: u64,
    /// Whether the node has heard nothing that proves the chain moves (a commit of its own, a
    /// peer's verified proposal, vote or height announcement) for more than 5 s, or has no peer:
    /// then `behind` is only what it last knew (issue 16, weakness 10: a cut-off validator said
    /// `behind 0` throughout).
    #[serde(default)]
    pub stale: bool,
}

/// `POST /v1/transactions`: one signed transaction, its bcs bytes in hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SubmitRequest {
    /// Hex of `SignedTransaction::to_bytes()`.
    pub tx: String,
}

/// The answer to a submission that the mempool accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SubmitResponse {
    /// The transaction hash (DESIGN §5), to poll `GET /v1/transactions/{hash}`.
    pub tx_hash: Hash,
}

/// `POST /v1/transactions/batch`: many signed transactions, verified in one batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BatchSubmitRequest {
    /// Hex of each `SignedTransaction::to_bytes()`.
    pub txs: Vec<String>,
}

/// One result per submitted transaction, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BatchSubmitResponse {
    /// Accepted (with its hash) or refused (with why).
    pub results: Vec<BatchItemResult>,
}

/// The fate of one transaction of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchItemResult {
    /// In the mempool.
    Accepted {
        /// Its hash.
        tx_hash: Hash,
    },
    /// Refused; nothing changed.
    Rejected {
        /// Why.
        error: ApiError,
    },
}

/// Where a transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TxState {
    /// In this node's mempool, not yet in a block.
    Pending,
    /// In a committed block (final); the receipt says whether it succeeded.
    Committed,
    /// Neither: never seen, expired, or dropped.
    Unknown,
}

/// `GET /v1/transactions/{hash}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TxStatus {
    /// The transaction hash.
    pub tx_hash: Hash,
    /// Pending, committed or unknown.
    pub state: TxState,
    /// The block height, when committed.
    pub height: Option<Height>,
    /// Its index in the block, when committed.
    pub index: Option<u32>,
    /// The block time, when committed.
    pub block_time_ms: Option<u64>,
    /// The receipt, when committed.
    pub receipt: Option<Receipt>,
}

/// `GET /v1/blocks/{height}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BlockInfo {
    /// The block hash.
    pub hash: Hash,
    /// The header.
    pub header: BlockHeader,
    /// Hashes of its transactions, in order.
    pub tx_hashes: Vec<Hash>,
    /// The certificate that made it final.
    pub certificate: Option<CommitCertificate>,
    /// The app hash after executing it.
    pub app_hash_after: Option<Hash>,
}

/// One loan in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LoanEntry {
    /// Its id.
    pub id: LoanId,
    /// The loan.
    pub loan: Loan,
}

/// `GET /v1/loans/{id}`: the loan with its claims.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LoanDetail {
    /// Its id.
    pub id: LoanId,
    /// The loan.
    pub loan: Loan,
    /// Its claims (债权), in funding order.
    pub claims: Vec<ClaimEntry>,
}

/// A claim with its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClaimEntry {
    /// Its id.
    pub id: ClaimId,
    /// The claim.
    pub claim: Claim,
}

/// A claim held by an account, with the status of its loan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HolderClaim {
    /// Its id.
    pub id: ClaimId,
    /// The claim.
    pub claim: Claim,
    /// The status of the loan it is a share of.
    pub loan_status: LoanStatus,
}

/// `GET /v1/accounts/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AccountEntry {
    /// Its id.
    pub id: AccountId,
    /// The account.
    pub account: Account,
}

/// `GET /v1/risk-pool`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RiskPool {
    /// What the pool holds now.
    pub balance: Money,
    /// Whether genesis enables compensation from it.
    pub enabled: bool,
}

/// One committed event, as `GET /v1/events` streams it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CommittedEvent {
    /// The block height.
    pub height: Height,
    /// The block time, unix milliseconds.
    pub block_time_ms: u64,
    /// The event.
    pub event: Event,
}

/// One piece of equivocation evidence: a validator signed two different messages of one kind at
/// one height and round (DESIGN §8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EvidenceEntry {
    /// The height of the equivocation.
    pub height: Height,
    /// Its round.
    pub round: Round,
    /// What was signed twice: `proposal`, `prevote` or `precommit`.
    pub kind: EvidenceKind,
    /// The validator that signed both, by its index in the genesis validator set.
    pub validator: ValidatorIndex,
    /// Its name in genesis.
    pub validator_name: String,
    /// The two conflicting signed messages.
    pub evidence: Evidence,
    /// Hex of the bcs bytes of `evidence`, to check offline (`Evidence::verify` against the
    /// genesis validator set and chain id).
    pub bcs: String,
}

/// `GET /v1/evidence`: one page of the evidence this node holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EvidenceList {
    /// How many pieces of evidence this node holds in all.
    pub total: u64,
    /// How many this page lists.
    pub count: usize,
    /// Newest height first, whole heights only.
    pub evidence: Vec<EvidenceEntry>,
    /// When more is held below this page: the `before_height` of the next page.
    pub next_before_height: Option<Height>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_the_documented_shape() {
        let body = ErrorBody { error: ApiError { code: "not_found".into(), message: "no such loan".into() } };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["error"]["code"], "not_found");
        assert_eq!(json["error"]["message"], "no such loan");
    }

    #[test]
    fn batch_results_are_tagged() {
        let r = BatchItemResult::Rejected { error: ApiError { code: "bad_signature".into(), message: "x".into() } };
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["rejected"]["error"]["code"], "bad_signature");
        let back: BatchItemResult = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
    }
}
