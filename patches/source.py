"""The source strategy: apply / revert the stored diff to an installed ``liquid_audio``.

``plan`` reads the files and decides, without writing: which release they are (sha256 of the
originals the stored patch records, never the version string), and whether the patch is applicable,
already applied, partly applied (an older lfmdoctor's patch counts as partly applied: apply brings it up to
date, revert restores the release's files from the backup), not needed (no stored patch fits and the static detectors find no
known bug) or in conflict (files that are neither the release's nor the patched ones: nothing is
written; a file changed after lfmdoctor patched it is a conflict too). ``apply_plan`` and ``revert_plan``
then write: a backup of every file apply replaces (in the lfmdoctor cache, keyed by path and sha256), and
the changed files as one: the whole package folder is built beside the original, each result
sha256-checked, and the two folders are exchanged in one atomic step (``lfmdoctor.files.exchange``). A kill at
any moment leaves the old package or the new one, never a mix; ``recover`` removes what an interrupted write left.
Where the file system has no such exchange (NFS, some overlayfs), each changed file is renamed into place instead:
the package is never missing for a process importing it meanwhile. A file that is a link (uv links files into its
shared cache) is replaced by a file, never written through; a file edited after ``plan`` read it (while a prompt
waited) is never overwritten. ``preview`` says what either would do without writing.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lfmdoctor.cache import cache_root
from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.files import TEMP_SUFFIX, exchange, pinned, staging_sibling, stale_siblings, write_atomic
from lfmdoctor.patches.stored import StoredPatch, sha256, stored_patches
from lfmdoctor.patches.unidiff import PatchMismatch, apply
from lfmdoctor.results import PatchFile, PatchResult

APPLICABLE = "applicable"
APPLIED = "already applied"
PARTIAL = "partly applied"
NOT_NEEDED = "not needed"
CONFLICT = "conflict"


class NoPackage(LfmdoctorError, LookupError):
    """The interpreter imports no liquid_audio (one line)."""


def locate(python: str) -> tuple[Path, str | None]:
    """The ``liquid_audio`` folder ``python`` imports (PYTHONPATH respected) and its metadata's version."""
    from lfmdoctor.matrix.overlay import check_import

    facts = check_import(python, [], import_it=False, timeout=120)
    if facts.location is None:
        why = facts.error or "no liquid_audio package on its path"
        raise NoPackage(f"{python} cannot import liquid_audio ({why}); install liquid-audio there or pass --python")
    return Path(facts.location), facts.liquid_audio


class NotWritable(LfmdoctorError):
    """A file or folder the patch must write is read-only (one line)."""


class SourcePatchError(LfmdoctorError):
    """Writing failed part-way (everything written was rolled back) or a result did not verify."""


@dataclass
class Plan:
    package_dir: Path
    version: str | None  # what the distribution metadata says, shown only
    state: str  # APPLICABLE, APPLIED, PARTIAL, NOT_NEEDED or CONFLICT
    patch: StoredPatch | None
    files: list[PatchFile]
    detail: str
    current: dict[str, bytes] = field(default_factory=dict)  # package path -> bytes on disk

    def result(self, action: str, outcome: str, detail: str | None = None, backup: Path | None = None) -> PatchResult:
        from lfmdoctor.diagnose.detectors import detect_all

        return PatchResult(
            action=action,
            outcome=outcome,
            package_dir=str(self.package_dir),
            version=self.version,
            release=self.patch.release if self.patch else None,
            patch=self.patch.name if self.patch else None,
            files=self.files,
            fixes=list(self.patch.fixes) if self.patch else [],
            detail=detail or self.detail,
            backup_dir=str(backup) if backup else None,
            present=[finding.id for finding in detect_all(self.package_dir) if finding.present],
        )


EARLIER = "patched earlier"  # a file as an older lfmdoctor's patch wrote it


def file_state(data: bytes | None, patch: StoredPatch, path: str) -> str:
    """ "original", "patched", "patched earlier", "differs" or "missing", for one file against one stored patch."""
    if data is None:
        return "missing"
    if sha256(data) == patch.originals[path]:
        return "original"
    if sha256(data) in patch.earlier.get(path, ()):
        return EARLIER
    try:
        unpatched = apply(data.decode("utf-8"), patch.diffs[path], reverse=True)
    except (PatchMismatch, UnicodeDecodeError):
        return "differs"
    return "patched" if sha256(unpatched.encode("utf-8")) == patch.originals[path] else "differs"


def _read(package_dir: Path, paths: set[str]) -> dict[str, bytes]:
    found = {}
    for path in sorted(paths):
        try:
            found[path] = (package_dir / path).read_bytes()
        except FileNotFoundError:
            continue
    return found


def _states(patch: StoredPatch, current: dict[str, bytes]) -> dict[str, str]:
    return {path: file_state(current.get(path), patch, path) for path in patch.paths}


def _files(patch: StoredPatch, states: dict[str, str], current: dict[str, bytes]) -> list[PatchFile]:
    return [PatchFile(path, states[path], sha256(current[path]) if path in current else None) for path in patch.paths]


def _body(patch: StoredPatch) -> str:
    return patch.text.split("\ndiff --git", 1)[1]


def _choose(candidates: list[StoredPatch], version: str | None) -> StoredPatch:
    """Releases with byte-identical files share one patch text; prefer the one the metadata names."""
    return next((p for p in candidates if p.release == version), candidates[-1])


def plan(package_dir: Path, version: str | None = None) -> Plan:
    package_dir = Path(package_dir)
    patches = stored_patches()
    current = _read(package_dir, {path for p in patches for path in p.paths})
    states = {p.release: _states(p, current) for p in patches}
    candidates = [p for p in patches if all(s in ("original", "patched", EARLIER) for s in states[p.release].values())]
    if candidates:
        patch = _choose(candidates, version)
        st = states[patch.release]
        named = " / ".join(p.release for p in candidates if _body(p) == _body(patch))
        state, detail = _fitting(package_dir, patch, st, named)
        return Plan(package_dir, version, state, patch, _files(patch, st, current), detail, current)
    return _without_patch(package_dir, version, patches, states, current)


def _fitting(package_dir: Path, patch: StoredPatch, st: dict[str, str], named: str) -> tuple[str, str]:
    """(state, detail) of files that are the release's, patched, or patched by an older lfmdoctor. An older
    patch is updatable only while the backup of the release's file is kept."""
    kinds = set(st.values())
    older = [path for path, state in st.items() if state == EARLIER]
    lost = [path for path in older if not backup_path(package_dir / path, patch.originals[path]).is_file()]
    if lost:
        return CONFLICT, (
            f"an earlier lfmdoctor patched {', '.join(lost)} here and the backup of the release's files is gone; "
            f"nothing written: pip install --force-reinstall liquid-audio=={patch.release}, then lfmdoctor patch apply"
        )
    if older:
        return PARTIAL, (
            f"liquid-audio {named} with an earlier lfmdoctor's patch in {', '.join(older)}: 'lfmdoctor patch apply' "
            "brings it up to date, 'lfmdoctor patch revert' restores the release's files"
        )
    if kinds == {"original"}:
        return APPLICABLE, f"files are liquid-audio {named}'s; the patch fixes {', '.join(patch.fixes)}"
    if kinds == {"patched"}:
        return APPLIED, f"liquid-audio {named} with lfmdoctor's source patch already applied"
    return PARTIAL, f"liquid-audio {named} with the patch applied to some files only"


def _without_patch(
    package_dir: Path,
    version: str | None,
    patches: tuple[StoredPatch, ...],
    states: dict[str, dict[str, str]],
    current: dict[str, bytes],
) -> Plan:
    from lfmdoctor.diagnose.detectors import detect_all

    findings = detect_all(package_dir)
    present = [finding.id for finding in findings if finding.present]
    if not present and all(finding.present is None for finding in findings):
        present = ["(none recognisable: the source checks cannot read these files)"]
    closest = next((p for p in patches if p.release == version), None) or max(
        patches, key=lambda p: sum(s in ("original", "patched") for s in states[p.release].values())
    )
    st = states[closest.release]
    files = _files(closest, st, current)
    edited = _edited_after_patch(package_dir, patches, states, version)
    if edited:
        path, patch = edited
        kept = backup_path(package_dir / path, patch.originals[path]).parent
        return Plan(
            package_dir,
            version,
            CONFLICT,
            patch,
            _files(patch, states[patch.release], current),
            f"{path} was changed after lfmdoctor patched liquid-audio {patch.release} here (the release's files "
            f"are kept in {kept}); nothing written: undo the edit, or reinstall with "
            f"pip install --force-reinstall liquid-audio=={patch.release}",
        )
    if not present:
        return Plan(
            package_dir,
            version,
            NOT_NEEDED,
            None,
            files,
            "no stored patch fits these files and the source checks find none of the known bugs in them",
        )
    odd = [f"{path} ({state})" for path, state in st.items() if state in ("differs", "missing")]
    unknown = ""
    if version not in (None, closest.release):
        unknown = f"liquid-audio {version} is a release lfmdoctor has no stored patch for; "
    return Plan(
        package_dir,
        version,
        CONFLICT,
        closest,
        files,
        f"{unknown}the installed files differ from liquid-audio {closest.release}'s and from the patched ones: "
        f"{', '.join(odd)}; they still have {', '.join(present)}; nothing written (use the runtime patch: "
        "lfmdoctor exec -- python your_script.py)",
    )


def _edited_after_patch(
    package_dir: Path, patches: tuple[StoredPatch, ...], states: dict[str, dict[str, str]], version: str | None
) -> tuple[str, StoredPatch] | None:
    """(path, patch) of a file that differs from both the release's and the patched one, where lfmdoctor's
    backup of the release's file shows that lfmdoctor patched it here: a hand edit after a patch. Not where the
    metadata names another release: that is an upgrade (or a downgrade) since the patch, not an edit."""
    for patch in reversed(patches):
        if version is not None and version != patch.release:
            continue
        for path, state in states[patch.release].items():
            if state == "differs" and backup_path(package_dir / path, patch.originals[path]).is_file():
                return path, patch
    return None


# --- writing ------------------------------------------------------------------------------------


def _read_only(path: Path) -> bool:
    """No write permission, or no write bit at all (honoured even for root, who ignores permissions)."""
    mode = path.stat().st_mode
    return not os.access(path, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def check_writable(package_dir: Path, paths: list[str]) -> None:
    """Refuse read-only files or folders of the change, a read-only folder the package is in (the changed
    package is built there and swapped in), and any immutable or append-only file of the package (the old
    folder could not be removed, and the flag would be lost)."""
    for target in [package_dir, *sorted(package_dir.rglob("*"))]:
        flag = pinned(target)
        if flag is not None:
            kind = "immutable" if flag == "+i" else "append-only"
            raise NotWritable(
                f"{target} is {kind} (chattr {flag}); nothing written; clear it with chattr -{flag[1]} {target}, "
                "or use the runtime patch (lfmdoctor exec -- python your_script.py)"
            )
    folders = {package_dir.parent, *((package_dir / p).parent for p in paths)}
    files = [package_dir / p for p in paths if not (package_dir / p).is_symlink()]  # a link is replaced, not written
    for target in [*files, *sorted(folders)]:
        if _read_only(target):
            kind = "folder" if target.is_dir() else "file"
            raise NotWritable(
                f"{kind} {target} is read-only; run as a user who may write the environment, "
                "or use the runtime patch (lfmdoctor exec -- python your_script.py)"
            )


def backup_root() -> Path:
    return cache_root() / "backups"


def _where(file: Path) -> Path:
    """The file's absolute path, its folder's links resolved but not its own (a link is replaced by a file)."""
    return file.parent.resolve() / file.name


def backup_path(file: Path, digest: str) -> Path:
    """Where the file's bytes with sha256 ``digest`` are kept: keyed by absolute path and content."""
    key = hashlib.sha256(str(_where(file)).encode()).hexdigest()[:16]
    return backup_root() / key / f"{digest[:16]}-{file.name}"


def _keep_backup(file: Path, data: bytes) -> Path:
    target = backup_path(file, sha256(data))
    if target.is_file() and sha256(target.read_bytes()) == sha256(data):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    (target.parent / "path.txt").write_text(str(_where(file)) + "\n")
    write_atomic(target, data)
    return target


STEP_HOOK: Callable[[str], None] | None = None  # called at each step of a write (tests stop or kill there)


def _step(name: str) -> None:
    if STEP_HOOK is not None:
        STEP_HOOK(name)


def leftovers(package_dir: Path) -> list[Path]:
    """What an interrupted lfmdoctor write left: staging folders beside the package whose process is gone,
    and temporary files inside it (from write_atomic, or from versions that replaced files one by one)."""
    package_dir = Path(package_dir)
    found = stale_siblings(package_dir)
    if package_dir.is_dir():
        found.extend(sorted(package_dir.rglob(f"*{TEMP_SUFFIX}")))
    return found


def recover(package_dir: Path) -> list[str]:
    """Remove ``leftovers``; returns what was removed (what could not be is left and not named)."""
    removed = []
    for path in leftovers(package_dir):
        try:
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        except OSError:
            continue
        removed.append(str(path))
    return removed


def _unchanged(folder: Path, read: dict[str, bytes]) -> None:
    """Refuse when a file differs from the bytes the plan was made from (edited while a prompt waited)."""
    for path, data in read.items():
        try:
            now = (folder / path).read_bytes()
        except FileNotFoundError:
            now = None
        if now != data:
            raise SourcePatchError(
                f"{path} changed since lfmdoctor read it; nothing written; run the command again to see the new plan"
            )


def _swap_in(package_dir: Path, new: dict[str, bytes], read: dict[str, bytes]) -> None:
    """Change the files of ``new`` as one: build the changed package folder beside the original, then
    exchange the two folders in one atomic step. A kill at any moment leaves the old package or the new one,
    importable either way, and at most a hidden staging folder that ``recover`` removes. ``read``: the bytes
    the change was planned from; a file that no longer holds them is never overwritten."""
    staging = staging_sibling(package_dir)
    swapped = False
    try:
        shutil.copytree(package_dir, staging, symlinks=True)
        _copy_owner(package_dir, staging)
        _unchanged(staging, read)
        _step("copied")
        for path, data in new.items():
            _unlink_copy(staging / path)
            with open(staging / path, "r+b") as handle:  # the copy's file: mode and owner kept
                handle.truncate(0)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if sha256((staging / path).read_bytes()) != sha256(data):
                raise SourcePatchError(f"{staging / path} does not read back as written; nothing was changed")
            _step(f"wrote {path}")
        _step("staged")
        _unchanged(package_dir, read)  # once more, just before the exchange
        try:
            exchange(staging, package_dir)
        except OSError as exc:
            if exc.errno != errno.ENOTSUP:
                raise
            _replace_each(staging, package_dir, new, read)
        swapped = True
        _step("exchanged")
    except OSError as exc:
        if swapped:
            raise
        raise SourcePatchError(f"writing {package_dir} failed ({exc}); nothing was changed") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # after the exchange it holds the old package
    _step("cleaned")


def _unlink_copy(file: Path) -> None:
    """A link in the copy (uv links files into its shared cache) becomes a file of its own with the target's
    mode and bytes, so that writing it changes the link, never the file other environments share."""
    if not file.is_symlink():
        return
    data, mode = file.read_bytes(), stat.S_IMODE(file.stat().st_mode)
    file.unlink()
    file.write_bytes(data)
    file.chmod(mode)


def linked(package_dir: Path, paths: list[str]) -> str:
    """What to say where the files to change are links: they are replaced, their targets never touched."""
    links = [path for path in paths if (package_dir / path).is_symlink()]
    if not links:
        return ""
    shared = os.path.commonpath([str((package_dir / path).resolve().parent) for path in links])
    return (
        f"; replaced the link(s) {', '.join(links)} into {shared} by files of their own "
        "(the files they pointed to, which other environments may share, are untouched)"
    )


def _replace_each(staging: Path, package_dir: Path, new: dict[str, bytes], read: dict[str, bytes]) -> None:
    """Where no atomic exchange exists (NFS, some overlayfs): put each changed file in place with one atomic
    rename, so that the package is never missing for a process importing it meanwhile. Files that gain names go
    first and files that lose names last, so a file never imports a helper that is not there yet or any more.
    A kill between two renames leaves a partly applied package, which ``plan`` names and the next run completes."""
    for path in _order(new, read):
        os.replace(staging / path, package_dir / path)


def _order(new: dict[str, bytes], read: dict[str, bytes]) -> list[str]:
    def rank(path: str) -> int:
        before, after = _defined(read[path]), _defined(new[path])
        return 0 if after - before else 2 if before - after else 1

    return sorted(new, key=rank)


def _defined(data: bytes) -> set[str]:
    """The top-level functions and classes a file defines (by its text: no import, no parse)."""
    return set(re.findall(rb"^(?:async def|def|class) (\w+)", data, re.MULTILINE))


def _copy_owner(source: Path, copy: Path) -> None:
    """A root user patching someone else's environment keeps that owner on every file (best effort)."""
    info = source.stat()
    if not hasattr(os, "chown") or (info.st_uid, info.st_gid) == (os.getuid(), os.getgid()):
        return
    for path in [copy, *copy.rglob("*")]:
        try:
            original = source / path.relative_to(copy)
            st = original.lstat()
            os.chown(path, st.st_uid, st.st_gid, follow_symlinks=False)
        except OSError:
            continue


def apply_plan(p: Plan, *, backup: bool = True) -> PatchResult:
    """Write the patch as planned; ``backup``: keep the replaced files in the lfmdoctor cache."""
    if p.state == APPLIED:
        return p.result("apply", APPLIED)
    if p.state in (NOT_NEEDED, CONFLICT):
        return p.result("apply", p.state)
    assert p.patch is not None
    todo = [f.path for f in p.files if f.state in ("original", EARLIER)]
    check_writable(p.package_dir, todo)
    recover(p.package_dir)
    release = {path: _original_bytes(p.package_dir / path, p.current[path], p.patch, path) for path in todo}
    new = {path: apply(release[path].decode("utf-8"), p.patch.diffs[path]).encode("utf-8") for path in todo}
    try:
        backups = [_keep_backup(p.package_dir / path, release[path]) for path in todo] if backup else []
    except OSError as exc:
        raise SourcePatchError(f"cannot keep a backup in {backup_root()} ({exc}); nothing written") from None
    links = linked(p.package_dir, todo)
    _swap_in(p.package_dir, new, {path: p.current[path] for path in todo})
    after = plan(p.package_dir, p.version)
    if after.state != APPLIED:
        raise SourcePatchError(f"after writing, {p.package_dir} reads as {after.state}: {after.detail}")
    return after.result(
        "apply",
        "applied",
        f"patched {', '.join(todo)}; fixes {', '.join(p.patch.fixes)}{links}",
        backups[0].parent if backups else None,
    )


def _original_bytes(file: Path, data: bytes, patch: StoredPatch, path: str) -> bytes:
    """The release's file: ``data`` itself, or from the backup when there is one, else by undoing the diff;
    sha256-checked."""
    wanted = patch.originals[path]
    if sha256(data) == wanted:
        return data
    kept = backup_path(file, wanted)
    if kept.is_file() and sha256(kept.read_bytes()) == wanted:
        return kept.read_bytes()
    restored = apply(data.decode("utf-8"), patch.diffs[path], reverse=True).encode("utf-8")
    if sha256(restored) != wanted:
        raise SourcePatchError(f"cannot restore {file}: neither a backup nor undoing the diff gives the original")
    return restored


def revert_plan(p: Plan) -> PatchResult:
    if p.state == APPLICABLE:
        return p.result("revert", "not applied", "the files are the release's own; nothing to revert")
    if p.state in (NOT_NEEDED, CONFLICT):
        outcome = "not applied" if p.state == NOT_NEEDED else CONFLICT
        return p.result("revert", outcome)
    assert p.patch is not None
    todo = [f.path for f in p.files if f.state in ("patched", EARLIER)]
    check_writable(p.package_dir, todo)
    recover(p.package_dir)
    old = {path: _original_bytes(p.package_dir / path, p.current[path], p.patch, path) for path in todo}
    links = linked(p.package_dir, todo)
    _swap_in(p.package_dir, old, {path: p.current[path] for path in todo})
    after = plan(p.package_dir, p.version)
    if after.state != APPLICABLE:
        raise SourcePatchError(f"after restoring, {p.package_dir} reads as {after.state}: {after.detail}")
    return after.result("revert", "reverted", f"restored {', '.join(todo)} byte for byte{links}")


def patched_copy(package_dir: Path, dest_root: Path, version: str | None = None) -> tuple[Path, Plan]:
    """Copy ``package_dir`` to ``dest_root/liquid_audio`` and patch the copy; the install is only read."""
    dest = Path(dest_root) / "liquid_audio"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(package_dir, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    copy_plan = plan(dest, version)
    if copy_plan.state in (APPLICABLE, PARTIAL):
        apply_plan(copy_plan, backup=False)
    return dest, copy_plan


STATUS_OUTCOME = {
    APPLICABLE: "not applied",
    APPLIED: "applied",
    PARTIAL: "partly applied",
    NOT_NEEDED: "not needed",
    CONFLICT: CONFLICT,
}


def status(p: Plan) -> PatchResult:
    return p.result("status", STATUS_OUTCOME[p.state])


def preview(p: Plan, action: str) -> tuple[PatchResult, bool]:
    """(what ``action`` would do, whether it would write anything), without writing."""
    if action == "apply":
        writes = p.state in (APPLICABLE, PARTIAL)
        todo = [f.path for f in p.files if f.state in ("original", EARLIER)]
        outcome = {APPLIED: APPLIED, NOT_NEEDED: NOT_NEEDED, CONFLICT: CONFLICT}.get(p.state, "dry run")
        detail = f"would patch {', '.join(todo)} ({p.detail}){linked(p.package_dir, todo)}" if writes else p.detail
    else:
        writes = p.state in (APPLIED, PARTIAL)
        todo = [f.path for f in p.files if f.state in ("patched", EARLIER)]
        outcome = CONFLICT if p.state == CONFLICT else "dry run" if writes else "not applied"
        detail = f"would restore {', '.join(todo)} ({p.detail}){linked(p.package_dir, todo)}" if writes else p.detail
    return p.result(action, outcome, detail), writes
