"""Lay a release over the target interpreter (PYTHONPATH) and, with --provision, the packages it needs.

Releases <= 1.1.0 import ``Lfm2HybridConvCache`` from transformers at module level; transformers 5
removed it. ``--provision`` resolves ``transformers==4.57.*`` with pip *against the target
environment* (``pip install --dry-run --report``: pip picks the huggingface-hub and tokenizers that
transformers 4.57 needs, leaving everything the target already satisfies alone), then installs exactly
those pins with ``--no-deps --target`` into a cache folder that goes on the overlay path after the
release. The target environment itself is never modified. ``--with`` cells (``lfmdoctor.matrix.cells``)
go through the same ``ensure_packages`` with their own pins.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from lfmdoctor import child_protocol
from lfmdoctor.diagnose.check import imports_removed_cache_class
from lfmdoctor.files import TEMPORARIES, write_atomic
from lfmdoctor.matrix.releases import NETWORK_OPTIONS, MatrixError, Runner, last_error, run
from lfmdoctor.pythonpath import prepend

IMPORT_CHECK = Path(__file__).with_name("import_check_child.py")
PROVISION_SPEC = "transformers==4.57.*"
MANIFEST = "lfmdoctor-provision.json"


def transformers_major(version: str | None) -> int | None:
    try:
        return Version(version).major if version else None
    except InvalidVersion:
        return None


def removed_cache_import(package_dir: Path, transformers: str | None) -> int | None:
    """Line of the release's module-level ``Lfm2HybridConvCache`` import when the target's transformers
    (>= 5) no longer has it; None when the release imports fine in that respect."""
    line = imports_removed_cache_class(package_dir)
    major = transformers_major(transformers)
    return line if line is not None and major is not None and major >= 5 else None


def cannot_import_reason(version: str, line: int, hint: str = "use --provision") -> str:
    return (
        f"liquid-audio {version} imports Lfm2HybridConvCache (model/lfm2_audio.py:{line}), removed in transformers 5 ({hint})"
    )


@dataclass(frozen=True)
class ImportFacts:
    location: str | None  # where liquid_audio resolves
    liquid_audio: str | None  # the distribution version that path sees
    transformers: str | None
    transformers_location: str | None
    error: str | None  # first line of the import error, or why the check itself failed


def check_import(python: str, paths: Sequence[Path], *, import_it: bool = True, timeout: float = 180) -> ImportFacts:
    """Locate (and, with ``import_it``, import) ``liquid_audio`` in a child of the target interpreter
    with ``paths`` laid over it."""
    argv = [python, str(IMPORT_CHECK)] + ([] if import_it else ["--no-import"])
    try:
        done = subprocess.run(
            argv,
            check=False,
            capture_output=True,
            text=True,
            errors="replace",  # an interpreter may say things in its locale's bytes (a non-UTF-8 .pth), as check allows
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env=prepend(paths),
        )
    except subprocess.TimeoutExpired:
        return ImportFacts(None, None, None, None, f"import liquid_audio took over {timeout:g} s")
    except OSError as exc:
        return ImportFacts(None, None, None, None, f"cannot run {python}: {exc}")
    found = child_protocol.records(done.stdout, "import")
    if not found:
        return ImportFacts(None, None, None, None, f"the import check crashed: {last_error(done.stderr)}")
    facts = found[-1]
    return ImportFacts(
        facts.get("location"),
        facts.get("liquid_audio"),
        facts.get("transformers"),
        facts.get("transformers_location"),
        facts.get("error"),
    )


def ensure_bytecode(python: str, overlay: Path, python_version: str, *, runner: Runner = run) -> bool:
    """Byte-compile the release in the overlay with the target interpreter, once per Python version.

    pip compiles a wheel when it installs it; an unpacked overlay has no ``__pycache__``, and where the
    interpreter may not write one (``PYTHONDONTWRITEBYTECODE``, a read-only cache) every run would
    compile liquid-audio's sources again. True when the bytecode is (now) there; a failure only costs speed.
    """
    marker = overlay / f".lfmdoctor-bytecode-{python_version}"
    if marker.is_file():
        return True
    code, _, _ = runner([python, "-m", "compileall", "-q", str(overlay / "liquid_audio")], 300)
    if code != 0:
        return False
    try:
        marker.touch()
    except OSError:
        return False
    return True


def resolves_inside(location: str | None, overlay: Path) -> bool:
    if not location:
        return False
    try:
        return Path(location).resolve() == (overlay / "liquid_audio").resolve()
    except OSError:
        return False


# --- provisioning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Provision:
    path: Path | None  # folder for PYTHONPATH; None when the target already has everything
    pins: list[str]  # "transformers==4.57.6", ...


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def normalise_name(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def pins_from_report(report: dict, drop: Sequence[str] = ()) -> list[str]:
    """``pip install --report`` JSON -> sorted "name==version" pins of what pip would install (less ``drop``)."""
    dropped = {normalise_name(name) for name in drop}
    pins = []
    for item in report.get("install", []):
        meta = item.get("metadata", {})
        if meta.get("name") and meta.get("version") and normalise_name(meta["name"]) not in dropped:
            pins.append(f"{normalise_name(meta['name'])}=={meta['version']}")
    return sorted(pins)


def provision_dir_name(pins: Sequence[str], label: str = "transformers-4.57") -> str:
    """ "<label>-<hash of the exact pins>": one folder per distinct resolution."""
    digest = hashlib.sha256("\n".join(sorted(pins)).encode()).hexdigest()[:8]
    return f"{label}-{digest}"


def _resolve_pins(
    pip: list[str], runner: Runner, scratch: Path, requirements: Sequence[str], what: str, find_links: Sequence[Path]
) -> dict:
    report = scratch / "report.json"
    links = [arg for folder in find_links for arg in ("--find-links", str(folder))]
    argv = [
        *pip,
        "install",
        "--dry-run",  # not --quiet: pip names the conflicting requirements only at its normal verbosity
        "--only-binary=:all:",
        "--report",
        str(report),
        *links,
        *requirements,
        *NETWORK_OPTIONS,
    ]
    code, out, err = runner(argv, 600)
    data = _read_json(report) if code == 0 else None
    if data is None:
        why = conflict(out + "\n" + err) or last_error(err)
        raise MatrixError(f"{what} cannot resolve {' '.join(requirements)} for this interpreter: {why}")
    return data


def conflict(output: str) -> str | None:
    """pip's "The conflict is caused by:" block as one line, e.g. "conflict: The user requested
    transformers==4.50.3; liquid-audio 1.3.0 depends on transformers>=4.55.4"; None if pip gave none."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line.strip() == "The conflict is caused by:":
            causes = []
            for cause in lines[index + 1 :]:
                if not cause.startswith((" ", "\t")) or not cause.strip():
                    break
                causes.append(cause.strip())
            if causes:
                return "conflict: " + "; ".join(causes)
    return None


# One lock per cache folder being written: cells built in parallel may resolve to the same packages.
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock(key: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


_DISTRIBUTIONS = (
    "import os, sys; print('\\n'.join(sorted(n for p in sys.path if os.path.isdir(p) for n in os.listdir(p) "
    "if n.endswith('.dist-info'))))"
)


def target_state(python: str) -> str:
    """A fingerprint of the distributions (names and versions) the target interpreter sees: a resolution made
    against them holds only while it is unchanged."""
    code, out, _ = run([python, "-c", _DISTRIBUTIONS], 60)
    return hashlib.sha256(out.encode()).hexdigest()[:16] if code == 0 else ""


def ensure_packages(
    python: str,
    requirements: Sequence[str],
    pip_for: Callable[[], list[str]],
    cache: Path,
    *,
    record: str,
    label: str,
    what: str,
    drop: Sequence[str] = (),
    find_links: Sequence[Path] = (),
    runner: Runner = run,
    check: Callable[[list[str]], None] | None = None,
) -> Provision:
    """What ``requirements`` need beyond the target's packages, installed once into ``cache/provision``.

    pip resolves ``requirements`` *against the target environment* (``pip install --dry-run --report``:
    whatever the target already satisfies is left alone), then exactly those pins, less ``drop``, are
    installed with ``--no-deps --target`` into a folder named after them. The resolution is remembered
    under ``record``, so a second run neither asks the index nor runs pip (``pip_for`` is only called
    when pip is needed). ``check`` may refuse the pins (MatrixError). MatrixError names ``what`` failed.
    """
    root = cache / "provision"
    root.mkdir(parents=True, exist_ok=True)
    record_path = root / record
    state = target_state(python)
    saved = _read_json(record_path)
    if saved and saved.get("target") != state:
        saved = None  # resolved against packages the target no longer has (an upgrade, an extra installed since)
    if saved and saved.get("dir") is None and isinstance(saved.get("pins"), list) and not saved["pins"]:
        return Provision(None, [])
    if saved and (root / str(saved.get("dir")) / MANIFEST).is_file():
        return Provision(root / saved["dir"], list(saved["pins"]))
    pip = pip_for()
    scratch = Path(tempfile.mkdtemp(prefix=".provision-", dir=root))
    TEMPORARIES.add(scratch)  # removed on SIGTERM too: pip's download can be 100 MB and more
    try:
        pins = pins_from_report(_resolve_pins(pip, runner, scratch, requirements, what, find_links), drop)
        if check is not None:
            check(pins)
        dest = root / provision_dir_name(pins, label) if pins else None
        if dest is not None:
            with _lock(str(dest)):
                if not (dest / MANIFEST).is_file():
                    _install(pip, runner, pins, scratch / "site", dest, requirements, what)
        saved_dir = dest.name if dest is not None else None
        with _lock(str(record_path)):
            saved = {
                "python": os.path.abspath(python),
                "target": state,
                "requirements": list(requirements),
                "dir": saved_dir,
                "pins": pins,
            }
            write_atomic(record_path, json.dumps(saved) + "\n")
        return Provision(dest, pins)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        TEMPORARIES.discard(scratch)


def _install(pip: list[str], runner: Runner, pins: list[str], site: Path, dest: Path, spec: Sequence[str], what: str) -> None:
    argv = [*pip, "install", "--quiet", "--no-deps", "--only-binary=:all:", "--target", str(site), *pins, *NETWORK_OPTIONS]
    code, _, err = runner(argv, 900)
    if code != 0:
        raise MatrixError(f"{what} could not install {', '.join(pins)}: {last_error(err)}")
    (site / MANIFEST).write_text(json.dumps({"spec": list(spec), "pins": pins}, indent=2) + "\n")
    if dest.exists():  # a folder left without its manifest by an interrupted run
        shutil.rmtree(dest)
    try:
        os.rename(site, dest)
    except OSError:
        if not (dest / MANIFEST).is_file():
            raise


def ensure_provision(python: str, pip_for: Callable[[], list[str]], cache: Path, *, runner: Runner = run) -> Provision:
    """transformers 4.57 and what it needs beyond the target's packages, installed once into the cache
    (``--provision``); remembered per target interpreter."""

    def needs_transformers(pins: list[str]) -> None:
        if not any(pin.startswith("transformers==") for pin in pins):
            raise MatrixError(f"--provision: pip resolved no transformers for {PROVISION_SPEC} ({', '.join(pins)})")

    target_key = hashlib.sha256(os.path.abspath(python).encode()).hexdigest()[:12]
    return ensure_packages(
        python,
        [PROVISION_SPEC],
        pip_for,
        cache,
        record=f"target-{target_key}.json",
        label="transformers-4.57",
        what="--provision",
        runner=runner,
        check=needs_transformers,
    )
