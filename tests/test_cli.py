"""The `vault` command, run as a real process against both backends."""

import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import Backend
from tests.factories import CITIZEN_ID, pdf_bytes
from tests.test_atomicity import CLERK, META, register_owner, settings_env
from vault.runtime import Vault
from vault.settings import DEVELOPMENT_MASTER_KEY, DEVELOPMENT_MASTER_KEY_ID, Settings


def vault_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.prefix, "bin", "vault")), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrate_creates_the_embedded_database(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VAULT_DATABASE_URL": f"sqlite:///{tmp_path}/var/vault.db",
        "VAULT_STORAGE_PATH": str(tmp_path / "var/objects"),
    }
    result = vault_cli(["migrate"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var/vault.db").exists()


def test_bad_configuration_is_explained(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "VAULT_ENV": "production",
        "VAULT_DATABASE_URL": "postgresql://vault@db/vault",
    }
    result = vault_cli(["migrate"], env, tmp_path)
    assert result.returncode != 0
    assert "development master key" in result.stderr


def test_rotate_keys_rewraps_without_touching_blobs(
    backend: Backend, vault: Vault, tmp_path: Path
) -> None:
    owner_id = register_owner(vault)
    content = pdf_bytes(3)
    with vault.uows() as uow:
        doc = vault.documents.upload(uow, CLERK, owner_id, META, io.BytesIO(content))
        uow.commit()
    before = {o.key: b"".join(backend.store.get(o.key)) for o in backend.store.list()}

    new_key = base64.b64encode(os.urandom(32)).decode()
    env = settings_env(backend.settings)
    env["VAULT_MASTER_KEYS"] = json.dumps(
        {DEVELOPMENT_MASTER_KEY_ID: DEVELOPMENT_MASTER_KEY, "2026-11": new_key}
    )
    env["VAULT_ACTIVE_MASTER_KEY_ID"] = "2026-11"
    result = vault_cli(["rotate-keys"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rewrapped 1 data keys with master key 2026-11" in result.stdout
    # Not a terminal: a plain progress line, no bar.
    assert "rotate-keys: data keys rewrapped: 1/1 done" in result.stderr, result.stderr
    again = vault_cli(["rotate-keys"], env, tmp_path)
    assert "rewrapped 0 data keys" in again.stdout

    after = {o.key: b"".join(backend.store.get(o.key)) for o in backend.store.list()}
    assert after == before  # blobs were not rewritten
    # The old master key can now be retired: the new one alone reads the document.
    only_new = Settings(
        **{
            **dict(backend.settings),
            "master_keys": {"2026-11": new_key},
            "active_master_key_id": "2026-11",
        }
    )
    rotated = Vault.from_settings(only_new, blobs=backend.store)
    with rotated.uows() as uow:
        stored = uow.documents.get(doc.id)
        assert stored is not None
        stream = rotated.documents.read_content(uow, stored)
        assert b"".join(stream.chunks) == content
    rotated.close()


def test_reconcile_reports_as_json_and_fails_on_missing_objects(
    backend: Backend, vault: Vault, tmp_path: Path
) -> None:
    owner_id = register_owner(vault)
    with vault.uows() as uow:
        doc = vault.documents.upload(uow, CLERK, owner_id, META, io.BytesIO(pdf_bytes()))
        uow.commit()
    env = settings_env(backend.settings)
    ok = vault_cli(["reconcile", "--grace", "0"], env, tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["missing_objects"] == []
    assert "reconcile: objects checked: 1 done" in ok.stderr, ok.stderr
    backend.store.delete(doc.blob.object_key)
    bad = vault_cli(["reconcile", "--grace", "0"], env, tmp_path)
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["missing_objects"] == [doc.blob.object_key]
    assert CITIZEN_ID not in bad.stdout + bad.stderr


def test_the_command_imports_nothing_heavy_before_it_runs() -> None:
    """`vault --help` and every command start without pyHanko, PDFium, SQLAlchemy or FastAPI
    (seconds of imports): each command imports what it needs when it runs."""
    heavy = ["pyhanko", "pypdfium2", "sqlalchemy", "fastapi"]
    probe = (
        "import sys, api.cli; api.cli.build_parser(); "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout
    helped = subprocess.run(
        [str(Path(sys.prefix, "bin", "vault")), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert helped.returncode == 0, helped.stderr
    for command in ("serve", "verify", "migrate", "worker", "dev-seed", "add-officer"):
        assert command in helped.stdout


def test_trust_roots_prints_the_verifiers_roots_for_the_sdk(tmp_path: Path) -> None:
    from tests.sdk.conftest import SDK_SRC
    from tests.sdk.pki import Pki

    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    none = vault_cli(["trust-roots"], env, tmp_path)  # no root configured, no development PKI
    assert none.returncode == 1 and "VAULT_VERIFY_TRUST_ROOTS" in none.stderr
    assert none.stdout == ""

    pki = Pki.make()
    (tmp_path / "national").mkdir()
    (tmp_path / "national/root.pem").write_bytes(pki.root_pem)
    env["VAULT_VERIFY_TRUST_ROOTS"] = json.dumps([str(tmp_path / "national")])
    printed = vault_cli(["trust-roots", "--out", "trust-roots.pem"], env, tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert "1 trust root(s) written to trust-roots.pem" in printed.stderr
    bundle = (tmp_path / "trust-roots.pem").read_text()
    assert bundle.startswith("# CN=Test Root CA,O=UBND phường Bến Nghé,C=VN\n-----BEGIN")
    # ... which the SDK's offline check loads as it is.
    check = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from vault_client.verification import verify_pdf; "
        "print(verify_pdf(open(sys.argv[2], 'rb').read(), ['trust-roots.pem']).verdict)"
    )
    (tmp_path / "signed.pdf").write_bytes(pki.sign())
    verified = subprocess.run(
        [sys.executable, "-c", check, str(SDK_SRC), "signed.pdf"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.stdout.strip() == "passed", verified.stderr


def test_dev_seed_keeps_the_demo_systems_secret_and_says_when_it_cannot(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("VAULT_")},
        "VAULT_OCR_WORKER_EMBEDDED": "false",
    }
    assert vault_cli(["migrate"], env, tmp_path).returncode == 0
    first = vault_cli(["dev-seed"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    kept = tmp_path / "var/dev-client.env"
    assert "are in var/dev-client.env" in first.stdout
    assert kept.stat().st_mode & 0o777 == 0o600
    secret = json.loads(first.stdout[: first.stdout.rindex("}") + 1])["client"]["client_secret"]
    assert kept.read_text().splitlines()[1:] == [
        "export CITIZEN_VAULT_CLIENT_ID=demo-system",
        f"export CITIZEN_VAULT_CLIENT_SECRET={secret}",
    ]
    again = vault_cli(["dev-seed"], env, tmp_path)  # still there, still the vault's
    assert again.returncode == 0 and "warning" not in again.stderr
    assert "are in var/dev-client.env" in again.stdout and secret not in again.stdout

    kept.write_text("export CITIZEN_VAULT_CLIENT_SECRET=not-the-secret\n")
    stale = vault_cli(["dev-seed"], env, tmp_path)
    assert stale.returncode == 0
    assert "warning: var/dev-client.env does not hold the secret of demo-system" in stale.stderr


def test_the_verify_command_loads_no_pdf_library_in_its_own_process() -> None:
    """`vault verify` parses, reads settings and starts its bounded worker; pyHanko and PDFium
    load in that worker only, so the command does not pay for them twice."""
    code = (
        "import sys, api.cli, signing.verify.cli, signing.verify.pool\n"
        "import signing.verify.verifier_settings\n"
        "from signing.verify import VerificationReport, cannot_validate\n"
        "names = ('pyhanko', 'pypdfium2', 'sqlalchemy', 'fastapi')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == ""
