"""The benchmarks are not run by the test suite (these machines are shared and noisy), but
they must not rot: every bench module imports, and every `_common.<name>` it uses exists."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from bench import _common

BENCH = Path(__file__).resolve().parent.parent / "bench"
MODULES = sorted(p.stem for p in BENCH.glob("*.py") if not p.stem.startswith("_"))


@pytest.mark.parametrize("name", MODULES)
def test_a_benchmark_imports_and_uses_only_what_its_helpers_have(name: str) -> None:
    module = importlib.import_module(f"bench.{name}")
    assert callable(getattr(module, "main", None)), f"bench/{name}.py has no main()"
    tree = ast.parse((BENCH / f"{name}.py").read_text(encoding="utf-8"))
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "_common"
    }
    missing = sorted(attr for attr in used if not hasattr(_common, attr))
    assert not missing, f"bench/{name}.py uses bench._common.{missing}, which does not exist"
