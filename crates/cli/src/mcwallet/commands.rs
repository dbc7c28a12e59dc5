//! The mcwallet commands. Each returns the JSON document `--json` prints and the text lines
//! printed otherwise; failures are [`Failed`].

use std::path::Path;
use std::time::Duration;

use mcnode_client::keyfile::{encode_account_key, read_secret_file, write_account_key};
use mcnode_client::pay::Inclusion;
use mcnode_client::{Payment, Wallet};
use mcnode_tx::address::{AddressString, Network};
use mcnode_tx::{AccountKey, TokenId};
use serde_json::{Value, json};

use crate::amount;
use crate::context::{Common, Progress, os_rng};
use crate::errors::Failed;

/// What a command prints: JSON, or text lines.
pub struct Output {
    /// The `--json` document.
    pub json: Value,
    /// The human lines.
    pub text: Vec<String>,
}

fn network_name(n: Network) -> &'static str {
    mcnode_client::network::network_name(n)
}

/// `new --out FILE`.
pub fn new(out: &Path, network: &str) -> Result<Output, Failed> {
    let network = match network {
        "devnet" => Network::Devnet,
        "testnet" => Network::Testnet,
        "mainnet" => Network::Mainnet,
        other => {
            return Err(Failed::input(
                "bad_network",
                format!("--network-name {other:?}: expected devnet, testnet or mainnet"),
            ));
        }
    };
    let mut rng = os_rng()?;
    let key = AccountKey::random(&mut rng);
    write_account_key(out, &key, network)
        .map_err(|e| Failed::input("wallet_file", e.to_string()))?;
    let address = AddressString { network, address: key.default_address() }.to_string();
    Ok(Output {
        json: json!({"file": out.display().to_string(), "network": network_name(network),
                     "address": address}),
        text: vec![
            format!("created {} (mode 0600; keep it secret, back it up)", out.display()),
            format!("address: {address}"),
        ],
    })
}

/// `address [--subaddress N]` (offline).
pub fn address(c: &Common, index: u64) -> Result<Output, Failed> {
    let (key, network) = c.account()?;
    let a = AddressString { network, address: key.subaddress(index) }.to_string();
    Ok(Output { json: json!({"subaddress": index, "address": a}), text: vec![a] })
}

/// `export`: prints the key file, secrets included (asked for explicitly).
pub fn export(c: &Common) -> Result<Output, Failed> {
    let path = c.wallet_path()?;
    let text = read_secret_file(&path).map_err(|e| Failed::input("wallet_file", e.to_string()))?;
    let (key, network) = c.account()?;
    let encoded = encode_account_key(&key, network);
    let v: Value = serde_json::from_str(&encoded).unwrap_or(Value::Null);
    drop(text);
    eprintln!("WARNING: the output holds the wallet's SECRET keys: whoever reads it can spend.");
    Ok(Output { json: v, text: vec![encoded.trim_end().to_owned()] })
}

fn balances_json(w: &Wallet) -> (Value, Vec<String>) {
    let mut tokens = Vec::new();
    let mut lines = Vec::new();
    for (t, b) in w.state().balances() {
        tokens.push(json!({
            "token": t.0, "decimals": amount::decimals(t),
            "spendable": amount::format(b.spendable, t), "pending": amount::format(b.pending, t),
            "spendable_base": b.spendable.to_string(), "pending_base": b.pending.to_string(),
        }));
        lines.push(format!(
            "token {}: {} spendable, {} pending",
            t.0,
            amount::format(b.spendable, t),
            amount::format(b.pending, t)
        ));
    }
    if lines.is_empty() {
        lines.push("no funds".into());
    }
    (json!(tokens), lines)
}

/// `balance`.
pub async fn balance(c: &Common) -> Result<Output, Failed> {
    let (mut w, mut api) = c.open().await?;
    w.sync(&mut api).await?;
    let (tokens, mut text) = balances_json(&w);
    text.insert(0, format!("synced to block {}", w.height().saturating_sub(1)));
    Ok(Output { json: json!({"height": w.height(), "balances": tokens}), text })
}

/// What `send` was asked.
pub struct SendArgs {
    /// Recipient address text.
    pub to: String,
    /// Amount text.
    pub amount: String,
    /// Token.
    pub token: u64,
    /// Fee text (`None`: the minimum).
    pub fee: Option<String>,
    /// Tombstone, blocks from now.
    pub tombstone_blocks: Option<u64>,
    /// Return once the node accepted it.
    pub no_wait: bool,
    /// Longest wait for a block, seconds.
    pub wait_secs: u64,
}

/// `send`.
pub async fn send(c: &Common, a: &SendArgs) -> Result<Output, Failed> {
    let token = TokenId(a.token);
    let value =
        amount::parse(&a.amount, token).map_err(|e| Failed::input("bad_amount", e.to_string()))?;
    let fee = a
        .fee
        .as_deref()
        .map(|f| amount::parse(f, token))
        .transpose()
        .map_err(|e| Failed::input("bad_fee", e.to_string()))?;
    let (mut w, mut api) = c.open().await?;
    let to = w.parse_address(&a.to)?;
    let mut rng = os_rng()?;
    w.sync(&mut api).await?;
    let tombstone = a.tombstone_blocks.map(|b| w.height() + b);
    let payment = Payment { to, amount: value, token, fee, tombstone, memo: None };
    let sent = w.pay(&mut api, &payment, &mut rng).await?;
    let mut j = json!({
        "tx_hash": sent.tx_hash.to_string(), "token": token.0,
        "amount": amount::format(value.into(), token), "amount_base": value.to_string(),
        "fee": amount::format(sent.fee.into(), token), "fee_base": sent.fee.to_string(),
        "tombstone_block": sent.tombstone, "status": "pending",
    });
    let mut text = vec![format!(
        "sent {} of token {} (fee {}), transaction {}",
        amount::format(value.into(), token),
        token.0,
        amount::format(sent.fee.into(), token),
        sent.tx_hash
    )];
    if a.no_wait {
        text.push("accepted by the node; not waiting for a block (--no-wait)".into());
        return Ok(Output { json: j, text });
    }
    let pause = || tokio::time::sleep(Duration::from_millis(500));
    let limit = Duration::from_secs(a.wait_secs);
    let Ok(waited) = tokio::time::timeout(limit, w.await_inclusion(&mut api, &sent, pause)).await
    else {
        return Err(Failed {
            code: "not_confirmed",
            exit: 1,
            message: format!(
                "transaction {} is not in a block after {} s; it stays pending until block {} \
                 (see `mcwallet balance`)",
                sent.tx_hash, a.wait_secs, sent.tombstone
            ),
            details: json!({"tx_hash": sent.tx_hash.to_string(), "tombstone_block": sent.tombstone}),
        });
    };
    match waited? {
        Inclusion::Included { block } => {
            j["status"] = json!("included");
            j["block"] = json!(block);
            text.push(format!("included in block {block}"));
            Ok(Output { json: j, text })
        }
        Inclusion::Expired | Inclusion::Pending => Err(Failed {
            code: "expired",
            exit: 1,
            message: format!(
                "transaction {} reached its tombstone block {} without being included; the \
                 funds are spendable again",
                sent.tx_hash, sent.tombstone
            ),
            details: json!({"tx_hash": sent.tx_hash.to_string()}),
        }),
    }
}

/// `history`.
pub async fn history(c: &Common) -> Result<Output, Failed> {
    let (mut w, mut api) = c.open().await?;
    w.sync(&mut api).await?;
    let mut events = Vec::new();
    let times = &w.state().block_times;
    for o in &w.state().owned {
        let t = o.amount.token_id;
        events.push((
            o.block_index,
            json!({"kind": "received", "block": o.block_index,
            "time": times.get(&o.block_index),
            "subaddress": o.subaddress, "token": t.0,
            "amount": amount::format(o.amount.value.into(), t),
            "amount_base": o.amount.value.to_string()}),
        ));
        if let Some(b) = o.spent_in {
            events.push((
                b,
                json!({"kind": "spent", "block": b, "time": times.get(&b), "token": t.0,
                "amount": amount::format(o.amount.value.into(), t),
                "amount_base": o.amount.value.to_string()}),
            ));
        }
    }
    events.sort_by_key(|(b, _)| *b);
    let text = events
        .iter()
        .map(|(_, e)| {
            format!(
                "block {:>6}  {}  {:<8}  {} of token {}{}",
                e["block"],
                e["time"].as_u64().map_or_else(|| "time unknown       ".to_owned(), utc),
                e["kind"].as_str().unwrap_or(""),
                e["amount"].as_str().unwrap_or(""),
                e["token"],
                if e["kind"] == "received" {
                    format!(" (subaddress {})", e["subaddress"])
                } else {
                    String::new()
                }
            )
        })
        .collect();
    Ok(Output {
        json: json!({"height": w.height(), "events": events.into_iter().map(|(_, e)| e).collect::<Vec<_>>()}),
        text,
    })
}

/// `watch`: prints each incoming payment as blocks arrive, until Ctrl-C.
pub async fn watch(c: &Common) -> Result<Output, Failed> {
    let (mut w, mut api): (Wallet, Progress<_>) = c.open().await?;
    let first = w.sync(&mut api).await?;
    if !c.json {
        println!("watching from block {} (Ctrl-C stops)", w.height().saturating_sub(1));
    }
    let _ = first;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        let r = w.sync(&mut api).await?;
        for (block, sub, value, token) in r.received {
            let amt = amount::format(value.into(), token);
            if c.json {
                println!(
                    "{}",
                    json!({"kind": "received", "block": block, "subaddress": sub,
                    "token": token.0, "amount": amt, "amount_base": value.to_string()})
                );
            } else {
                println!("block {block}: received {amt} of token {} (subaddress {sub})", token.0);
            }
        }
    }
    Ok(Output { json: json!({"height": w.height()}), text: vec![] })
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of Unix seconds `t` (civil-from-days, proleptic Gregorian).
fn utc(t: u64) -> String {
    let (days, secs) = (t / 86_400, t % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(super::utc(1_795_996_799), "2026-11-29 23:59:59");
    }
}
