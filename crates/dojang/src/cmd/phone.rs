//! `dojang phone <number>`: the customer's phone, as the local simulator of the outside world
//! fills it: every SMS, ARS call script, e-mail and deposit notice the center sent to that
//! phone number (or e-mail address, or account number), oldest first. `--follow` keeps
//! watching, so a person running the demo sees the code arrive.

use std::time::Duration;

use clap::Args;
use dojang_outside::{list_inbox, InboxMessage};

use super::common::{self, DataArgs};

#[derive(Args)]
pub struct PhoneArgs {
    #[command(flatten)]
    data: DataArgs,
    /// A phone number (010-1234-5678), e-mail address, or account number.
    address: String,
    /// Only the newest N messages.
    #[arg(long, value_name = "N")]
    last: Option<usize>,
    /// Keep watching and print new messages as they arrive (Ctrl-C to stop).
    #[arg(long)]
    follow: bool,
    /// Seconds between looks with --follow.
    #[arg(long, value_name = "SECONDS", default_value_t = 1)]
    interval: u64,
}

fn print(m: &InboxMessage) {
    let kst = m.at.to_offset(time::macros::offset!(+9));
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] KST");
    let at = kst.format(&format).unwrap_or_else(|_| m.at.to_string());
    println!("── #{} {at} · {} ({}) → {}", m.id, m.channel.korean(), m.channel.as_str(), m.address);
    println!("{}", m.body);
    println!();
}

pub fn run(args: PhoneArgs) -> anyhow::Result<()> {
    common::runtime()?.block_on(async move {
        let config = common::load_config(&args.data.flags())?;
        let store = common::open_store(&config).await?;
        let mut messages = list_inbox(&store, &args.address, 0).await?;
        if let Some(n) = args.last {
            let skip = messages.len().saturating_sub(n);
            messages.drain(..skip);
        }
        let mut last_id = messages.last().map_or(0, |m| m.id);
        if messages.is_empty() && !args.follow {
            println!("받은 메시지가 없습니다 (no messages for {}).", args.address.trim());
        }
        for m in &messages {
            print(m);
        }
        if !args.follow {
            return Ok(());
        }
        if last_id == 0 {
            // Everything so far was shown (or there was nothing): start after the newest.
            last_id = list_inbox(&store, &args.address, 0).await?.last().map_or(0, |m| m.id);
        }
        eprintln!("watching {} (Ctrl-C to stop)…", args.address.trim());
        loop {
            tokio::time::sleep(Duration::from_secs(args.interval.max(1))).await;
            for m in list_inbox(&store, &args.address, last_id).await? {
                last_id = m.id;
                print(&m);
            }
        }
    })
}
