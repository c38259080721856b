"""The one way lfmdoctor writes a file: a temporary sibling, flushed and renamed into place."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_SUFFIX = ".lfmdoctor-tmp"


def write_atomic(path: str | Path, data: str | bytes, *, like: os.stat_result | None = None, mode: int | None = None) -> Path:
    """Write ``data`` (str: UTF-8) to ``path`` so that readers see the old file or the new one, never a part.

    ``like``: copy that file's mode and, where allowed, owner (patching an installed file). ``mode``: set
    this mode. Otherwise the file gets the user's umask, as any other tool's output. The folder must exist.
    """
    return commit_file(stage_file(path, data, like=like, mode=mode), path)


def out_of_date(files: dict[Path, str]) -> list[Path]:
    """The paths in ``files`` that are missing or hold other text than theirs (read as UTF-8)."""
    return [path for path, text in files.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]


def write_all(files: dict[Path, str | bytes]) -> list[Path]:
    """Write several files all or none: each to a temporary sibling first, and only when every one is on disk
    (a full disk fails here, leaving nothing) are they renamed into place."""
    staged: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            staged[Path(path)] = stage_file(path, data)
        return [commit_file(staged.pop(path), path) for path in list(staged)]
    finally:
        for temp in staged.values():
            temp.unlink(missing_ok=True)


def commit_file(temp: Path, path: str | Path) -> Path:
    """Rename a ``stage_file`` result into place."""
    os.replace(temp, path)
    return Path(path)


def stage_file(path: str | Path, data: str | bytes, *, like: os.stat_result | None = None, mode: int | None = None) -> Path:
    """``data`` written and flushed to disk in a temporary sibling of ``path`` (removed on a failure); returns it."""
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if like is not None:
            os.chmod(tmp, stat.S_IMODE(like.st_mode))
            if hasattr(os, "chown") and (like.st_uid, like.st_gid) != (os.getuid(), os.getgid()):
                try:
                    os.chown(tmp, like.st_uid, like.st_gid)
                except PermissionError:
                    pass
        else:
            os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


RENAME_EXCHANGE = 2  # Linux renameat2 flag
RENAME_SWAP = 2  # macOS renamex_np flag
AT_FDCWD = -100


def exchange(a: str | Path, b: str | Path) -> None:
    """Swap two paths (folders included) in one atomic step: a reader sees the one or the other, never neither.

    Linux ``renameat2(RENAME_EXCHANGE)``, macOS ``renamex_np(RENAME_SWAP)``. Raises OSError (ENOTSUP where the
    system or the file system has no such call; the caller decides what to do instead).
    """
    import ctypes
    import errno
    import sys

    old, new = os.fsencode(os.fspath(a)), os.fsencode(os.fspath(b))
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if sys.platform.startswith("linux"):
            call = libc.renameat2
            args: tuple = (AT_FDCWD, old, AT_FDCWD, new, RENAME_EXCHANGE)
        elif sys.platform == "darwin":
            call = libc.renamex_np
            args = (old, new, RENAME_SWAP)
        else:
            raise AttributeError(sys.platform)
    except (AttributeError, OSError):
        raise OSError(errno.ENOTSUP, "no atomic exchange of two paths on this system", os.fspath(a)) from None
    if call(*args) != 0:
        code = ctypes.get_errno()
        if code in (errno.EINVAL, errno.ENOSYS):
            code = errno.ENOTSUP
        raise OSError(code, os.strerror(code), os.fspath(a), None, os.fspath(b))


FS_IOC_GETFLAGS = 0x80086601  # Linux: read a file's attributes (what lsattr shows)
PINNED_FLAGS = {0x10: "+i", 0x20: "+a"}  # FS_IMMUTABLE_FL, FS_APPEND_FL
BSD_PINNED_FLAGS = {0x2: "+i", 0x20000: "+i", 0x4: "+a", 0x40000: "+a"}  # UF/SF_IMMUTABLE, UF/SF_APPEND


def pinned(path: str | Path) -> str | None:
    """``"+i"`` for an immutable file, ``"+a"`` for an append-only one (chattr, chflags), else None: a file
    nobody, root included, may replace or delete. None too where the system cannot tell."""
    flags = getattr(os.lstat(path), "st_flags", None)
    if flags is not None:
        return next((name for bit, name in BSD_PINNED_FLAGS.items() if flags & bit), None)
    import array
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        found = array.array("l", [0])
        fcntl.ioctl(fd, FS_IOC_GETFLAGS, found, True)
    except OSError:
        return None
    finally:
        os.close(fd)
    return next((name for bit, name in PINNED_FLAGS.items() if found[0] & bit), None)


# Folders a command is assembling, removed by ``remove_temporaries`` when the process is told to stop (SIGTERM).
TEMPORARIES: set[Path] = set()


def remove_temporaries() -> None:
    import shutil

    for path in list(TEMPORARIES):
        shutil.rmtree(path, ignore_errors=True)
        TEMPORARIES.discard(path)


@contextmanager
def private_temporaries() -> Iterator[Path]:
    """A folder of this command's own in the system's temporary folder, where every ``tempfile`` call without a
    ``dir`` lands while the block runs; removed when it ends and by ``remove_temporaries`` (SIGTERM), so no exit
    path leaves a temporary file (a clip, a repository) behind."""
    import shutil
    import tempfile

    earlier = tempfile.tempdir
    try:
        folder = Path(tempfile.mkdtemp(prefix="lfmdoctor-"))
    except OSError:  # nowhere to write: the commands that need a temporary file say so themselves
        yield Path(tempfile.gettempdir())
        return
    TEMPORARIES.add(folder)
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = earlier
        shutil.rmtree(folder, ignore_errors=True)
        TEMPORARIES.discard(folder)


def staging_sibling(path: str | Path) -> Path:
    """A hidden sibling of ``path`` to assemble its replacement in; the name carries this process's id, so a
    later command can tell a leftover of a killed process (``stale_siblings``) from work under way."""
    import secrets

    target = Path(path)
    return target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"


def stale_siblings(path: str | Path) -> list[Path]:
    """The ``staging_sibling``s of ``path`` whose process is gone: what a killed lfmdoctor left."""
    target = Path(path)
    found = []
    for sibling in target.parent.glob(f".{target.name}.*{TEMP_SUFFIX}"):
        pid = sibling.name[len(target.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            found.append(sibling)
    return sorted(found)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, someone else's
        return True
    return True
