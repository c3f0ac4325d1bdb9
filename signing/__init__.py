"""Ký số: the remote signing service (CSC API, keys in a PKCS#11 token).

- `service`: `SigningService`, what the CSC endpoints do (authorize, signHash, ...);
- `credentials`, `callers`, `sad`, `state`, `audit`: its parts (credential registry and PIN
  hashing, calling systems, signature activation data, failure counters, signature log);
- `token`: PKCS#11 access (SoftHSM2 here, an HSM in production);
- `pki`: the development PKI (NOT FOR PRODUCTION) and its TSA/OCSP/CRL server on loopback;
- `runtime`: builds all of it from `settings.SigningSettings`;
- `client`: the caller's side, for pyHanko's stock `CSCSigner`.

The HTTP layer is `api.csc`: nothing here imports a web framework.
"""
