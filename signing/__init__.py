"""Ký số: digital signatures, in three subpackages with their own floors.

- `csc_server`: the remote signing server (ký số từ xa), its own process (`vault
  signing-serve`): `SigningService` behind the CSC API, credentials with hashed PINs and
  OTPs, signature activation data, failure counters, the hash-chained signature log, PKCS#11
  keys (SoftHSM2 here, an HSM in production) and, for development only, the development PKI.
  It imports nothing of the vault but `vault.settings`; its HTTP layer is `api.csc`.
- `verify`: verification of signed PDFs (PAdES) in bounded worker processes, and its
  settings (`verify.verifier_settings`, trust anchors from `VAULT_VERIFY_*`).
- `issuing`: the vault's signing use cases: signing results, certified copies, extending
  signatures, checking a file against the record, staged scans, PAdES through the CSC client,
  the copy PDF, and the `VaultSigning` wiring.

`totp` (RFC 6238 one-time passwords) is shared by the server, which checks them, and the
vault's seal client, which computes them. Nothing here imports a web framework.
"""
