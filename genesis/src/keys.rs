//! Key files (DESIGN §4): one JSON format for the four kinds of ed25519 keys.
//!
//! ```json
//! {"kind": "node", "public_key": "<64 hex>", "secret_key": "<64 hex>", "peer_id": "12D3KooW…"}
//! ```
//!
//! `account` keys also carry `"account"` (their account id, SHA-256 of the public key); `node`
//! keys carry `"peer_id"` (the libp2p peer id derived from the same ed25519 secret with
//! libp2p-identity). Files are written with mode 0600; on reading, every derived field must match
//! the secret, so a hand-edited file cannot claim another identity.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use libp2p_identity::PeerId;
use loanchain_contracts::{AccountId, Keypair, PublicKey};
use serde::{Deserialize, Serialize};

use crate::error::GenesisError;
use crate::genesis::{read_limited, write_atomic};
use crate::net::peer_id_from_secret;

/// Largest key file [`read_key`] reads.
pub const MAX_KEY_FILE_BYTES: u64 = 4096;

/// What a key is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// Signs transactions; its hash is the account id.
    Account,
    /// Signs a validator's proposals and votes.
    Consensus,
    /// A node's libp2p identity.
    Node,
    /// Signs e-seals; certified by a seal authority.
    Seal,
}

impl KeyKind {
    /// Every kind.
    pub const ALL: [KeyKind; 4] = [KeyKind::Account, KeyKind::Consensus, KeyKind::Node, KeyKind::Seal];

    /// The name used in key files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Account => "account",
            KeyKind::Consensus => "consensus",
            KeyKind::Node => "node",
            KeyKind::Seal => "seal",
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        KeyKind::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| format!("{s:?} is not one of account, consensus, node, seal"))
    }
}

/// A key of a known kind, with its secret.
#[derive(Clone, Debug)]
pub struct Key {
    kind: KeyKind,
    keypair: Keypair,
}

impl Key {
    /// The key of `kind` with these 32 secret bytes.
    pub fn from_secret(kind: KeyKind, secret: [u8; 32]) -> Key {
        Key { kind, keypair: Keypair::from_secret(secret) }
    }

    /// A fresh key from a cryptographic random generator.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(kind: KeyKind, rng: &mut R) -> Key {
        Key { kind, keypair: Keypair::generate(rng) }
    }

    /// What the key is for.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The ed25519 key pair (to sign with).
    pub fn keypair(&self) -> &Keypair {
        &self.keypair
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        self.keypair.public()
    }

    /// The account id of the public key (meaningful for account keys).
    pub fn account_id(&self) -> AccountId {
        self.public().account_id()
    }

    /// The libp2p peer id of the key (meaningful for node keys).
    pub fn peer_id(&self) -> PeerId {
        peer_id_from_secret(self.keypair.secret_bytes())
    }

    /// The key file's JSON (with the secret).
    pub fn to_file(&self) -> KeyFile {
        KeyFile {
            kind: self.kind,
            public_key: self.public(),
            secret_key: hex::encode(self.keypair.secret_bytes()),
            account: (self.kind == KeyKind::Account).then(|| self.account_id()),
            peer_id: (self.kind == KeyKind::Node).then(|| self.peer_id().to_string()),
        }
    }

    /// Checks a parsed key file: the secret is 32 bytes of hex and every derived field matches it.
    pub fn from_file(file: &KeyFile) -> Result<Key, String> {
        let mut secret = [0u8; 32];
        hex::decode_to_slice(&file.secret_key, &mut secret).map_err(|_| "secret_key is not 64 hex digits".to_string())?;
        let key = Key::from_secret(file.kind, secret);
        if key.public() != file.public_key {
            return Err("public_key does not belong to secret_key".into());
        }
        match (file.kind, &file.account, &file.peer_id) {
            (KeyKind::Account, Some(account), None) if *account == key.account_id() => {}
            (KeyKind::Account, Some(_), None) => return Err("account is not the hash of public_key".into()),
            (KeyKind::Account, _, _) => return Err("an account key file needs \"account\" and no \"peer_id\"".into()),
            (KeyKind::Node, None, Some(peer)) if *peer == key.peer_id().to_string() => {}
            (KeyKind::Node, None, Some(_)) => return Err("peer_id is not the one derived from secret_key".into()),
            (KeyKind::Node, _, _) => return Err("a node key file needs \"peer_id\" and no \"account\"".into()),
            (_, None, None) => {}
            (kind, _, _) => return Err(format!("a {kind} key file must have neither \"account\" nor \"peer_id\"")),
        }
        Ok(key)
    }
}

/// The JSON shape of a key file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// What the key is for.
    pub kind: KeyKind,
    /// The ed25519 public key, hex.
    pub public_key: PublicKey,
    /// The 32-byte ed25519 secret (seed), hex.
    pub secret_key: String,
    /// The account id (account keys only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountId>,
    /// The libp2p peer id (node keys only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_id: Option<String>,
}

/// Reads and checks a key file of any kind.
pub fn read_key(path: impl AsRef<Path>) -> Result<Key, GenesisError> {
    let path = path.as_ref();
    let bytes = read_limited(path, "key file", MAX_KEY_FILE_BYTES)?;
    let file: KeyFile =
        serde_json::from_slice(&bytes).map_err(|source| GenesisError::Json { path: path.into(), what: "key file", source })?;
    Key::from_file(&file).map_err(|reason| GenesisError::BadKeyFile { path: path.into(), reason })
}

/// Reads a key file and checks that it holds a key of `kind`.
pub fn read_key_of(path: impl AsRef<Path>, kind: KeyKind) -> Result<Key, GenesisError> {
    let path = path.as_ref();
    let key = read_key(path)?;
    if key.kind() != kind {
        return Err(GenesisError::WrongKeyKind { path: path.into(), expected: kind.name(), found: key.kind().name() });
    }
    Ok(key)
}

/// Writes a key file with mode 0600. An existing file is refused unless `overwrite`.
pub fn write_key(path: impl AsRef<Path>, key: &Key, overwrite: bool) -> Result<(), GenesisError> {
    let path = path.as_ref();
    if !overwrite && path.exists() {
        return Err(GenesisError::AlreadyExists { path: path.into() });
    }
    let json = serde_json::to_string_pretty(&key.to_file()).expect("a key file always encodes as JSON") + "\n";
    write_atomic(path, json.as_bytes(), Some(0o600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_carry_the_derived_identity_of_their_kind() {
        let node = Key::from_secret(KeyKind::Node, [1; 32]).to_file();
        assert!(node.peer_id.as_deref().unwrap().starts_with("12D3KooW") && node.account.is_none());
        let account = Key::from_secret(KeyKind::Account, [1; 32]).to_file();
        assert_eq!(account.account, Some(account.public_key.account_id()));
        assert!(account.peer_id.is_none());
        let seal = Key::from_secret(KeyKind::Seal, [1; 32]).to_file();
        assert!(seal.account.is_none() && seal.peer_id.is_none());
        for file in [node, account, seal] {
            assert_eq!(Key::from_file(&file).unwrap().to_file(), file);
        }
    }

    #[test]
    fn tampered_key_files_are_refused() {
        let good = Key::from_secret(KeyKind::Account, [2; 32]).to_file();
        let other = Key::from_secret(KeyKind::Account, [3; 32]).to_file();
        let cases: Vec<(KeyFile, &str)> = vec![
            (KeyFile { public_key: other.public_key, ..good.clone() }, "does not belong"),
            (KeyFile { account: other.account, ..good.clone() }, "not the hash"),
            (KeyFile { account: None, ..good.clone() }, "needs \"account\""),
            (KeyFile { secret_key: "xyz".into(), ..good.clone() }, "64 hex"),
            (KeyFile { kind: KeyKind::Node, ..good.clone() }, "needs \"peer_id\""),
            (KeyFile { kind: KeyKind::Seal, ..good.clone() }, "neither"),
        ];
        for (file, why) in cases {
            let err = Key::from_file(&file).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
        let mut node = Key::from_secret(KeyKind::Node, [4; 32]).to_file();
        node.peer_id = Some(Key::from_secret(KeyKind::Node, [5; 32]).peer_id().to_string());
        assert!(Key::from_file(&node).unwrap_err().contains("not the one derived"));
    }
}
