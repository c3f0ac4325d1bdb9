"""Tables of the signing use cases, on the vault's declarative `Base` (one Alembic history in
`vault/db/migrations`), and their repositories. A repository takes a SQLAlchemy `Session`;
code gets one on its transaction with `uow.repository(TheRepository)`."""
