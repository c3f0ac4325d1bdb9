"""The CSC remote signing server (ký số từ xa), deployed as its own process.

- `service`: `SigningService`, what the CSC endpoints do (authorize, signHash, ...);
- `credentials`, `callers`, `sad`, `state`, `signature_log`: its parts (credential registry
  and PIN hashing, calling systems, signature activation data, failure counters, the
  hash-chained signature log);
- `algorithms`: the signature and hash algorithms it offers; `errors`: what it raises;
- `token`: PKCS#11 access (SoftHSM2 here, an HSM in production);
- `dev_pki`: the development PKI (NOT FOR PRODUCTION) and its TSA/OCSP/CRL server on
  loopback, which the development default starts;
- `assembly`: builds all of it from `server_settings.SigningSettings` (`VAULT_SIGNING_*`).

The HTTP layer is `api.csc`. Of the vault this package imports `vault.settings` only (an
import-linter contract holds it to that); the vault's side of signing is `signing.issuing`.
"""
