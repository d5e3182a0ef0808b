//! Object identifiers used here, in dotted form (parsed OIDs are compared as strings).

pub const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
pub const SHA1_WITH_RSA: &str = "1.2.840.113549.1.1.5";
pub const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
pub const SHA384_WITH_RSA: &str = "1.2.840.113549.1.1.12";
pub const SHA512_WITH_RSA: &str = "1.2.840.113549.1.1.13";

pub const SHA1: &str = "1.3.14.3.2.26";
pub const SHA256: &str = "2.16.840.1.101.3.4.2.1";
pub const SHA384: &str = "2.16.840.1.101.3.4.2.2";
pub const SHA512: &str = "2.16.840.1.101.3.4.2.3";

pub const CMS_DATA: &str = "1.2.840.113549.1.7.1";
pub const CMS_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
pub const ATTR_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
pub const ATTR_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
pub const ATTR_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";

// Name attributes.
pub const AT_CN: &str = "2.5.4.3";
pub const AT_SURNAME: &str = "2.5.4.4";
pub const AT_SERIAL_NUMBER: &str = "2.5.4.5";
pub const AT_COUNTRY: &str = "2.5.4.6";
pub const AT_LOCALITY: &str = "2.5.4.7";
pub const AT_STATE: &str = "2.5.4.8";
pub const AT_ORGANIZATION: &str = "2.5.4.10";
pub const AT_ORG_UNIT: &str = "2.5.4.11";
/// NCA puts the patronymic into givenName (G).
pub const AT_GIVEN_NAME: &str = "2.5.4.42";
pub const AT_EMAIL: &str = "1.2.840.113549.1.9.1";

// Extensions.
pub const EXT_SUBJECT_KEY_ID: &str = "2.5.29.14";
pub const EXT_KEY_USAGE: &str = "2.5.29.15";
pub const EXT_SUBJECT_ALT_NAME: &str = "2.5.29.17";
pub const EXT_BASIC_CONSTRAINTS: &str = "2.5.29.19";
pub const EXT_CRL_NUMBER: &str = "2.5.29.20";
pub const EXT_CRL_REASON: &str = "2.5.29.21";
pub const EXT_CRL_DISTRIBUTION_POINTS: &str = "2.5.29.31";
pub const EXT_CERT_POLICIES: &str = "2.5.29.32";
pub const EXT_AUTHORITY_KEY_ID: &str = "2.5.29.35";
pub const EXT_EXT_KEY_USAGE: &str = "2.5.29.37";
pub const EXT_FRESHEST_CRL: &str = "2.5.29.46";
pub const EXT_AUTHORITY_INFO_ACCESS: &str = "1.3.6.1.5.5.7.1.1";
pub const AIA_OCSP: &str = "1.3.6.1.5.5.7.48.1";
pub const AIA_CA_ISSUERS: &str = "1.3.6.1.5.5.7.48.2";

// Extended key usages.
pub const EKU_CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";
pub const EKU_EMAIL_PROTECTION: &str = "1.3.6.1.5.5.7.3.4";
pub const EKU_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";

// NCA RK roles (in the EKU) and older policies.
pub const ROLE_INDIVIDUAL: &str = "1.2.398.3.3.4.1.1";
pub const ROLE_LEGAL_ENTITY: &str = "1.2.398.3.3.4.1.2";
pub const ROLE_FIRST_HEAD: &str = "1.2.398.3.3.4.1.2.1";
pub const ROLE_SIGNING_RIGHT: &str = "1.2.398.3.3.4.1.2.2";
pub const ROLE_HR: &str = "1.2.398.3.3.4.1.2.4";
pub const ROLE_EMPLOYEE: &str = "1.2.398.3.3.4.1.2.5";
pub const POLICY_LEGAL_SIGN: &str = "1.2.398.3.3.2.1";
pub const POLICY_LEGAL_AUTH: &str = "1.2.398.3.3.2.2";
pub const POLICY_INDIVIDUAL_SIGN: &str = "1.2.398.3.3.2.3";
pub const POLICY_INDIVIDUAL_AUTH: &str = "1.2.398.3.3.2.4";

// OCSP.
pub const OCSP_BASIC: &str = "1.3.6.1.5.5.7.48.1.1";
pub const OCSP_NONCE: &str = "1.3.6.1.5.5.7.48.1.2";
