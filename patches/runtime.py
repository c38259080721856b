"""The runtime strategy: fix the imported liquid-audio in memory, leaving its files alone.

    import lfmdoctor.patches
    lfmdoctor.patches.apply()          # or: with lfmdoctor.patches.patched(): ...
    lfmdoctor.patches.revert()

or, for a program you cannot change: ``lfmdoctor exec -- python your_script.py``.

The fixes are the ones the known bugs declare (``lfmdoctor.bugs``: each bug's ``runtime`` wraps). Each
first inspects its target (signature default, source text) and patches only when the target has the
bug in the shape its bug module knows; several bugs' wraps of one target are composed and installed
once. Code that is already fixed is left alone silently; code
that looks like neither is left alone with a one-line ``RuntimePatchWarning``. Applying twice is a
no-op and ``revert()`` restores the original objects. The original of every replaced attribute is
kept next to it on its class or module (``_lfmdoctor_runtime_<name>``), so this works even when this
file is loaded twice (as ``lfmdoctor.patches.runtime`` and by path from ``lfmdoctor exec``'s bootstrap).

Standard library only at import time: this file runs in the *target* interpreter, where lfmdoctor may
not be installed (it then loads its sibling ``callsite.py`` by path, which loads the bug registry).
torch and liquid-audio are imported when a fix is applied.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.abc
import importlib.util
import os
import sys
import warnings
from pathlib import Path
from typing import Any

PACKAGE = "liquid_audio"
SIDE = "_lfmdoctor_runtime_"
PATCHED = "patched"
ARMED = "armed"  # a fix of a module liquid_audio does not import itself (the demo's), waiting for its import
VERBOSE_ENV = "LFMDOCTOR_RUNTIME_VERBOSE"


class RuntimePatchWarning(UserWarning):
    """A liquid-audio target no longer looks as expected; it was left alone."""


# --- the engine -------------------------------------------------------------------------------------


def _callsite() -> Any:
    """The call-site helpers: the package's module, or the sibling file when loaded by path."""
    if __package__:
        from . import callsite

        return callsite
    name = "_lfmdoctor_callsite"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("callsite.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _installed(owner: Any, name: str) -> bool:
    return SIDE + name in vars(owner)


def _swap(owner: Any, name: str, new: Any, installed: list) -> None:
    """Replace ``owner.name`` with ``new``, keeping (original, new) beside it for revert."""
    setattr(owner, SIDE + name, (vars(owner)[name], new))
    setattr(owner, name, new)
    installed.append((owner, name))


def _restore(owner: Any, name: str) -> bool:
    pair = vars(owner).get(SIDE + name)
    if pair is None:
        return False
    original, new = pair
    if vars(owner).get(name) is new:
        setattr(owner, name, original)
    else:
        warnings.warn(
            f"lfmdoctor runtime patch: {getattr(owner, '__name__', owner)}.{name} was replaced by "
            "someone else after patching; left as it is",
            RuntimePatchWarning,
            stacklevel=3,
        )
    delattr(owner, SIDE + name)
    return True


def _warn(message: str) -> None:
    warnings.warn(f"lfmdoctor runtime patch: {message}; left alone", RuntimePatchWarning, stacklevel=4)


def _function(raw: Any) -> Any:
    """The plain function inside a class attribute (classmethod, property, cached_property) or None."""
    if isinstance(raw, (classmethod, staticmethod)):
        return raw.__func__
    if isinstance(raw, property):
        return raw.fget
    if isinstance(raw, functools.cached_property):
        return raw.func
    return raw if callable(raw) else None


def _rewrap(raw: Any, function: Any, owner: Any, attr: str) -> Any:
    """``function`` in the same kind of attribute as ``raw``."""
    if isinstance(raw, (classmethod, staticmethod)):
        return type(raw)(function)
    if isinstance(raw, property):
        return property(function, raw.fset, raw.fdel, raw.__doc__)
    if isinstance(raw, functools.cached_property):
        replacement = functools.cached_property(function)
        replacement.__set_name__(owner, attr)
        return replacement
    return function


def _verdict(wrap: Any, function: Any, module: Any, spec: Any) -> str | None:
    """None when the wrap should go in, else what happened (the report's words)."""
    try:
        if function is None:
            raise spec.NotNeeded(f"this liquid-audio has no {wrap.owner or module.__name__}.{wrap.attr}")
        wrap.check(function, module)
    except spec.NotNeeded as skip:
        return f"not needed: {skip}"
    except spec.Unfamiliar as skip:
        _warn(str(skip))
        return f"skipped: {skip}"
    return None


def _patch_target(key: tuple, wraps: list, installed: list) -> dict[str, str]:
    """Check and install every wrap of one target; returns {bug id: what happened}."""
    spec = _callsite().registry()._spec
    module_name, owner_name, attr = key
    module = importlib.import_module(module_name)
    owner = module if owner_name is None else getattr(module, owner_name, None)
    if owner is None or (owner_name is None and attr not in vars(module) and not _installed(module, attr)):
        return {bug.id: f"skipped: {module_name} has no {owner_name or attr}" for bug, _ in wraps}
    if _installed(owner, attr):
        return {bug.id: "already patched" for bug, _ in wraps}
    raw = vars(owner).get(attr)
    function = _function(raw)
    report: dict[str, str] = {}
    chosen = []
    for bug, wrap in wraps:
        verdict = _verdict(wrap, function, module, spec)
        report[bug.id] = verdict or PATCHED
        if verdict is None:
            chosen.append(wrap)
    if not chosen:
        return report
    new = function
    for wrap in reversed(chosen):  # the first bug's wrap is the outermost: it sees the caller's arguments
        new = wrap.wrap(new, module)
    replacement = _rewrap(raw, new, owner, attr)
    if owner_name is None:
        # other liquid-audio modules bound the function at import: replace it there too
        for name, other in list(sys.modules.items()):
            if (name == PACKAGE or name.startswith(PACKAGE + ".")) and vars(other).get(attr) is raw:
                _swap(other, attr, replacement, installed)
    else:
        _swap(owner, attr, replacement, installed)
    return report


def _merge(report: dict[str, str], bug_id: str, what: str) -> None:
    """A bug with several wraps reads "patched" when any went in, else its first reason."""
    if bug_id not in report or what == PATCHED:
        report[bug_id] = what


def _apply_loaded(installed: list) -> dict[str, str]:
    bugs = _callsite().registry().BUGS
    targets: dict[tuple, list] = {}
    lazy: list = []
    for bug in bugs:
        for wrap in bug.runtime:
            if wrap.lazy:
                lazy.append((bug, wrap))
            else:
                targets.setdefault((wrap.module, wrap.owner, wrap.attr), []).append((bug, wrap))
    report: dict[str, str] = {}
    for key, wraps in targets.items():
        for bug_id, what in _patch_target(key, wraps, installed).items():
            _merge(report, bug_id, what)
    for bug, wrap in lazy:
        # a lazy wrap follows its bug's first wraps; a bug whose wraps are all lazy (a module liquid_audio does not
        # import, such as the demo's) is armed for when that module is imported
        alone = all(w.lazy for w in bug.runtime)
        if not alone and report.get(bug.id) not in (PATCHED, "already patched"):
            continue
        key = (wrap.module, wrap.owner, wrap.attr)
        if wrap.module in sys.modules:
            done = _patch_target(key, [(bug, wrap)], installed)
            if alone:
                _merge(report, bug.id, done.get(bug.id, PATCHED))
        else:
            hook = _hook()
            armed = wrap.module in hook.callbacks
            hook.watch(wrap.module, lambda module, key=key, pair=(bug, wrap): _patch_target(key, [pair], []))
            if alone:  # checked and put in when the module is imported
                _merge(report, bug.id, f"{ARMED}: checked when {wrap.module} is imported" if not armed else "already armed")
    return {bug.id: report.get(bug.id, "not needed: no runtime fix") for bug in bugs}


# --- applying and reverting -------------------------------------------------------------------------


def apply() -> dict[str, str]:
    """Fix the liquid-audio this interpreter imports; returns {bug id: what happened to its fix}.

    ``"patched"``, ``"already patched"``, ``"not needed: ..."`` (the code is fixed or has no such
    feature), ``"skipped: ..."`` (the target looks unfamiliar; a RuntimePatchWarning said so), or ``"armed: ..."``
    (its module, one liquid_audio does not import itself, is checked and fixed when it is imported).
    """
    import liquid_audio  # noqa: F401 - raises ImportError when it is not installed

    return _apply_loaded([])


def revert() -> list[str]:
    """Undo every runtime fix in this process; returns the attributes restored ("Class.name")."""
    _remove_hook()
    restored = []
    for name, module in list(sys.modules.items()):
        if module is None or not (name == PACKAGE or name.startswith(PACKAGE + ".")):
            continue
        owners = [module, *(v for v in vars(module).values() if isinstance(v, type) and v.__module__ == name)]
        for owner in owners:
            for attr in [a[len(SIDE) :] for a in list(vars(owner)) if a.startswith(SIDE)]:
                if _restore(owner, attr):
                    restored.append(f"{getattr(owner, '__qualname__', name)}.{attr}")
    return restored


@contextlib.contextmanager
def patched():
    """Apply the runtime fixes for the ``with`` block; on exit undo the ones this block put in."""
    import liquid_audio  # noqa: F401

    installed: list = []
    report = _apply_loaded(installed)
    try:
        yield report
    finally:
        for owner, name in reversed(installed):
            _restore(owner, name)


# --- post-import hook (lfmdoctor exec) ---------------------------------------------------------------


class _Loader(importlib.abc.Loader):
    def __init__(self, loader: Any, callback: Any) -> None:
        self._loader = loader
        self._callback = callback

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        self._callback(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _PostImportHook(importlib.abc.MetaPathFinder):
    """Runs a callback right after a watched module is first imported."""

    lfmdoctor_runtime_hook = True

    def __init__(self) -> None:
        self.callbacks: dict[str, Any] = {}
        self._busy: set[str] = set()

    def watch(self, name: str, callback: Any) -> None:
        self.callbacks[name] = callback

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        callback = self.callbacks.get(fullname)
        if callback is None or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            self._busy.discard(fullname)
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        # The callback stays armed until the module really executes: a bare importlib.util.find_spec (which
        # loads nothing) must not use it up.
        spec.loader = _Loader(spec.loader, lambda module: self._fire(fullname, module))
        return spec

    def _fire(self, fullname: str, module: Any) -> None:
        callback = self.callbacks.pop(fullname, None)
        if callback is not None:
            callback(module)


def _hook() -> _PostImportHook:
    for finder in sys.meta_path:
        if getattr(finder, "lfmdoctor_runtime_hook", False) and isinstance(finder, _PostImportHook):
            return finder
    hook = _PostImportHook()
    sys.meta_path.insert(0, hook)
    return hook


def _remove_hook() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "lfmdoctor_runtime_hook", False)]


def _on_liquid_audio(module: Any) -> None:
    try:
        report = _apply_loaded([])
    except Exception as exc:
        warnings.warn(
            f"lfmdoctor runtime patch failed ({type(exc).__name__}: {exc}); liquid-audio left as it is",
            RuntimePatchWarning,
            stacklevel=2,
        )
        return
    if os.environ.get(VERBOSE_ENV):
        fixed = [bug for bug, what in report.items() if what == PATCHED]
        print(
            f"lfmdoctor: liquid-audio patched at runtime: {', '.join(fixed) or 'nothing needed'}",
            file=sys.stderr,
            flush=True,
        )


def install_import_hook() -> None:
    """Apply the fixes as soon as liquid_audio is imported (right away if it already is)."""
    if PACKAGE in sys.modules:
        _on_liquid_audio(sys.modules[PACKAGE])
    else:
        _hook().watch(PACKAGE, _on_liquid_audio)
