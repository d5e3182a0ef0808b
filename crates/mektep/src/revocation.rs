//! Revocation sources over HTTP for the verifier: CRLs from the distribution points named in
//! certificates, and an OCSP responder (NCA RK: `http://crl.pki.gov.kz/…`, `http://ocsp.pki.gov.kz/`).
//!
//! The verifier runs on blocking threads (it is CPU work); these calls block that thread on
//! the runtime's HTTP client with a timeout, never an async worker. The verifier caches a CRL
//! until its nextUpdate, so a download happens once per CRL period, not per sign-in.

use std::time::Duration;

use pki::revocation::{CrlFetcher, FetchError, OcspClient};

pub struct HttpRevocation {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
    ocsp_url: String,
}

impl HttpRevocation {
    pub fn new(ocsp_url: &str, timeout: Duration) -> Result<HttpRevocation, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| format!("HTTP client for revocation checks: {e}"))?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| format!("revocation checks need the runtime: {e}"))?;
        Ok(HttpRevocation {
            client,
            runtime,
            ocsp_url: ocsp_url.to_owned(),
        })
    }

    fn call(&self, request: reqwest::RequestBuilder) -> Result<Vec<u8>, FetchError> {
        // Responses larger than this are not CRLs we can use (NCA's full CRL is a few MB).
        const LIMIT: usize = 64 * 1024 * 1024;
        self.runtime.block_on(async {
            let response = request
                .send()
                .await
                .map_err(|e| FetchError(e.without_url().to_string()))?;
            if !response.status().is_success() {
                return Err(FetchError(format!("HTTP {}", response.status())));
            }
            let body = response
                .bytes()
                .await
                .map_err(|e| FetchError(e.without_url().to_string()))?;
            if body.len() > LIMIT {
                return Err(FetchError("response too large".into()));
            }
            Ok(body.to_vec())
        })
    }
}

impl CrlFetcher for HttpRevocation {
    fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(FetchError(format!("unsupported CRL location {url}")));
        }
        self.call(self.client.get(url))
    }
}

impl OcspClient for HttpRevocation {
    fn check(&self, request_der: &[u8]) -> Result<Vec<u8>, FetchError> {
        if self.ocsp_url.is_empty() {
            return Err(FetchError("no OCSP responder configured".into()));
        }
        let request = self
            .client
            .post(&self.ocsp_url)
            .header("content-type", "application/ocsp-request")
            .body(request_der.to_vec());
        self.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fetches_from_a_real_http_server_and_reports_failures() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let app = axum::Router::new()
            .route(
                "/ca.crl",
                axum::routing::get(|| async { b"crl bytes".to_vec() }),
            )
            .route(
                "/ocsp",
                axum::routing::post(|body: axum::body::Bytes| async move {
                    [b"answer:".as_slice(), &body].concat()
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let http = HttpRevocation::new(&format!("http://{addr}/ocsp"), Duration::from_secs(5))
            .expect("client");
        let base = format!("http://{addr}");
        let (crl, missing, ocsp, refused) = tokio::task::spawn_blocking(move || {
            (
                http.fetch(&format!("{base}/ca.crl")),
                http.fetch(&format!("{base}/nope.crl")),
                http.check(b"req"),
                http.fetch("ldap://example/crl"),
            )
        })
        .await
        .expect("blocking task");
        assert_eq!(crl.expect("crl"), b"crl bytes");
        assert!(missing.expect_err("404").0.contains("404"));
        assert_eq!(ocsp.expect("ocsp"), b"answer:req");
        assert!(refused.is_err());
    }
}
