//! `loanchain-genesis`: makes devnets, keys and seal certificates, and checks genesis files.
//!
//! Usage errors exit with code 2 (clap), other failures with code 1 and a one-line reason.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use loanchain_contracts::seal::SealKind;
use loanchain_contracts::{AccountId, Hash, Money, PublicKey, SealId};
use loanchain_genesis::seal::{SealRequest, certificate_json, issue_seal, write_certificate};
use loanchain_genesis::{DevnetSpec, Genesis, Key, KeyKind, devnet, read_key, read_key_of, write_key};
use rand::TryRng;
use rand::rngs::SysRng;

/// Largest seal image `seal issue` hashes.
const MAX_IMAGE_BYTES: u64 = 16 << 20;

#[derive(Parser)]
#[command(name = "loanchain-genesis", version, about = "Genesis files, keys, seal certificates and devnets for loanchain")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a local devnet: genesis, node keys and configs, account keys, seal certificates.
    Devnet(DevnetArgs),
    /// Generate or show key files.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Seal certificates (the seal authority's tool).
    #[command(subcommand)]
    Seal(SealCommand),
    /// Check a genesis file and print its hash.
    Validate {
        /// The genesis file.
        file: PathBuf,
    },
}

#[derive(clap::Args)]
struct DevnetArgs {
    /// Number of validators (1 to 100).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=100))]
    validators: u16,
    /// Number of observers (0 to 100).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(0..=100))]
    observers: u16,
    /// Output directory (refused if it exists, unless --force).
    #[arg(long)]
    out: PathBuf,
    /// First port: node i gets p2p base+2i and API base+2i+1 on 127.0.0.1.
    #[arg(long, default_value_t = 26_600, value_parser = clap::value_parser!(u16).range(1..))]
    base_port: u16,
    /// Length of a repayment period in seconds.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    period_seconds: u64,
    /// Length of a "day" (grace, buyback window, penalty) in seconds.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    day_seconds: u64,
    /// Chain id.
    #[arg(long, default_value = "loanchain-devnet")]
    chain_id: String,
    /// Opening balance of each credit institution, in yuan.
    #[arg(long, default_value_t = 10_000_000)]
    institution_balance_yuan: u64,
    /// Replace an existing devnet directory.
    #[arg(long)]
    force: bool,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Generate a fresh key (mode 0600).
    Generate {
        /// What the key is for.
        #[arg(long, value_parser = parse_kind)]
        kind: KeyKind,
        /// Where to write it (refused if it exists, unless --force).
        #[arg(long)]
        out: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print a key file's kind, public key and account id or peer id (never the secret).
    Show {
        /// The key file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum SealCommand {
    /// Issue a seal certificate signed with the seal authority's account key.
    Issue(IssueArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum SealKindArg {
    /// 公章: an organisation's official seal.
    Official,
    /// 合同专用章: an organisation's contract seal.
    Contract,
    /// 个人签章: a person's seal.
    Personal,
}

#[derive(clap::Args)]
struct IssueArgs {
    /// The seal authority's account key file (its key must be a genesis seal authority).
    #[arg(long)]
    authority_key: PathBuf,
    /// The holder's account id (64 hex digits).
    #[arg(long, value_parser = parse_account)]
    holder: AccountId,
    /// A seal key file or a public key in hex, allowed to sign with the seal (repeat for up to 8).
    #[arg(long, required = true)]
    signer_key: Vec<String>,
    /// The seal's serial.
    #[arg(long, value_parser = parse_seal_id)]
    seal_id: SealId,
    /// The seal name shown on the image.
    #[arg(long)]
    name: String,
    /// The organisation (or person) the seal belongs to.
    #[arg(long)]
    organisation: String,
    /// Kind of seal.
    #[arg(long, value_enum)]
    kind: SealKindArg,
    /// Start of validity, unix milliseconds.
    #[arg(long)]
    valid_from_ms: u64,
    /// Validity in calendar days.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    valid_days: u64,
    /// The seal image file, or - for standard input; the certificate carries its SHA-256.
    #[arg(long)]
    image: String,
    /// Where to write the certificate JSON (standard output if absent).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn parse_kind(s: &str) -> Result<KeyKind, String> {
    s.parse()
}

fn parse_account(s: &str) -> Result<AccountId, String> {
    s.parse::<loanchain_contracts::AccountId>().map_err(|e| loanchain_contracts::Error::from(e).to_string())
}

fn parse_seal_id(s: &str) -> Result<SealId, String> {
    SealId::new(s).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    // Usage errors: clap prints the usage and exits with code 2.
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Devnet(args) => run_devnet(args),
        Command::Keys(KeysCommand::Generate { kind, out, force }) => {
            let key = Key::from_secret(kind, random_secret()?);
            write_key(&out, &key, force)?;
            println!("wrote {} key to {}", kind, out.display());
            show_key(&key);
            Ok(())
        }
        Command::Keys(KeysCommand::Show { file }) => {
            show_key(&read_key(&file)?);
            Ok(())
        }
        Command::Seal(SealCommand::Issue(args)) => run_seal_issue(args),
        Command::Validate { file } => {
            let genesis = Genesis::load(&file).with_context(|| format!("{} is not a valid genesis", file.display()))?;
            println!("{}: valid genesis of chain {:?}", file.display(), genesis.chain_id);
            println!("validators {}, observers {}, accounts {}", genesis.validators.len(), genesis.observers.len(), genesis.accounts.len());
            println!("hash {}", genesis.hash());
            Ok(())
        }
    }
}

/// 32 bytes from the operating system's generator.
fn random_secret() -> Result<[u8; 32]> {
    let mut secret = [0u8; 32];
    SysRng.try_fill_bytes(&mut secret).map_err(|e| anyhow::anyhow!("the operating system's random generator failed: {e}"))?;
    Ok(secret)
}

fn show_key(key: &Key) {
    println!("kind       {}", key.kind());
    println!("public_key {}", key.public());
    match key.kind() {
        KeyKind::Account => println!("account    {}", key.account_id()),
        KeyKind::Node => println!("peer_id    {}", key.peer_id()),
        KeyKind::Consensus | KeyKind::Seal => {}
    }
}

fn run_devnet(args: DevnetArgs) -> Result<()> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).context("the system clock is before 1970")?;
    let genesis_time = u64::try_from(now.as_millis()).context("the system clock is out of range")?;
    let spec = DevnetSpec {
        chain_id: args.chain_id,
        base_port: args.base_port,
        period_seconds: args.period_seconds,
        day_seconds: args.day_seconds,
        institution_balance: Money::from_fen(args.institution_balance_yuan.saturating_mul(100))
            .map_err(|e| anyhow::anyhow!("--institution-balance-yuan: {e}"))?,
        ..DevnetSpec::new(args.validators.into(), args.observers.into(), genesis_time)
    };
    // Fresh keys: every secret is derived from this random seed, which is not kept.
    let files = devnet(&spec, &random_secret()?)?;
    let written = files.write(&args.out, args.force)?;
    let g = &files.genesis;
    println!("devnet {:?} in {}: {} files", g.chain_id, args.out.display(), written.len());
    println!("genesis  {} (hash {})", args.out.join("genesis.json").display(), g.hash());
    for node in &files.nodes {
        let c = &node.config;
        println!(
            "{:<13} {:<9} p2p {}  api {}  peer {}",
            c.name,
            format!("{:?}", c.role).to_lowercase(),
            c.p2p_listen,
            c.api_listen,
            node.node_key.peer_id()
        );
    }
    println!(
        "accounts {} (keys in {})",
        files.accounts.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join(", "),
        args.out.join("accounts").display()
    );
    println!("seals    {} certificates in {}", files.seals.len(), args.out.join("seals").display());
    Ok(())
}

fn run_seal_issue(args: IssueArgs) -> Result<()> {
    let authority = read_key_of(&args.authority_key, KeyKind::Account)?;
    let signer_keys = args.signer_key.iter().map(|s| signer_public_key(s)).collect::<Result<Vec<_>>>()?;
    let image = read_image(&args.image)?;
    let kind = match args.kind {
        SealKindArg::Official => SealKind::OfficialSeal,
        SealKindArg::Contract => SealKind::ContractSeal,
        SealKindArg::Personal => SealKind::PersonalSeal,
    };
    let request = SealRequest {
        seal_id: args.seal_id,
        kind,
        name: args.name,
        holder: args.holder,
        organisation: args.organisation,
        signer_keys,
        valid_from_ms: args.valid_from_ms,
        valid_days: args.valid_days,
        image_digest: Hash::digest(&image),
    };
    let cert = issue_seal(&authority, request)?;
    match &args.out {
        Some(path) => {
            write_certificate(path, &cert)?;
            eprintln!("wrote seal certificate {} for {} to {}", cert.id(), cert.body.holder, path.display());
        }
        None => print!("{}", certificate_json(&cert)),
    }
    Ok(())
}

/// A signer key given as 64 hex digits of a public key, or as a seal key file.
fn signer_public_key(arg: &str) -> Result<PublicKey> {
    if !Path::new(arg).exists()
        && let Ok(key) = arg.parse::<PublicKey>()
    {
        return Ok(key);
    }
    if !Path::new(arg).exists() {
        bail!("--signer-key {arg:?} is neither a file nor a public key of 64 hex digits");
    }
    Ok(read_key_of(arg, KeyKind::Seal)?.public())
}

fn read_image(arg: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if arg == "-" {
        std::io::stdin().take(MAX_IMAGE_BYTES + 1).read_to_end(&mut bytes).context("reading the seal image from standard input")?;
    } else {
        std::fs::File::open(arg)
            .and_then(|f| f.take(MAX_IMAGE_BYTES + 1).read_to_end(&mut bytes))
            .with_context(|| format!("reading the seal image {arg}"))?;
    }
    if bytes.len() as u64 > MAX_IMAGE_BYTES {
        bail!("the seal image is larger than {MAX_IMAGE_BYTES} bytes");
    }
    Ok(bytes)
}
