"""The SDK is a package of its own: it installs alone in a fresh virtualenv (httpx and
pydantic only), works from there against the live API, and imports nothing of the server."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sdk.conftest import SDK_SRC

SERVER_PACKAGES = {"vault", "api", "signing", "ocr", "tests", "bench"}
SDK_ROOT = SDK_SRC.parent
# What `pip install citizen-vault-client` may bring: httpx and pydantic, and theirs.
ALLOWED_DISTRIBUTIONS = {
    "citizen-vault-client",
    "httpx",
    "httpcore",
    "h11",
    "anyio",
    "sniffio",
    "idna",
    "certifi",
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-extensions",
    "typing-inspection",
    "exceptiongroup",
}


def test_no_module_of_the_sdk_imports_a_server_package() -> None:
    offenders = []
    for path in sorted(SDK_SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            offenders += [
                f"{path.relative_to(SDK_SRC)}:{node.lineno} {name}"
                for name in names
                if name.split(".")[0] in SERVER_PACKAGES
            ]
    assert offenders == []


IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import vault_client
names = [m.name for m in pkgutil.walk_packages(vault_client.__path__, "vault_client.")]
for name in names:
    importlib.import_module(name)
loaded = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps({"modules": names, "loaded": loaded}))
"""


def test_importing_every_sdk_module_loads_no_server_package() -> None:
    # In the project's virtualenv the server packages *are* importable: what matters is that
    # the SDK never loads them.
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING],
        env={**os.environ, "PYTHONPATH": str(SDK_SRC)},
        cwd=SDK_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    report = json.loads(out.stdout)
    assert "vault_client.resources.documents" in report["modules"]
    assert SERVER_PACKAGES.isdisjoint(report["loaded"])


FRESH_CHECK = """
import importlib, importlib.metadata as md, importlib.util, json, pathlib, pkgutil, sys
import vault_client
from vault_client import VaultClient
for m in pkgutil.walk_packages(vault_client.__path__, "vault_client."):
    importlib.import_module(m.name)
absent = [p for p in ("vault", "api", "signing", "ocr", "fastapi", "sqlalchemy", "pyhanko")
          if importlib.util.find_spec(p) is not None]
with VaultClient() as client:  # from CITIZEN_VAULT_BASE_URL
    alive = client.health.alive().status
    keys = len(client.auth.jwks().keys)
try:
    from vault_client.verification import verify_pdf
    verify_pdf(b"%PDF-", [b""])
    extra = "no error"
except ImportError as exc:
    extra = str(exc)
names = {d.metadata["Name"].lower().replace("_", "-") for d in md.distributions()}
print(json.dumps({
    "distributions": sorted(names),
    "present": absent, "alive": alive, "keys": keys, "extra": extra,
    "file": vault_client.__file__,
    "typed": (pathlib.Path(vault_client.__file__).parent / "py.typed").exists(),
}))
"""


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_the_sdk_installs_alone_in_a_fresh_virtualenv(tmp_path: Path, live: str) -> None:
    # uv is in the dev lock file: ./scripts/test always has it next to the interpreter.
    uv = str(Path(sys.executable).with_name("uv"))
    assert Path(uv).exists(), "uv is missing from the project's virtualenv"
    venv = tmp_path / "venv"
    # --offline: uv's cache holds what the project's own install fetched (httpx, pydantic,
    # setuptools to build with), so the check needs no registry and takes seconds.
    subprocess.run([uv, "venv", "-q", str(venv), "--python", sys.executable], check=True)
    python = venv / "bin" / "python"
    # From a copy: building writes build/ and *.egg-info beside the sources.
    source = shutil.copytree(
        SDK_ROOT,
        tmp_path / "sdk",
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"),
    )
    subprocess.run(
        [uv, "pip", "install", "-q", "--offline", "--python", str(python), str(source)],
        check=True,
        timeout=300,
    )
    env = {"PATH": os.environ.get("PATH", ""), "CITIZEN_VAULT_BASE_URL": live}
    out = subprocess.run(
        [str(python), "-I", "-c", FRESH_CHECK],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert set(report["distributions"]) <= ALLOWED_DISTRIBUTIONS
    assert {"citizen-vault-client", "httpx", "pydantic"} <= set(report["distributions"])
    assert report["present"] == []
    assert report["file"].startswith(str(venv))  # the installed copy, not the source tree
    assert report["typed"]  # py.typed ships: type checkers use the SDK's annotations
    assert report["alive"] == "ok" and report["keys"] >= 1
    assert "citizen-vault-client[verify]" in report["extra"]


def test_the_verify_extra_allows_the_pyhanko_the_vault_pins() -> None:
    """`verify_pdf` is tested with the server's pyHanko; the extra must install that one."""
    import tomllib

    from packaging.requirements import Requirement

    extra = tomllib.loads((SDK_ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["verify"]
    (pyhanko,) = [Requirement(r) for r in extra if Requirement(r).name == "pyhanko"]
    lock = (SDK_ROOT.parent / "requirements.lock").read_text()
    pinned = next(
        line.split("==")[1].split()[0] for line in lock.splitlines() if line.startswith("pyhanko==")
    )
    assert pyhanko.specifier.contains(pinned), (str(pyhanko.specifier), pinned)
