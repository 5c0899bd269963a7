//! Signs with small-torsion nonces (issue 16, weakness 5, at the host): every fifth tick, a
//! deposit by the custodian (a registered account whose key the devnet holds) whose signature's
//! R is rB + T for a point T of small order and whose s is r + H(R, A, M)·a, submitted to one
//! validator's admission and gossiped to all. Under the node's one rule (ZIP-215: the cofactored
//! equation, alone and in any batch) such a signature is valid. Before that rule,
//! ed25519-dalek's batch check accepted it about half the time, depending on the rest of the
//! batch, while its single check refused it: nodes verifying different batches disagreed on a
//! certified block, and a restarted one stopped. The checker's agreement says whether they still
//! can; [`Mock::tally`] says how many such deposits were committed.

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::{EdwardsPoint, Scalar};
use ed25519_dalek::hazmat::ExpandedSecretKey;
use loanchain_contracts::{Amount, Hash, Payload, Signature, SignedTransaction, TxBody};
use loanchain_network::Topic;
use loanchain_node::chain::ChainStore;
use loanchain_node::wire::{self, SyncRequest, SyncResponse, TxBatch};
use sha2::{Digest, Sha512};

use super::{Act, Mock, World};
use loanchain_sim::rng::Rng;

/// The signer with torsioned nonces.
#[derive(Default)]
pub struct Torsion {
    ticks: u64,
    /// The deposits it sent.
    sent: Vec<Hash>,
}

/// `H(R || A || M)` reduced mod the group order (RFC 8032).
fn challenge(r: &[u8; 32], a: &[u8; 32], message: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(message);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

impl Mock for Torsion {
    fn name(&self) -> &'static str {
        "torsion"
    }
    fn tick(&mut self, world: &World<'_>, rng: &mut Rng) -> Vec<Act> {
        self.ticks += 1;
        if self.ticks % 5 != 1 {
            return Vec::new();
        }
        let files = world.files;
        let key = |name: &str| files.accounts.iter().find(|(n, _)| n == name).map(|(_, k)| k.keypair().clone());
        let (Some(custodian), Some(institution)) = (key("custodian"), key("institution-0")) else { return Vec::new() };
        let chain_id = &files.genesis.chain_id;
        let n = self.sent.len() as u64;
        let payload =
            Payload::Deposit { account: institution.public().account_id(), amount: Amount::yuan(1), reference: format!("torsion {n}") };
        let body = TxBody { nonce: 1_000_000_000 + n, valid_until_height: world.height() + 100, payload };
        let mut tx = SignedTransaction::sign(chain_id, body, &custodian);
        let signed_bytes = tx.signed_messages(chain_id).swap_remove(0).bytes;
        let a = ExpandedSecretKey::from(&custodian.secret_bytes()).scalar;
        let mut nonce = [0u8; 32];
        for chunk in nonce.chunks_mut(8) {
            chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
        }
        let r = Scalar::from_bytes_mod_order(nonce);
        let big_r = (EdwardsPoint::mul_base(&r) + EIGHT_TORSION[1 + rng.index(7)]).compress();
        let s = r + challenge(big_r.as_bytes(), &tx.signer_public_key.0, &signed_bytes) * a;
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(big_r.as_bytes());
        signature[32..].copy_from_slice(s.as_bytes());
        tx.signature = Signature(signature);
        self.sent.push(tx.hash());
        let bytes = tx.to_bytes();
        vec![
            Act::Submit(rng.index(world.stores.len()), bytes.clone()),
            Act::Publish(Topic::Transactions, wire::encode(&TxBatch(vec![bytes]))),
        ]
    }
    fn answer(&mut self, request: &SyncRequest, world: &World<'_>) -> Option<SyncResponse> {
        Some(world.honest_answer(request))
    }
    fn tally(&self, world: &World<'_>) -> Option<(usize, usize)> {
        let landed = self.sent.iter().filter(|h| world.stores[0].tx_location(h).ok().flatten().is_some()).count();
        Some((self.sent.len(), landed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loanchain_genesis::{DevnetSpec, devnet};

    /// The deposits really are torsioned: the node's rule accepts each, and a strict single
    /// check (ed25519-dalek's `verify_strict`, which refuses a small-order component in R)
    /// refuses each.
    #[test]
    fn its_signatures_pass_the_rule_and_fail_a_strict_check() {
        let files = devnet(&DevnetSpec::new(4, 1, 1_800_000_000_000), &[7; 32]).unwrap();
        let store = crate::store::MemChainStore::with_genesis(&loanchain_contracts::state::WriteSet::default(), Hash::ZERO);
        let world = World { now: 0, stores: vec![&store], files: &files };
        let (mut mock, mut rng) = (Torsion::default(), Rng::new(3));
        for _ in 0..5 {
            let Some(Act::Submit(_, bytes)) = mock.tick(&world, &mut rng).into_iter().next() else { continue };
            let tx = SignedTransaction::from_bytes(&bytes).unwrap();
            let m = tx.signed_messages(&files.genesis.chain_id).swap_remove(0);
            assert!(m.key.verify_signed_bytes(&m.bytes, &m.signature).is_ok(), "the rule accepts it");
            let strict = ed25519_dalek::VerifyingKey::from_bytes(&m.key.0).unwrap();
            assert!(
                strict.verify_strict(&m.bytes, &ed25519_dalek::Signature::from_bytes(&m.signature.0)).is_err(),
                "verify_strict refuses it"
            );
        }
        assert_eq!(mock.sent.len(), 1, "one deposit per five ticks");
    }
}
