//! Account ids (DESIGN §4).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::crypto::Hash;
use crate::error::Error;

/// An account: SHA-256 of its ed25519 account public key (DESIGN §4). Hex in JSON and on the CLI.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct AccountId(pub Hash);

impl AccountId {
    /// The risk pool's own account id: a digest no key can have as its hash preimage in practice.
    /// The pool holds claims it compensated; its balance is kept apart (see `state::RiskPool`).
    pub fn risk_pool() -> AccountId {
        AccountId(Hash::digest(b"loanchain/risk-pool"))
    }

    /// First bytes in hex, for messages.
    pub fn short(&self) -> String {
        self.0.short()
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", self.0.short())
    }
}

impl FromStr for AccountId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        s.parse::<Hash>().map(AccountId).map_err(|_| Error::BadAccountId { input: s.to_string() })
    }
}
