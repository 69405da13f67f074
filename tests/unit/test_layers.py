"""Dependencies point inward: the domain imports no grpc, no database driver, no adapters."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DRIVERS = ("grpc", "grpc_health", "grpc_reflection", "sqlite3", "psycopg", "asyncpg", "redis")

RULES = [
    ("detectors", ("service", *DRIVERS, "structlog")),
    ("service/domain", ("service.rpc", "service.storage", "service.api", "service.bootstrap",
                        "service.cli", *DRIVERS)),
    ("service/storage", ("service.rpc", "service.api", "grpc")),
]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize(("package", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_package_does_not_import_outer_layers(package, forbidden):
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []
