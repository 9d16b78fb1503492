//! `dojang serve`: run the center.

use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use dojang_config::PassphraseSource;

use super::common::{self, DataArgs};

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Address to listen on. Default 127.0.0.1:8080, or $DOJANG_LISTEN.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Public base URL put into certificates (CRL and OCSP locations). Default http://<ADDR>,
    /// or $DOJANG_BASE_URL.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    common::init_logging();
    let mut flags = args.data.flags();
    flags.listen = args.listen;
    flags.base_url = args.base_url;
    let config = common::load_config(&flags)?;
    common::runtime()?.block_on(async move {
        let listen = config.listen;
        let (center, opening, source) = common::open_or_make_center(config).await?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen} (is another center running there? use --listen)"))?;
        let data = std::fs::canonicalize(&center.config.data_dir).unwrap_or(center.config.data_dir.clone());
        println!("dojang 인증센터가 시작되었습니다 (the certificate center is running).");
        println!("  열기 / open:     http://{listen}/");
        println!("  데이터 / data:   {}", data.display());
        let store = common::shown_store(&center.config);
        println!("  저장소 / store:  {store} ({})", center.store.backend().name());
        println!("  인증기관 / CA:   {}{}", center.config.ca_dir().display(), if opening.ca_created { " (새로 만듦 / created now)" } else { "" });
        if center.config.base_url != format!("http://{listen}") {
            println!("  공개 주소 / public base URL: {}", center.config.base_url);
        }
        match &source {
            PassphraseSource::DemoGenerated(p) | PassphraseSource::Demo(p) => {
                println!("  주의 / WARNING: the CA keys are protected by a DEMO passphrase kept in {}.", p.display());
                println!("      For real use set DOJANG_CA_PASSPHRASE or ca.passphrase_file before the first start.");
            }
            PassphraseSource::Environment | PassphraseSource::File(_) => {}
        }
        if center.config.clock.is_shifted() {
            println!("  주의 / WARNING: the clock is shifted by DOJANG_CLOCK_OFFSET ({}); now is {}.", center.config.clock.offset(), center.now());
        }
        if opening.ocsp_signer_renewed {
            println!("  OCSP 서명 인증서를 갱신했습니다 (the OCSP signing certificate was renewed).");
        }
        println!("멈추려면 Ctrl+C (press Ctrl+C to stop).");
        dojang_server::serve(Arc::new(center), listener, shutdown_signal())
            .await
            .context("serving")?;
        println!("dojang 인증센터를 멈췄습니다 (stopped).");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
