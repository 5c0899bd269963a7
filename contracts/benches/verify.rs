//! Microseconds of CPU per ed25519 signature, one by one and in batches of several sizes, through
//! the crate's own [`verify_batch`] (signature cache included, as a node runs it).
//!
//! `cargo bench -p loanchain-contracts --bench verify [-- --signatures N --signers K]`
//!
//! The signers are K keys (default 200, the accounts of `loanctl load`), so their decompressed
//! form is cached as in a node; every signature is over different bytes and is checked once, so
//! the cache of verified signatures never answers. A node verifies a peer's gossip in batches of
//! what arrived together (tens of transactions at 2,000 tx/s), a client's submission in batches of
//! what the client sent; this prints what the batch size is worth on this machine.
// A benchmark measures wall time, which the deterministic crate itself never reads.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use loanchain_contracts::crypto::{BatchItem, Domain, Keypair, PublicKey, Signature, verify_batch};

const SIZES: [usize; 9] = [1, 8, 20, 40, 64, 128, 256, 512, 1024];

fn main() {
    let mut signatures = 4096usize;
    let mut signers = 200usize;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = || args.get(i + 1).and_then(|v| v.parse::<usize>().ok()).filter(|v| *v > 0);
        match args[i].as_str() {
            "--signatures" => signatures = value().expect("--signatures N (N > 0)"),
            "--signers" => signers = value().expect("--signers K (K > 0)"),
            // cargo bench passes --bench to every harness-less bench.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    let keys: Vec<Keypair> = (0..signers)
        .map(|k| {
            let mut secret = [7u8; 32];
            secret[..8].copy_from_slice(&(k as u64).to_le_bytes());
            Keypair::from_secret(secret)
        })
        .collect();
    let publics: Vec<PublicKey> = keys.iter().map(Keypair::public).collect();
    println!("verify: {signatures} signatures per row by {signers} signers, each checked once");
    println!("{:>10} {:>12}", "batch", "µs/signature");
    for (round, &size) in SIZES.iter().enumerate() {
        // Fresh bytes for every row: no signature is ever in the cache of verified ones.
        let items: Vec<(usize, Vec<u8>, Signature)> = (0..signatures)
            .map(|n| {
                let signer = n % signers;
                let message = format!("bench row {round} signature {n}: about the size of a funding's signed body ....").into_bytes();
                let signed = Domain::Transaction.message(&message);
                let signature = keys[signer].sign(Domain::Transaction, &message);
                (signer, signed, signature)
            })
            .collect();
        let started = Instant::now();
        let mut checked = 0usize;
        if size == 1 {
            for (signer, signed, signature) in &items {
                publics[*signer].verify_signed_bytes(signed, signature).expect("a valid signature");
                checked += 1;
            }
        } else {
            for chunk in items.chunks(size).filter(|c| c.len() == size) {
                let batch: Vec<BatchItem<'_>> = chunk
                    .iter()
                    .map(|(signer, signed, signature)| BatchItem { key: &publics[*signer], signed_bytes: signed, signature })
                    .collect();
                verify_batch(&batch).expect("a valid batch");
                checked += size;
            }
        }
        let micros = started.elapsed().as_secs_f64() * 1e6 / checked as f64;
        println!("{size:>10} {micros:>12.1}");
    }
}
