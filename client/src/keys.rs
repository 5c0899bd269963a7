//! `loanctl keys`: account key files, in the one key-file format of `loanchain-genesis`.

use anyhow::{Context, Result};
use loanchain_genesis::keys::{Key, KeyKind, read_key, write_key};
use rand::TryRng;
use rand::rngs::SysRng;

use crate::cli::KeysCommand;

pub fn run(cmd: KeysCommand, json: bool) -> Result<u8> {
    match cmd {
        KeysCommand::Generate { out } => {
            let mut secret = [0u8; 32];
            SysRng.try_fill_bytes(&mut secret).map_err(|e| anyhow::anyhow!("the operating system's random generator failed: {e}"))?;
            let key = Key::from_secret(KeyKind::Account, secret);
            write_key(&out, &key, false).with_context(|| format!("cannot write {}", out.display()))?;
            show(&key, json);
            Ok(0)
        }
        KeysCommand::Show { file } => {
            let key = read_key(&file).with_context(|| format!("cannot read {}", file.display()))?;
            show(&key, json);
            Ok(0)
        }
    }
}

fn show(key: &Key, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::json!({ "kind": key.kind().name(), "public_key": key.public().to_hex(), "account": key.account_id().to_string() })
        );
    } else {
        println!("kind        {}", key.kind().name());
        println!("public_key  {}", key.public().to_hex());
        println!("account     {}", key.account_id());
    }
}
