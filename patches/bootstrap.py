"""Environments in which another interpreter runs liquid-audio patched: ``lfmdoctor exec``, verify, bench.

- runtime: a folder holding a generated ``sitecustomize.py`` goes first on PYTHONPATH. At start-up it
  loads ``runtime.py`` by path (lfmdoctor need not be installed in that interpreter), arms its
  post-import hook (the fixes go in when ``liquid_audio`` is imported: nothing else is imported
  early), then runs the ``sitecustomize`` it shadows, if there is one.
- source: a copy of the interpreter's ``liquid_audio`` with the stored diff applied, first on
  PYTHONPATH; cached by the content of the copied package. The install itself is only read.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from lfmdoctor.cache import cache_root
from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.files import write_atomic
from lfmdoctor.patches.runtime import VERBOSE_ENV
from lfmdoctor.pythonpath import prepend

RUNTIME_FILE = Path(__file__).resolve().with_name("runtime.py")
CALLSITE_FILE = RUNTIME_FILE.with_name("callsite.py")  # the call-site helpers, which children load by path too

SITECUSTOMIZE = '''\
"""Written by lfmdoctor (lfmdoctor exec): fix liquid-audio at runtime when it is imported."""


def _lfmdoctor_runtime_patch():
    import importlib.util
    import sys

    name = "_lfmdoctor_runtime_patch"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, {runtime!r})
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    module.install_import_hook()


def _lfmdoctor_chain():
    """Run the sitecustomize this file shadows, as Python would have."""
    import importlib.machinery
    import importlib.util
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


try:
    _lfmdoctor_runtime_patch()
except Exception as exc:  # never stop the interpreter from starting
    import warnings

    warnings.warn(f"lfmdoctor runtime patch not installed: {{type(exc).__name__}}: {{exc}}")
_lfmdoctor_chain()
'''


def runtime_bootstrap() -> Path:
    """The folder to put first on PYTHONPATH (written once per lfmdoctor location, atomically)."""
    text = SITECUSTOMIZE.format(runtime=str(RUNTIME_FILE))
    folder = cache_root() / "runtime" / hashlib.sha256(text.encode()).hexdigest()[:16]
    target = folder / "sitecustomize.py"
    if target.is_file() and target.read_text() == text:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(target, text)
    return folder


def _tree_digest(package_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class NoSourcePatch(LfmdoctorError, LookupError):
    """The source strategy cannot run here (one line)."""


def source_overlay(package_dir: Path, version: str | None = None) -> Path:
    """A folder holding a patched copy of ``package_dir`` as ``liquid_audio`` (PYTHONPATH entry)."""
    from lfmdoctor.patches import source, stored

    key = hashlib.sha256(_tree_digest(package_dir).encode())
    for patch in stored.stored_patches():
        key.update(patch.text.encode())
    root = cache_root() / "source-overlays" / key.hexdigest()[:16]
    if (root / "liquid_audio" / "__init__.py").is_file():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".overlay-", dir=root.parent))
    try:
        _, copy_plan = source.patched_copy(package_dir, staging, version)
        if copy_plan.state == source.CONFLICT:
            raise NoSourcePatch(copy_plan.detail)
        if root.exists():
            shutil.rmtree(root)
        os.rename(staging, root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root


def exec_environment(base: Mapping[str, str], *, verbose: bool = False) -> dict[str, str]:
    """``base`` with the runtime bootstrap first on PYTHONPATH (``lfmdoctor exec``)."""
    env = prepend([runtime_bootstrap()], base)
    if verbose:
        env[VERBOSE_ENV] = "1"
    return env


def strategy_environment(strategy: str, python: str) -> Mapping[str, str]:
    """Extra environment for a child of ``python`` that should run with ``strategy`` active.

    PYTHONPATH is meant to go *before* the inherited one. LookupError when it cannot be provided
    (unknown strategy; source: no stored patch fits the installed files).
    """
    try:
        if strategy == "runtime":
            return {"PYTHONPATH": str(runtime_bootstrap())}
        if strategy == "source":
            from lfmdoctor.patches.source import locate

            package_dir, version = locate(python)
            return {"PYTHONPATH": str(source_overlay(package_dir, version))}
    except OSError as exc:
        raise LookupError(f"cannot prepare it in {cache_root()} ({exc})") from None
    raise LookupError(f"no environment for strategy {strategy!r}; lfmdoctor.patches provides runtime and source")


def strategy_in_worker(strategy: str, python: str) -> dict[str, str]:
    """What the repro worker needs to put ``strategy`` ("runtime" or "source") in place in a forked child of its
    own (``repro.engine.Run``): the runtime fix to arm, or the patched copy to import; and the PYTHONPATH entry
    for the fresh interpreters a case may need. LookupError as ``strategy_environment``."""
    entry = strategy_environment(strategy, python)["PYTHONPATH"]
    if strategy == "runtime":
        return {"pythonpath": entry, "runtime_file": str(RUNTIME_FILE)}
    return {"pythonpath": entry, "source_path": entry}
