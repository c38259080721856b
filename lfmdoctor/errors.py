"""Every error lfmdoctor reports as one line on stderr with exit code 2, never as a traceback.

``LfmdoctorError`` is the one base class: every module's one-line errors derive from it, with a message
that names the problem and the fix. Two of them get context added to their line, and the operating
system's errors (an unwritable or missing path, a full disk, text that is not UTF-8) are mapped too, all
in ``ERRORS``; ``lfmdoctor.cli.main`` looks every escaping exception up there with ``one_line``.
"""

from __future__ import annotations

import enum
import errno
import importlib
import signal
from collections.abc import Callable
from dataclasses import dataclass


class ExitCode(enum.IntEnum):
    """Every exit status lfmdoctor gives, one convention for all commands (the README states it)."""

    OK = 0  # done, nothing wrong found
    PROBLEMS = 1  # problems found (a bug present or reproduced, a fix that did not hold, a conflict), or not done
    USAGE = 2  # bad input, an unusable path or target: one line on stderr, no traceback
    INTERRUPTED = 128 + signal.SIGINT  # Ctrl-C
    TERMINATED = 128 + signal.SIGTERM


class LfmdoctorError(Exception):
    """A problem lfmdoctor reports as one line (what is wrong, and what to do), exit code 2."""


class UsageError(LfmdoctorError):
    """Bad input on the command line: a missing interpreter, an unknown id, a file where a folder is needed."""


def _as_is(exc: BaseException) -> str:
    return str(exc)


def _target(exc: BaseException) -> str:
    return f"cannot inspect the target interpreter: {exc}; pass --python with a working interpreter"


def _no_source_patch(exc: BaseException) -> str:
    return f"the source fix cannot be applied here: {exc}; 'lfmdoctor patch status' says why"


_OS_FIX = {
    errno.ENOENT: "check that the path and the folder it is in exist",
    errno.EACCES: "pass a path you may write to, or change its permissions",
    errno.EPERM: "pass a path you may write to, or change its permissions",
    errno.EROFS: "the file system is read-only; pass a path on a writable one",
    errno.ENOSPC: "the disk is full; free some space or pass a path on another disk",
    errno.EDQUOT: "the disk quota is used up; free some space or pass a path on another disk",
    errno.ENOTDIR: "a part of the path is a file, not a folder; pass a path whose folders are folders",
    errno.EISDIR: "the path is a folder; pass a file name",
    errno.EEXIST: "a file or folder is in the way; pass a new path",
    errno.ENAMETOOLONG: "the name is too long; pass a shorter path",
}


def _os_error(exc: BaseException) -> str:
    assert isinstance(exc, OSError)
    what = exc.strerror or exc.__class__.__name__
    paths = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p is not None)
    where = f"cannot use {paths}: {what}" if paths else f"{what}"
    return f"{where}; {_OS_FIX.get(exc.errno or 0, 'check the path and the disk, then retry')}"


def _unicode_error(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or str(exc)
    if isinstance(exc, UnicodeEncodeError):
        return (
            f"cannot write text in the {exc.encoding} encoding ({reason}); use a UTF-8 terminal or set PYTHONIOENCODING=utf-8"
        )
    if isinstance(exc, UnicodeDecodeError):
        return f"a file is not {exc.encoding} text ({reason}); pass a UTF-8 text file"
    return f"text that cannot be handled ({reason}); use UTF-8 files and a UTF-8 terminal"


@dataclass(frozen=True)
class OneLine:
    """How an error type becomes its line on stderr, and the exit code that goes with it."""

    message: Callable[[BaseException], str]
    exit_code: ExitCode = ExitCode.USAGE


# The one table. A key is a class, or "module:Class" for errors the library modules define (imported only
# when such an error is being reported). The most specific class in an exception's MRO wins.
ERRORS: dict[type[BaseException] | str, OneLine] = {
    LfmdoctorError: OneLine(_as_is),
    "lfmdoctor.diagnose.environment:TargetUnusable": OneLine(_target),
    "lfmdoctor.patches.bootstrap:NoSourcePatch": OneLine(_no_source_patch),
    UnicodeError: OneLine(_unicode_error),
    OSError: OneLine(_os_error),
}


def resolve(key: type[BaseException] | str) -> type[BaseException] | None:
    """The class a table key names, or None where its module cannot be imported."""
    if isinstance(key, type):
        return key
    module, _, name = key.partition(":")
    try:
        found = getattr(importlib.import_module(module), name)
    except Exception:  # a module that does not import cannot have raised the error being reported
        return None
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def lookup(exc: BaseException) -> OneLine | None:
    """The table entry for ``exc``: its most specific class with an entry, or None (a real bug: traceback)."""
    for cls in type(exc).__mro__:
        for key, entry in ERRORS.items():
            name = key.__name__ if isinstance(key, type) else key.partition(":")[2]
            if name == cls.__name__ and resolve(key) is cls:
                return entry
    return None


def one_line(exc: BaseException) -> tuple[str, ExitCode] | None:
    """(message, exit code) for an error lfmdoctor reports as one line; None for anything else."""
    entry = lookup(exc)
    if entry is None:
        return None
    return " ".join(entry.message(exc).split()), entry.exit_code
