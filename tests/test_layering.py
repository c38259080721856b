"""The import layering between the engines' folders.

patches depends on repro (``lfmdoctor patch verify`` re-runs the reproductions with each fix active), never
the reverse: no module under ``repro/`` imports ``lfmdoctor.patches``, at module level or inside a function.
The reproduction engine receives what a fix needs (the call-site helpers' file, a PYTHONPATH entry) from
its caller instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path, package: str) -> set[str]:
    """Every module ``path`` imports anywhere in its code (``package``: its own, for relative imports), as
    dotted names; ``from a import b`` counts as ``a`` and ``a.b``, ``import_module("x")`` as ``x``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module":
            found |= {arg.value for arg in node.args[:1] if isinstance(arg, ast.Constant) and isinstance(arg.value, str)}
    return found


def test_a_from_import_counts_its_names_and_relative_imports_resolve(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from lfmdoctor import patches\n    from ..patches import verify\n")
    assert {"lfmdoctor.patches", "lfmdoctor.patches.verify"} <= imported_modules(source, "lfmdoctor.repro")


def test_repro_never_imports_patches():
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted((ROOT / "repro").rglob("*.py"))
        for name in imported_modules(path, "lfmdoctor.repro")
        if name == "lfmdoctor.patches" or name.startswith("lfmdoctor.patches.")
    }
    assert not offenders, sorted(offenders)
