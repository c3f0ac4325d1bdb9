"""compose.yml is valid for Docker Compose (no engine runs here, so it is checked offline)."""

import os
import subprocess
import sys
from pathlib import Path

COMPOSE = Path(
    sys.prefix,
    "lib",
    f"python{sys.version_info[0]}.{sys.version_info[1]}",
    "site-packages",
    "compose",
    "docker-compose",
)
ENV = {
    "POSTGRES_PASSWORD": "p",
    "MINIO_ROOT_USER": "u",
    "MINIO_ROOT_PASSWORD": "secret12",
    "VAULT_MASTER_KEYS": '{"k1": "x"}',
    "VAULT_ACTIVE_MASTER_KEY_ID": "k1",
}


def run(args: list[str], repo_root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=repo_root, capture_output=True, text=True, timeout=60, env={**os.environ, **env}
    )


def test_compose_config_is_valid(repo_root: Path) -> None:
    result = run([str(COMPOSE), "-f", "compose.yml", "config", "-q"], repo_root, ENV)
    assert result.returncode == 0, result.stderr
    services = run([str(COMPOSE), "-f", "compose.yml", "config", "--services"], repo_root, ENV)
    assert set(services.stdout.split()) >= {"postgres", "minio", "vault-migrate", "vault-api"}


def test_compose_refuses_to_start_without_secrets(repo_root: Path) -> None:
    result = run(
        [str(COMPOSE), "-f", "compose.yml", "config", "-q"], repo_root, {k: "" for k in ENV}
    )
    assert result.returncode != 0
    assert "is missing a value: set " in result.stderr


def test_compose_matches_the_compose_spec_schema(repo_root: Path) -> None:
    checker = Path(sys.prefix, "bin", "check-jsonschema")
    result = run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", "compose.yml"], repo_root, {}
    )
    assert result.returncode == 0, result.stdout + result.stderr
