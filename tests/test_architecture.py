"""The domain, the services and the storage never import the Telegram framework."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORK_FREE = [
    ROOT / "bot" / "domain",
    ROOT / "bot" / "services",
    ROOT / "bot" / "kb",
    ROOT / "bot" / "documents",
    ROOT / "storage",
    ROOT / "bot" / "config.py",
    ROOT / "bot" / "i18n.py",
]
HANDLERS_WITHOUT_SQL = [ROOT / "handlers"]


def _modules(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_services_and_storage_do_not_import_telegram() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            n for n in _imports(path) if n.split(".")[0] in ("telegram", "handlers")
        )
        for path in _modules(FRAMEWORK_FREE)
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"framework imports in the domain: {offenders}"
    assert len(_modules(FRAMEWORK_FREE)) > 10  # the scan did look at the code


def test_handlers_hold_no_sql() -> None:
    for path in _modules(HANDLERS_WITHOUT_SQL):
        imports = _imports(path)
        assert not {n for n in imports if n.split(".")[0] in ("aiosqlite", "sqlite3", "storage")}, (
            path
        )
        assert "SELECT " not in path.read_text(encoding="utf-8"), path


def test_no_work_at_import_time() -> None:
    """Importing the composition root builds nothing: settings are made in the entrypoint."""
    tree = ast.parse((ROOT / "bot" / "app.py").read_text(encoding="utf-8"))
    top_level_calls = [
        node
        for node in tree.body
        if isinstance(node, ast.Expr | ast.Assign)
        and isinstance(getattr(node, "value", None), ast.Call)
        and not (
            isinstance(node, ast.Assign)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id in ("getLogger", "timedelta")
        )
    ]
    names = [ast.unparse(n) for n in top_level_calls]
    assert all("getLogger" in n or "timedelta" in n for n in names), names
