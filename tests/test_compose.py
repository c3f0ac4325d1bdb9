"""compose.yml is valid for Docker Compose (no engine runs here, so it is checked offline)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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
    "VAULT_TOKEN_SIGNING_KEYS": '{"t1": "pem"}',
    "VAULT_ACTIVE_TOKEN_KEY_ID": "t1",
    "VAULT_SIGNER_CLIENT_TOKEN": "token",
    "VAULT_SIGNER_TSA_URL": "http://tsa.example",
    "VAULT_PUBLIC_BASE_URL": "https://vault.example.gov.vn",
    "VAULT_HSM_PIN": "1234",
    "VAULT_SIGNING_PIN_PEPPER": "pepper-of-sixteen-bytes",
    "VAULT_SIGNING_CLIENTS": "{}",
}


def run(args: list[str], repo_root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=repo_root, capture_output=True, text=True, timeout=60, env={**os.environ, **env}
    )


def test_compose_config_is_valid(repo_root: Path) -> None:
    result = run([str(COMPOSE), "-f", "compose.yml", "config", "-q"], repo_root, ENV)
    assert result.returncode == 0, result.stderr
    services = run([str(COMPOSE), "-f", "compose.yml", "config", "--services"], repo_root, ENV)
    assert set(services.stdout.split()) >= {
        "postgres",
        "minio1",
        "vault-migrate",
        "vault-api",
        "ocr-worker",
        "signing",
        "lb",
    }


def _config(repo_root: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = run(
        [str(COMPOSE), "-f", "compose.yml", *args, "config", "--format", "json"],
        repo_root,
        {**ENV, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def test_the_stack_has_the_production_shape(repo_root: Path) -> None:
    services = _config(repo_root)["services"]

    # MinIO: four nodes in one erasure-coded set (two drives each), each on volumes of its own.
    nodes = [services[f"minio{i}"] for i in range(1, 5)]
    for i, node in enumerate(nodes, 1):
        assert "http://minio{1...4}/data{1...2}" in node["command"]
        assert {v["target"] for v in node["volumes"]} == {"/data1", "/data2"}
        assert {v["source"] for v in node["volumes"]} == {f"minio{i}-data1", f"minio{i}-data2"}
    bucket_job = " ".join(services["minio-bucket"]["entrypoint"])
    assert "--with-versioning" in bucket_job and "mc version enable" in bucket_job

    # The API: two replicas behind one published port (the load balancer's).
    api = services["vault-api"]
    assert api["deploy"]["replicas"] == 2 and "ports" not in api
    assert [p["published"] for p in services["lb"]["ports"]] == ["8000"]
    nginx = _config(repo_root)["configs"]["nginx"]["content"]
    assert "server vault-api:8000;" in nginx
    assert all(f"server minio{i}:9000;" in nginx for i in range(1, 5))
    assert api["environment"]["VAULT_S3_ENDPOINT"] == "lb:9000"
    assert api["depends_on"]["vault-migrate"]["condition"] == "service_completed_successfully"

    # OCR workers scaled by replicas, outside the API; the API runs none of its own.
    assert services["ocr-worker"]["command"][:2] == ["vault", "worker"]
    assert "--metrics-port" in services["ocr-worker"]["command"]  # each replica is scraped
    assert services["ocr-worker"]["deploy"]["replicas"] == 2
    assert api["environment"]["VAULT_OCR_WORKER_EMBEDDED"] == "false"

    # The signing service: SoftHSM2 by default with its token store on a volume.
    signing = services["signing"]
    assert signing["command"][:2] == ["vault", "signing-serve"]
    assert signing["environment"]["VAULT_SIGNING_PKCS11_LIBRARY"] == (
        "/usr/lib/softhsm/libsofthsm2.so"
    )
    assert any(
        (v["source"], v["target"]) == ("signing-tokens", "/var/lib/softhsm/tokens")
        for v in signing["volumes"]
    )
    assert api["environment"]["VAULT_SIGNER_SERVICE_URL"] == "http://signing:8010"

    # Every long-running service says whether it is healthy.
    one_shots = {"minio-bucket", "vault-migrate"}
    for name, service in services.items():
        if name not in one_shots:
            assert "healthcheck" in service and service["healthcheck"]["test"], name


def test_a_real_hsm_and_the_replica_counts_are_configuration(repo_root: Path) -> None:
    services = _config(
        repo_root,
        env={
            "VAULT_PKCS11_LIBRARY": "/opt/hsm/lib/libvendor-pkcs11.so",
            "VAULT_API_REPLICAS": "4",
            "VAULT_OCR_REPLICAS": "6",
        },
    )["services"]
    library = services["signing"]["environment"]["VAULT_SIGNING_PKCS11_LIBRARY"]
    assert library == "/opt/hsm/lib/libvendor-pkcs11.so"
    assert services["vault-api"]["deploy"]["replicas"] == 4
    assert services["ocr-worker"]["deploy"]["replicas"] == 6


def test_backup_and_restore_are_operations_on_their_own_volume(repo_root: Path) -> None:
    plain = _config(repo_root)["services"]
    assert "backup" not in plain and "restore" not in plain  # not started by `up`
    services = _config(repo_root, "--profile", "ops")["services"]
    backup, restore = services["backup"], services["restore"]
    assert "vault backup /backups/vault-" in " ".join(backup["entrypoint"]).replace('"', "")
    assert "vault restore" in " ".join(restore["entrypoint"])
    assert [v["source"] for v in backup["volumes"]] == ["backups"]
    assert restore["volumes"][0]["read_only"] is True
    # The master keys come from the environment, never from the backup volume.
    assert "VAULT_MASTER_KEYS" in restore["environment"]


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
