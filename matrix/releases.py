"""Released liquid-audio versions: list them, fetch their wheels once, unpack each into an overlay.

Everything goes through pip run *for the target interpreter* (``python -m pip``, or this
interpreter's pip with ``--python TARGET`` when the target has none), so pip's own configuration
(index, extra indexes, certificates, proxies) applies and only releases the target can run are seen.

Cache layout, under ``lfmdoctor.cache.cache_root() / "wheels"`` (``$LFMDOCTOR_CACHE``):
    liquid_audio-<version>-py3-none-any.whl     the wheels, as pip downloaded them
    releases.json                               the last release list read from the index
    overlays/<version>/liquid_audio/            each wheel unpacked (renamed into place when complete)
    index/<package>.json                        the last version list of a --with package (deps.py)
    provision/...                               extra packages for old releases and --with cells (overlay.py)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from lfmdoctor.bugs._spec import RELEASES
from lfmdoctor.cache import cache_root
from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.files import write_atomic

DISTRIBUTION = "liquid-audio"
LISTING_MAX_AGE_S = 24 * 3600
NETWORK_OPTIONS = ("--timeout", "20", "--retries", "1")

# (returncode, stdout, stderr); returncode None: timed out or could not start.
RunResult = tuple[int | None, str, str]
Runner = Callable[[list[str], float], RunResult]


class MatrixError(LfmdoctorError):
    """Bad input or an unusable index: one line, exit code 2."""


def run(argv: list[str], timeout: float) -> RunResult:
    # TMPDIR: pip's own temporaries go where the command's go (its private folder under the CLI), so that a
    # SIGTERM, which ends pip with SIGKILL, leaves none of them behind.
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", TMPDIR=tempfile.gettempdir())
    try:
        done = subprocess.run(
            argv, check=False, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, env=env
        )
    except subprocess.TimeoutExpired:
        return None, "", f"timed out after {timeout:g} s"
    except OSError as exc:
        return None, "", str(exc)
    return done.returncode, done.stdout, done.stderr


def wheel_cache() -> Path:
    return cache_root() / "wheels"


_NETWORK_TROUBLE = re.compile(
    r"NewConnectionError|ConnectTimeout|ReadTimeout|Failed to establish|Name or service not known"
    r"|Temporary failure in name resolution|Network is unreachable|SSLError|ProxyError"
)
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^\"')\]]+)")


def last_error(stderr: str) -> str:
    """The most telling line of pip's stderr: that the index cannot be reached (pip only warns about
    that, then says "No matching distribution"), else its last ERROR line, else its last line."""
    trouble = next((line for line in stderr.splitlines() if _NETWORK_TROUBLE.search(line)), None)
    if trouble is not None:
        errno = _ERRNO.search(trouble)
        cause = errno.group(1).strip() if errno else _NETWORK_TROUBLE.search(trouble).group(0)
        return f"the package index cannot be reached ({cause})"
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    line = (errors or lines or ["no output"])[-1]
    return line.removeprefix("ERROR:").strip()


def pip_command(python: str, runner: Runner = run) -> list[str]:
    """How to run pip for ``python``: its own pip, else this interpreter's pip pointed at it."""
    code, _, _ = runner([python, "-m", "pip", "--version"], 60)
    if code == 0:
        return [python, "-m", "pip"]
    return [sys.executable, "-m", "pip", "--python", python]


# --- versions -------------------------------------------------------------------------------------


def canonical(version: str) -> str:
    return str(Version(version))


def sort_versions(versions: Iterable[str]) -> list[str]:
    """Oldest first, one entry per version ("1.3" and "1.3.0" are one; the first spelling is kept)."""
    unique: dict[Version, str] = {}
    for version in versions:
        unique.setdefault(Version(version), canonical(version))
    return [unique[key] for key in sorted(unique)]


def parse_version_spec(spec: str) -> list[str] | None:
    """``--versions``: None for "all", else the listed versions (canonical, deduplicated, in order)."""
    text = spec.strip()
    if text.lower() == "all":
        return None
    chosen: list[str] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            version = canonical(part)
        except InvalidVersion:
            raise MatrixError(
                f"invalid version {part!r} in --versions; use 'all' or a comma-separated list like 1.0.0,1.3.0"
            ) from None
        if version not in chosen:
            chosen.append(version)
    if not chosen:
        raise MatrixError("--versions is empty; use 'all' or a comma-separated list like 1.0.0,1.3.0")
    return chosen


def versions_from_pip_text(stdout: str) -> list[str]:
    """``pip index versions`` without --json: "Available versions: 1.3.0, 1.2.0"."""
    for line in stdout.splitlines():
        if line.strip().startswith("Available versions:"):
            return [v.strip() for v in line.split(":", 1)[1].split(",") if v.strip()]
    return []


_FROM_VERSIONS = re.compile(r"\(from versions: ([^)]*)\)")


def versions_from_pip_error(stderr: str) -> list[str] | None:
    """pip's "(from versions: a, b)" when a requirement matched nothing; None if pip did not say."""
    match = _FROM_VERSIONS.search(stderr)
    if match is None:
        return None
    listed = match.group(1).strip()
    return [] if listed == "none" else [v.strip() for v in listed.split(",") if v.strip()]


# --- listing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    versions: list[str]  # oldest first
    source: str  # where the list came from, as a phrase


def query_index(pip: list[str], runner: Runner = run, distribution: str = DISTRIBUTION) -> list[str]:
    """Ask the index (through pip) for every release the target can install; MatrixError if it cannot."""
    base = [*pip, "index", "versions", distribution, "--pre", *NETWORK_OPTIONS]
    code, out, err = runner([*base, "--json"], 120)
    if code == 0:
        try:
            return sort_versions(json.loads(out.strip().splitlines()[-1])["versions"])
        except (ValueError, KeyError, IndexError, TypeError, InvalidVersion):
            pass
    if code not in (0, None) and "--json" in err:  # pip older than 25: no --json
        code, out, err = runner(base, 120)
        if code == 0 and versions_from_pip_text(out):
            return sort_versions(versions_from_pip_text(out))
    raise MatrixError(f"cannot list {distribution} releases from the package index: {last_error(err)}")


def cached_wheels(cache: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for wheel in sorted(cache.glob("liquid_audio-*.whl")) if cache.is_dir() else []:
        try:
            _, version, _, _ = parse_wheel_filename(wheel.name)
        except InvalidWheelFilename:
            continue
        found[str(version)] = wheel
    return found


def read_listing(cache: Path, name: str = "releases.json") -> tuple[list[str], float] | None:
    """A saved listing: (versions oldest first, when it was fetched); None if there is none."""
    try:
        data = json.loads((cache / name).read_text())
        return sort_versions(data["versions"]), float(data["fetched"])
    except (OSError, ValueError, KeyError, TypeError, InvalidVersion):
        return None


def write_listing(cache: Path, versions: list[str], now: float, name: str = "releases.json") -> None:
    (cache / name).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(cache / name, json.dumps({"versions": versions, "fetched": now}) + "\n")


def list_releases(
    pip: list[str], cache: Path, *, runner: Runner = run, refresh: bool = False, now: Callable[[], float] = time.time
) -> Listing:
    """A listing younger than a day is reused; else the index; else the last listing; else the built-in list."""
    saved = read_listing(cache)
    if saved and not refresh and now() - saved[1] < LISTING_MAX_AGE_S:
        return Listing(saved[0], "package index (listed within the last day, cached)")
    try:
        versions = query_index(pip, runner)
    except MatrixError as exc:
        if saved:
            day = time.strftime("%Y-%m-%d", time.localtime(saved[1]))
            return Listing(saved[0], f"cached package-index listing from {day} ({exc})")
        # the releases lfmdoctor knows (bugs/), used only to *list* when the index cannot be reached
        known = sort_versions([*RELEASES, *cached_wheels(cache)])
        return Listing(known, f"lfmdoctor's built-in list of known releases ({exc})")
    write_listing(cache, versions, now())
    return Listing(versions, "package index")


def match_version(version: str, known: Iterable[str]) -> str | None:
    """The entry of ``known`` equal to ``version`` as a version ("1.0" matches "1.0.0"), else None."""
    wanted = Version(version)
    return next((k for k in known if Version(k) == wanted), None)


def select_versions(
    spec: str, pip_for: Callable[[], list[str]], cache: Path, *, runner: Runner = run
) -> tuple[list[str], Listing | None]:
    """The releases ``--versions`` names, oldest first; the index is asked only when a wheel is missing."""
    wanted = parse_version_spec(spec)
    if wanted is None:
        listing = list_releases(pip_for(), cache, runner=runner)
        return listing.versions, listing
    cached = list(cached_wheels(cache))
    if all(match_version(v, cached) for v in wanted):
        return sort_versions(match_version(v, cached) or v for v in wanted), None
    listing = list_releases(pip_for(), cache, runner=runner)
    known = [*listing.versions, *cached]
    if any(match_version(v, known) is None for v in wanted):
        # A release may be newer than a cached listing: look again before calling it unknown.
        listing = list_releases(pip_for(), cache, runner=runner, refresh=True)
        known = [*listing.versions, *cached]
    unknown = [v for v in wanted if match_version(v, known) is None]
    if unknown:
        names = ", ".join(unknown)
        raise MatrixError(
            f"unknown {DISTRIBUTION} version{'s' if len(unknown) > 1 else ''} {names}; "
            f"known: {', '.join(sort_versions(known))} (from {listing.source})"
        )
    return sort_versions(match_version(v, known) or v for v in wanted), listing


# --- fetching and unpacking -----------------------------------------------------------------------


def fetch_wheel(version: str, pip_for: Callable[[], list[str]], cache: Path, *, runner: Runner = run) -> Path:
    """The release's wheel, downloaded into the cache on first use (never re-downloaded; pip is not
    even looked up when the wheel is cached)."""
    cached = cached_wheels(cache)
    hit = match_version(version, cached)
    if hit is not None:
        return cached[hit]
    pip = pip_for()
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=cache))
    try:
        argv = [
            *pip,
            "download",
            "--no-deps",
            "--only-binary=:all:",
            f"{DISTRIBUTION}=={version}",
            "-d",
            str(staging),
            *NETWORK_OPTIONS,
        ]
        code, _, err = runner(argv, 600)
        wheels = sorted(staging.glob("liquid_audio-*.whl"))
        if code != 0 or not wheels:
            listed = versions_from_pip_error(err)
            if listed:
                raise MatrixError(f"unknown {DISTRIBUTION} version {version}; known: {', '.join(sort_versions(listed))}")
            raise MatrixError(f"cannot download {DISTRIBUTION} {version} and it is not cached in {cache}: {last_error(err)}")
        target = cache / wheels[0].name
        os.replace(wheels[0], target)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def unpack(wheel: Path, version: str, cache: Path) -> Path:
    """``cache/overlays/<version>``, holding ``liquid_audio/`` and its dist-info; unpacked once, atomically."""
    dest = cache / "overlays" / version
    if (dest / "liquid_audio" / "__init__.py").is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=dest.parent))
    try:
        try:
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(staging)
        except (zipfile.BadZipFile, OSError) as exc:
            wheel.unlink(missing_ok=True)
            raise MatrixError(f"the cached wheel {wheel.name} is damaged ({exc}); it was removed, run again") from None
        if not (staging / "liquid_audio" / "__init__.py").is_file():
            raise MatrixError(f"{wheel.name} holds no liquid_audio package")
        if dest.exists():
            shutil.rmtree(dest)
        try:
            os.rename(staging, dest)
        except OSError:
            if not (dest / "liquid_audio" / "__init__.py").is_file():  # not another process's finished copy
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest
