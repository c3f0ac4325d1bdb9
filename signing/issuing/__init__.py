"""The vault's signing use cases (ký số, chứng thực bản sao điện tử), built on `vault`.

- `result_signing`: an issuing officer signs a result (kết quả giải quyết TTHC);
- `certification`: certified copies from originals (chứng thực bản sao từ bản chính), with
  `certification_model` (the book entry, its wording) and `public_view` (what the public
  verification page shows);
- `on_record`: is this file a paper the vault issued, byte for byte;
- `extend`: long-term upkeep of signed papers (B-LT to B-LTA);
- `staging`: scans kept server-side between a certified copy's preview and its signing;
- `stored`: verifying a stored document's signatures;
- `pades`, `client`, `copy_pdf`, `pdf_text`: PAdES through the CSC client, and the copy PDF;
- `signer_settings`, `wiring` (`VaultSigning`), `devenv`: configuration and start-up;
- `db`: the tables these own (certified copies, counters, refusals, staged scans) and the
  record look-up, declared on `vault.db.base.Base`. Only `db` imports SQLAlchemy or `vault.db`.
"""
