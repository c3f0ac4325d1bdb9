"""OCR's tables are reached only through `ocr.db`: no other module of the package imports
SQLAlchemy or the vault's database layer (an annotation under TYPE_CHECKING aside)."""

from __future__ import annotations

import ast
from pathlib import Path

import ocr

FORBIDDEN = ("sqlalchemy", "vault.db")


def _runtime_imports(tree: ast.Module) -> list[str]:
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.extend(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                found.append(child.module)
            visit(child)

    visit(tree)
    return found


def test_only_ocr_db_touches_the_database() -> None:
    root = Path(ocr.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).parts[0] == "db":
            continue
        for module in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if any(module == f or module.startswith(f + ".") for f in FORBIDDEN):
                offenders.append(f"{path.relative_to(root)}: {module}")
    assert offenders == []
