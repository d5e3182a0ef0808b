//! `mektep serve`: open the database, set up EDS verification, start the web server, and stop
//! gracefully on SIGTERM or Ctrl-C, finishing the requests in flight.

use std::sync::Arc;

use pki::{Crl, RevocationConfig, TrustStore, Verifier};
use store::{Store, StoreConfig};
use web::{AppInner, AppState, WebConfig};

use crate::config::{Config, redact_url};
use crate::demo;

/// Connections the kernel holds for the server before it accepts them (it caps this at
/// `net.core.somaxconn`, 4096 on current kernels). At the opening minute thousands of browsers
/// connect within a second; with the usual 1,024 the rest of a burst was dropped, and a dropped
/// connection is tried again by the browser only after one second, then three, then seven: a
/// parent waited seconds before the server could even say it was busy.
const LISTEN_BACKLOG: u32 = 4096;

async fn listen(addr: &str) -> std::io::Result<tokio::net::TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        // As `TcpListener::bind` does: a restart binds again while old connections linger.
        socket.set_reuseaddr(true)?;
        match socket.bind(addr) {
            Ok(()) => return socket.listen(LISTEN_BACKLOG),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address to listen on")
    }))
}

pub async fn open_store(c: &Config) -> Result<Store, String> {
    std::fs::create_dir_all(&c.data_dir)
        .map_err(|e| format!("cannot create data dir {}: {e}", c.data_dir.display()))?;
    let url = c.database_url();
    Store::open(&StoreConfig {
        url: url.clone(),
        max_connections: c.database_max_connections,
    })
    .await
    .map_err(|e| format!("database {}: {e}", redact_url(&url)))
}

/// Names of the production NCA RK certification authorities: a demo must never trust them,
/// or a demo installation could be mistaken for (or used as) the real service.
const PRODUCTION_CA_NAMES: [&str; 2] = [
    "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ",
    "НЕГІЗГІ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ",
];

fn build_verifier(c: &Config, extra_anchors: &[Vec<u8>]) -> Result<Verifier, String> {
    let mut trust = TrustStore::new();
    for path in &c.pki.trust_anchors {
        let data =
            std::fs::read(path).map_err(|e| format!("trust anchor {}: {e}", path.display()))?;
        let mut one = TrustStore::new();
        one.add(&data)
            .map_err(|e| format!("trust anchor {}: {e}", path.display()))?;
        for anchor in one.anchors() {
            let cn = anchor
                .subject
                .get(pki::oid::AT_CN)
                .unwrap_or_default()
                .to_uppercase();
            if c.demo && PRODUCTION_CA_NAMES.iter().any(|n| cn.contains(n)) && !cn.contains("TEST")
            {
                return Err(format!(
                    "refusing to start in demo mode with a production trust anchor ({}); remove it from pki.trust_anchors",
                    path.display()
                ));
            }
        }
        trust
            .add(&data)
            .map_err(|e| format!("trust anchor {}: {e}", path.display()))?;
    }
    for der in extra_anchors {
        trust.add(der).map_err(|e| format!("demo CA: {e}"))?;
    }
    if trust.is_empty() {
        tracing::warn!("no trust anchors configured: nobody can sign in (set pki.trust_anchors)");
    }
    let mut crls = Vec::new();
    for path in &c.pki.crls {
        let data = std::fs::read(path).map_err(|e| format!("CRL {}: {e}", path.display()))?;
        crls.push(Crl::from_pem_or_der(&data).map_err(|e| format!("CRL {}: {e}", path.display()))?);
    }
    let mut revocation = RevocationConfig::with_crls(crls);
    if c.pki.fetch_crls || !c.pki.ocsp_url.is_empty() {
        let http = std::sync::Arc::new(crate::revocation::HttpRevocation::new(
            &c.pki.ocsp_url,
            std::time::Duration::from_secs(c.pki.fetch_timeout_seconds.max(1)),
        )?);
        if c.pki.fetch_crls {
            revocation.crl_fetcher = Some(http.clone());
        }
        if !c.pki.ocsp_url.is_empty() {
            revocation.ocsp = Some(http);
        }
    }
    revocation.unreachable_policy = if c.pki.accept_when_unreachable {
        pki::revocation::UnreachablePolicy::Accept
    } else {
        pki::revocation::UnreachablePolicy::Reject
    };
    let verifier = Verifier::new(trust, revocation).with_sign_policy(pki::verify::SignPolicy {
        accept_auth_keys_for_signing: c.pki.accept_auth_keys_for_signing,
    });
    Ok(verifier)
}

pub async fn serve(c: Config) -> Result<(), String> {
    crate::init_logging(&c.log);
    let store = open_store(&c)
        .await?
        .remember_signed_in_for(std::time::Duration::from_secs(c.session.remember_seconds));
    let demo = demo::prepare(&store, &c).await?;
    let verifier = build_verifier(&c, &demo.trust_anchors)?;
    let blobs = crate::storage::blob_store_for_service(&c)?;
    let csrf_key = store
        .setting_or_insert("csrf_key", &store::random_token(32))
        .await
        .map_err(|e| format!("reading the CSRF key: {e}"))?;
    let web_config = WebConfig {
        public_url: c.public_url(),
        demo: c.demo,
        cookie_secure: c.cookie_secure(),
        rate_limits: c.rate_limits.limits(),
        request_timeout_seconds: c.request_timeout_seconds,
        trust_forwarded_for: c.trust_forwarded_for,
        session_idle_minutes: c.session.idle_minutes,
        session_absolute_hours: c.session.absolute_hours,
        challenge_ttl_seconds: c.pki.challenge_ttl_seconds,
        accept_auth_keys_for_signing: c.pki.accept_auth_keys_for_signing,
        retention_refused_and_withdrawn_days: c.retention.refused_and_withdrawn_days,
        ..WebConfig::default()
    };
    let state = AppState(Arc::new(AppInner {
        store: store.clone(),
        blobs,
        verifier: Arc::new(verifier),
        config: web_config,
        csrf_key: csrf_key.into_bytes(),
        demo_people: demo.people,
        cache: Default::default(),
    }));
    // Notifications: one delivery worker per instance; the outbox's leases keep several
    // instances from sending a message twice.
    let transports = c
        .notify
        .transports(c.demo)
        .map_err(|e| format!("notify: {}", e.0))?;
    let worker = notify::Worker::new(
        store.clone(),
        state.blobs.clone(),
        transports.email,
        transports.sms,
        c.notify.worker.clone(),
    )
    .map_err(|e| format!("notify: {}", e.0))?;
    let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(worker.run(worker_stopped.clone()));
    let jobs = tokio::spawn(web::jobs::run(state.clone(), worker_stopped));
    let app = web::router(state);
    let listener = listen(&c.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", c.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(backend = store.backend().as_str(), %addr, demo = c.demo, "serving");
    // The line people (and tests) wait for.
    println!("Mektep is ready: open http://{addr}/");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| format!("server: {e}"))?;
    // The batch in flight finishes (bounded by the send timeout); what is left waits in the
    // outbox for the next start.
    let _ = stop_worker.send(true);
    let _ = worker.await;
    let _ = jobs.await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
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
    tracing::info!("shutting down: finishing requests in flight");
}
