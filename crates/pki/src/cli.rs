//! `mektep pki …`: test-CA tools and a verifier that prints a JSON report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::testca::{CmsSigner, IssuedKey, TestCa, TestCaError, Validity};
use crate::verify::{KeyKind, Purpose, Role, SignPolicy, Verifier};
use crate::x509::certificates_from_pem_or_der;
use crate::{Crl, RevocationConfig, TrustStore, VerifyError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PurposeArg {
    Login,
    Sign,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    Auth,
    Sign,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    FirstHead,
    SigningRight,
    Hr,
    Employee,
}

#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum PkiCommand {
    /// Create a test CA (root and issuing CA, PEM files) in DIR.
    InitTestCa {
        dir: PathBuf,
        /// Distinguishes several test CAs in their names.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Issue an NCA-shaped key from the test CA; writes certificate and key as one PEM file.
    Issue {
        #[arg(long)]
        ca: PathBuf,
        #[arg(long)]
        iin: String,
        #[arg(long)]
        surname: String,
        #[arg(long)]
        given_name: String,
        #[arg(long)]
        patronymic: Option<String>,
        #[arg(long, value_enum, default_value = "auth")]
        kind: KindArg,
        /// Makes it a legal entity's key (with --org).
        #[arg(long)]
        bin: Option<String>,
        #[arg(long)]
        org: Option<String>,
        #[arg(long, value_enum)]
        role: Vec<RoleArg>,
        #[arg(long, default_value_t = 365)]
        days: i64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Revoke a certificate of the test CA and write the new CRL to DIR/ca.crl.
    Revoke {
        #[arg(long)]
        ca: PathBuf,
        /// Certificate (PEM or DER, or an issued key's PEM).
        #[arg(long)]
        cert: PathBuf,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Sign a file the way NCALayer does (CMS, SHA-256, RSA).
    Sign {
        /// PEM with CERTIFICATE and PRIVATE KEY (from `issue`).
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Leave the content out of the CMS.
        #[arg(long)]
        detached: bool,
        /// Write `-----BEGIN CMS-----` PEM instead of DER.
        #[arg(long)]
        pem: bool,
    },
    /// Verify a CMS (DER, base64 or PEM); prints a JSON report, exits 0 only when valid.
    Verify {
        cms: PathBuf,
        /// The expected content; without it an attached CMS is checked over its own content.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Trust anchors (PEM bundle or DER).
        #[arg(long, required = true)]
        trust: Vec<PathBuf>,
        #[arg(long)]
        crl: Vec<PathBuf>,
        /// Verification time, RFC 3339 (default: now).
        #[arg(long)]
        at: Option<String>,
        #[arg(long, value_enum, default_value = "login")]
        purpose: PurposeArg,
        #[arg(long)]
        accept_auth_keys_for_signing: bool,
    },
    /// Run the NCALayer stand-in (wss://127.0.0.1:13579 by default) until Ctrl-C.
    #[cfg(feature = "ncalayer")]
    Ncalayer {
        /// PEM of the AUTH key (from `issue --kind auth`).
        #[arg(long)]
        auth: Option<PathBuf>,
        /// PEM of the SIGN key (from `issue --kind sign`).
        #[arg(long)]
        sign: Option<PathBuf>,
        #[arg(long, default_value = "127.0.0.1:13579")]
        listen: std::net::SocketAddr,
        /// Serve plain ws:// instead of wss://.
        #[arg(long)]
        plain: bool,
        /// Answer every signing request as cancelled (or with an error).
        #[arg(long, value_enum, default_value = "sign")]
        behaviour: BehaviourArg,
    },
}

#[cfg(feature = "ncalayer")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BehaviourArg {
    Sign,
    Cancel,
    Error,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    TestCa(#[from] TestCaError),
    #[error("{0}")]
    Verify(#[from] VerifyError),
    #[error("{0}")]
    Usage(String),
}

pub fn run(cmd: PkiCommand) -> ExitCode {
    let mut stdout = std::io::stdout();
    match execute(cmd, &mut stdout) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("pki: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs a command, writing its output to `out`; `Ok(false)` is a verification that failed.
pub fn execute(cmd: PkiCommand, out: &mut dyn Write) -> Result<bool, CliError> {
    match cmd {
        PkiCommand::InitTestCa { dir, name } => {
            let ca = TestCa::generate(&name)?;
            ca.save(&dir)?;
            write_file(&dir.join("ca.crl"), &ca.crl()?)?;
            say(out, &format!("test CA written to {}", dir.display()))?;
            Ok(true)
        }
        PkiCommand::Issue {
            ca,
            iin,
            surname,
            given_name,
            patronymic,
            kind,
            bin,
            org,
            role,
            days,
            out: path,
        } => {
            let ca = TestCa::load(&ca)?;
            let kind = match kind {
                KindArg::Auth => KeyKind::Auth,
                KindArg::Sign => KeyKind::Sign,
            };
            let validity = Validity::days_from_now(days);
            let key = match (bin, org) {
                (Some(bin), Some(org)) => {
                    let roles: Vec<Role> = role
                        .iter()
                        .map(|r| match r {
                            RoleArg::FirstHead => Role::FirstHead,
                            RoleArg::SigningRight => Role::SigningRight,
                            RoleArg::Hr => Role::Hr,
                            RoleArg::Employee => Role::Employee,
                        })
                        .collect();
                    ca.issue_organization_person(
                        &iin,
                        &surname,
                        &given_name,
                        patronymic.as_deref(),
                        &bin,
                        &org,
                        &roles,
                        kind,
                        validity,
                    )?
                }
                (None, None) => ca.issue_person(
                    &iin,
                    &surname,
                    &given_name,
                    patronymic.as_deref(),
                    kind,
                    validity,
                )?,
                _ => return Err(CliError::Usage("--bin and --org go together".into())),
            };
            write_file(&path, key.to_pem().as_bytes())?;
            say(out, &format!("serial {}", key.serial_hex()))?;
            Ok(true)
        }
        PkiCommand::Revoke {
            ca: dir,
            cert,
            reason,
        } => {
            let ca = TestCa::load(&dir)?;
            let certs = certificates_from_pem_or_der(&read_file(&cert)?)?;
            let first = certs
                .first()
                .ok_or_else(|| CliError::Usage("no certificate".into()))?;
            ca.revoke_with_reason(&first.serial, reason.as_deref());
            ca.save(&dir)?;
            write_file(&dir.join("ca.crl"), &ca.crl()?)?;
            say(out, &format!("revoked {}", first.serial_hex()))?;
            Ok(true)
        }
        PkiCommand::Sign {
            key,
            data,
            out: path,
            detached,
            pem,
        } => {
            let text = String::from_utf8_lossy(&read_file(&key)?).into_owned();
            let issued = IssuedKey::from_pem(&text)?;
            let cms = CmsSigner::from_issued(&issued)?.sign(&read_file(&data)?, !detached)?;
            let bytes = if pem {
                crate::input::to_pem("CMS", &cms).into_bytes()
            } else {
                cms
            };
            write_file(&path, &bytes)?;
            Ok(true)
        }
        PkiCommand::Verify {
            cms,
            data,
            trust,
            crl,
            at,
            purpose,
            accept_auth_keys_for_signing,
        } => {
            let report = verify_report(
                &cms,
                data.as_deref(),
                &trust,
                &crl,
                at.as_deref(),
                purpose,
                accept_auth_keys_for_signing,
            )?;
            let valid = report["valid"].as_bool().unwrap_or(false);
            let text = serde_json::to_string_pretty(&report)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            say(out, &text)?;
            Ok(valid)
        }
        #[cfg(feature = "ncalayer")]
        PkiCommand::Ncalayer {
            auth,
            sign,
            listen,
            plain,
            behaviour,
        } => run_ncalayer(auth, sign, listen, plain, behaviour, out),
    }
}

#[cfg(feature = "ncalayer")]
fn run_ncalayer(
    auth: Option<PathBuf>,
    sign: Option<PathBuf>,
    listen: std::net::SocketAddr,
    plain: bool,
    behaviour: BehaviourArg,
    out: &mut dyn Write,
) -> Result<bool, CliError> {
    use crate::ncalayer::{Behaviour, Responder, Transport, serve};
    let load = |p: Option<PathBuf>| -> Result<Option<IssuedKey>, CliError> {
        match p {
            Some(path) => {
                let text = String::from_utf8_lossy(&read_file(&path)?).into_owned();
                Ok(Some(IssuedKey::from_pem(&text)?))
            }
            None => Ok(None),
        }
    };
    let responder =
        Responder::new(load(auth)?, load(sign)?).map_err(|e| CliError::Usage(e.to_string()))?;
    responder.set_behaviour(match behaviour {
        BehaviourArg::Sign => Behaviour::Sign,
        BehaviourArg::Cancel => Behaviour::Cancel,
        BehaviourArg::Error => Behaviour::Error,
    });
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(CliError::Usage(
            "the NCALayer stand-in command must be run outside an async runtime".into(),
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Io {
            path: "<runtime>".into(),
            source: e,
        })?;
    runtime.block_on(async {
        let transport = if plain {
            Transport::Plain
        } else {
            Transport::Tls
        };
        let server = serve(listen, responder, transport)
            .await
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let scheme = if plain { "ws" } else { "wss" };
        say(
            out,
            &format!(
                "NCALayer stand-in on {scheme}://{}/ (Ctrl-C stops)",
                server.local_addr()
            ),
        )?;
        let _ = tokio::signal::ctrl_c().await;
        server.shutdown();
        Ok(true)
    })
}

fn verify_report(
    cms_path: &Path,
    data: Option<&Path>,
    trust_paths: &[PathBuf],
    crl_paths: &[PathBuf],
    at: Option<&str>,
    purpose: PurposeArg,
    accept_auth: bool,
) -> Result<serde_json::Value, CliError> {
    let at: DateTime<Utc> = match at {
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map_err(|e| CliError::Usage(format!("--at {s}: {e}")))?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    let mut trust = TrustStore::new();
    for path in trust_paths {
        trust.add(&read_file(path)?)?;
    }
    let mut crls = Vec::new();
    for path in crl_paths {
        crls.push(Crl::from_pem_or_der(&read_file(path)?)?);
    }
    let cms = read_file(cms_path)?;
    let content = match data {
        Some(path) => read_file(path)?,
        None => {
            let der = crate::parse_cms_input(&cms)?;
            crate::cms::parse_signed_data(&der)?
                .content
                .ok_or_else(|| CliError::Usage("detached CMS: give --data".into()))?
        }
    };
    let purpose = match purpose {
        PurposeArg::Login => Purpose::Login,
        PurposeArg::Sign => Purpose::Sign,
    };
    let verifier =
        Verifier::new(trust, RevocationConfig::with_crls(crls)).with_sign_policy(SignPolicy {
            accept_auth_keys_for_signing: accept_auth,
        });
    Ok(match verifier.verify_cms(&cms, &content, purpose, at) {
        Ok(v) => json!({
            "valid": true,
            "reasons": [],
            "iin": v.signer.iin,
            "bin": v.signer.bin,
            "surname": v.signer.surname,
            "given_name": v.signer.given_name,
            "patronymic": v.signer.patronymic,
            "common_name": v.signer.common_name,
            "organization": v.signer.organization,
            "key_kind": v.key_kind,
            "key_usage": v.key_usage,
            "ext_key_usage": v.ext_key_usage,
            "roles": v.roles,
            "signing_time": v.signing_time,
            "chain": v.chain,
            "revocation": v.revocation,
            "verified_at": at,
        }),
        Err(e) => json!({
            "valid": false,
            "reasons": [{ "key": e.message_key(), "detail": e.to_string() }],
            "verified_at": at,
        }),
    })
}

fn say(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    writeln!(out, "{text}").map_err(|e| CliError::Io {
        path: "<output>".into(),
        source: e,
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::Io {
        path: path.display().to_string(),
        source: e,
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|e| CliError::Io {
        path: path.display().to_string(),
        source: e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NCA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/nca-test");

    fn run_json(cmd: PkiCommand) -> (bool, serde_json::Value) {
        let mut out = Vec::new();
        let ok = execute(cmd, &mut out).unwrap();
        (ok, serde_json::from_slice(&out).unwrap())
    }

    fn verify_cmd(
        cms: PathBuf,
        trust: PathBuf,
        at: Option<&str>,
        purpose: PurposeArg,
    ) -> PkiCommand {
        PkiCommand::Verify {
            cms,
            data: None,
            trust: vec![trust],
            crl: vec![],
            at: at.map(str::to_string),
            purpose,
            accept_auth_keys_for_signing: false,
        }
    }

    #[test]
    fn verify_reports_the_nca_auth_signature() {
        let cms = PathBuf::from(format!(
            "{NCA}/ncanode-go-testdata/personal/active/AUTH_RSA256_b2c70a9ff7a5dc59de0ccc3c0ddde3437cc1f12d.cms"
        ));
        let trust = PathBuf::from(format!("{NCA}/ca/nca_rsa_test.crt"));
        let (ok, report) = run_json(verify_cmd(
            cms.clone(),
            trust.clone(),
            Some("2020-10-01T00:00:00Z"),
            PurposeArg::Login,
        ));
        assert!(ok);
        assert_eq!(report["valid"], true);
        assert_eq!(report["iin"], "123456789011");
        assert_eq!(report["surname"], "ТЕСТОВ");
        assert_eq!(report["patronymic"], "ТЕСТОВИЧ");
        assert_eq!(report["roles"], json!(["individual"]));
        assert_eq!(report["chain"].as_array().map(Vec::len), Some(2));
        assert_eq!(report["revocation"]["status"], "not_checked");

        // At today's date the certificate has expired: exit code says invalid, reason named.
        let (ok, report) = run_json(verify_cmd(cms, trust, None, PurposeArg::Login));
        assert!(!ok);
        assert_eq!(report["valid"], false);
        assert_eq!(report["reasons"][0]["key"], "pki-err-expired");
    }

    #[test]
    fn init_issue_sign_verify_revoke_round_trip() {
        let dir = std::env::temp_dir().join(format!("pki-cli-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let ca = dir.join("ca");
        let mut out = Vec::new();
        assert!(
            execute(
                PkiCommand::InitTestCa {
                    dir: ca.clone(),
                    name: "cli".into()
                },
                &mut out
            )
            .unwrap()
        );
        let key = dir.join("key.pem");
        assert!(
            execute(
                PkiCommand::Issue {
                    ca: ca.clone(),
                    iin: "900101300015".into(),
                    surname: "АХМЕТОВА".into(),
                    given_name: "ДИНАРА".into(),
                    patronymic: Some("ЕРЛАНҚЫЗЫ".into()),
                    kind: KindArg::Sign,
                    bin: None,
                    org: None,
                    role: vec![],
                    days: 30,
                    out: key.clone(),
                },
                &mut out,
            )
            .unwrap()
        );
        let data = dir.join("application.xml");
        std::fs::write(&data, "<application/>").unwrap();
        let cms = dir.join("application.cms");
        assert!(
            execute(
                PkiCommand::Sign {
                    key: key.clone(),
                    data: data.clone(),
                    out: cms.clone(),
                    detached: true,
                    pem: true
                },
                &mut out,
            )
            .unwrap()
        );
        let verify = |crl: Vec<PathBuf>, purpose| PkiCommand::Verify {
            cms: cms.clone(),
            data: Some(data.clone()),
            trust: vec![ca.join("ca.pem")],
            crl,
            at: None,
            purpose,
            accept_auth_keys_for_signing: false,
        };
        let mut buf = Vec::new();
        assert!(execute(verify(vec![ca.join("ca.crl")], PurposeArg::Sign), &mut buf).unwrap());
        let report: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(report["given_name"], "ДИНАРА");
        assert_eq!(report["revocation"]["source"], "crl");
        // A SIGN key does not log in.
        let mut buf = Vec::new();
        assert!(!execute(verify(vec![], PurposeArg::Login), &mut buf).unwrap());
        // Revoked: refused with the CRL the revoke command wrote.
        assert!(
            execute(
                PkiCommand::Revoke {
                    ca: ca.clone(),
                    cert: key.clone(),
                    reason: Some("keyCompromise".into())
                },
                &mut out
            )
            .unwrap()
        );
        let mut buf = Vec::new();
        assert!(!execute(verify(vec![ca.join("ca.crl")], PurposeArg::Sign), &mut buf).unwrap());
        let report: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(report["reasons"][0]["key"], "pki-err-revoked");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn clap_parses_the_verify_command() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(subcommand)]
            cmd: PkiCommand,
        }
        let cli = Cli::try_parse_from([
            "pki",
            "verify",
            "a.cms",
            "--trust",
            "ca.pem",
            "--purpose",
            "sign",
            "--at",
            "2020-10-01T00:00:00Z",
        ])
        .unwrap();
        assert!(matches!(
            cli.cmd,
            PkiCommand::Verify {
                purpose: PurposeArg::Sign,
                ..
            }
        ));
        assert!(Cli::try_parse_from(["pki", "verify", "a.cms"]).is_err());
    }
}
