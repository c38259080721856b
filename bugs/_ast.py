"""Reading liquid-audio's source with ``ast``: parse a file once, find classes, methods and calls.

Used by the bug modules' detectors. Never imports the package or reads a version number, so a patched
or reformatted copy reads correctly. Runs on Python 3.10+ although liquid-audio needs 3.12.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ._spec import CannotTell

_CUDA_DEVICE = re.compile(r"cuda(:\d+)?")
_GENERIC_HEADER = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+\w+(?=\[)", re.MULTILINE)
_TYPE_ALIAS = re.compile(r"^[ \t]*(type[ \t]+)\w+[ \t]*[=\[]", re.MULTILINE)

Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Source:
    path: Path
    tree: ast.Module

    def find_class(self, name: str) -> ast.ClassDef:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ClassDef) and node.name == name:
                return node
        raise CannotTell(f"{self.path.name} defines no class {name}.")

    def find_method(self, class_name: str, name: str) -> Function | None:
        for node in self.find_class(class_name).body:
            if isinstance(node, Function) and node.name == name:
                return node
        return None

    def method(self, class_name: str, name: str) -> Function:
        method = self.find_method(class_name, name)
        if method is None:
            raise CannotTell(f"{self.path.name} has no {class_name}.{name}.")
        return method

    def function(self, name: str) -> Function:
        for node in ast.walk(self.tree):
            if isinstance(node, Function) and node.name == name:
                return node
        raise CannotTell(f"{self.path.name} defines no function {name}.")


class Package:
    """The files of one ``liquid_audio`` directory, each parsed once."""

    def __init__(self, package_dir: Path | str) -> None:
        self._package_dir = package_dir
        self._parsed: dict[str, Source | str] = {}

    def source(self, module: str) -> Source:
        if module not in self._parsed:
            try:
                self._parsed[module] = parse(self._path(module))
            except CannotTell as exc:
                self._parsed[module] = str(exc)
        parsed = self._parsed[module]
        if isinstance(parsed, str):
            raise CannotTell(parsed)
        return parsed

    def has(self, relative: str) -> bool:
        """Whether the package holds this file or folder."""
        try:
            return self._path(relative).exists()
        except CannotTell:
            return False

    def _path(self, module: str) -> Path:
        try:
            return Path(self._package_dir, module).resolve()
        except (TypeError, ValueError, OSError, RuntimeError) as exc:
            raise CannotTell(f"{self._package_dir!r} is not a usable package directory ({exc}).") from None


def parse(path: Path) -> Source:
    if not path.is_file():
        raise CannotTell(f"{path} does not exist, so this looks like no liquid_audio package.")
    try:
        data = path.read_bytes()
        return Source(path, ast.parse(data, filename=str(path)))
    except SyntaxError as exc:
        error = exc
    except (OSError, ValueError) as exc:
        raise CannotTell(f"{path} cannot be read or parsed ({exc}).") from None
    try:
        # liquid-audio needs Python 3.12 (PEP 695 generics); lfmdoctor may run on an older one.
        return Source(path, ast.parse(_without_type_params(data.decode()), filename=str(path)))
    except (SyntaxError, ValueError):
        raise CannotTell(f"{path} does not parse on this Python ({error.msg}, line {error.lineno}).") from None


def _without_type_params(text: str) -> str:
    """PEP 695 syntax removed for pre-3.12 parsers; every statement stays on its line."""
    chars = list(text)
    for match in _TYPE_ALIAS.finditer(text):
        chars[match.start(1) : match.end(1)] = [""] * len(match.group(1))
    for match in _GENERIC_HEADER.finditer(text):
        close = _closing_bracket(text, match.end())
        if close is None:
            continue
        for index in range(match.end(), close + 1):
            chars[index] = "\\\n" if text[index] == "\n" else " "
    return "".join(chars)


def _closing_bracket(text: str, start: int) -> int | None:
    depth = 0
    for index in range(start, len(text)):
        depth += {"[": 1, "]": -1}.get(text[index], 0)
        if depth == 0:
            return index
    return None


def in_order(nodes: Iterable[ast.AST]) -> list[ast.AST]:
    return sorted(nodes, key=lambda node: (getattr(node, "lineno", 0), getattr(node, "col_offset", 0)))


def call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def calls(node: ast.AST, names: Iterable[str] | None = None) -> list[ast.Call]:
    wanted = None if names is None else frozenset(names)
    found = (n for n in ast.walk(node) if isinstance(n, ast.Call) and (wanted is None or call_name(n) in wanted))
    return in_order(found)


def is_method_of(call: ast.Call, receiver: str, method: str) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == method
        and isinstance(func.value, ast.Name)
        and func.value.id == receiver
    )


def parents(root: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: parent for parent in ast.walk(root) for child in ast.iter_child_nodes(parent)}


def branch_conditions(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> Iterator[ast.If | ast.IfExp]:
    """The ifs (innermost first) whose body or else branch holds ``node``, not their condition."""
    child = node
    while child in parents:
        parent = parents[child]
        if isinstance(parent, (ast.If, ast.IfExp)) and child is not parent.test:
            yield parent
        child = parent


def words(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id
        elif isinstance(sub, ast.Attribute):
            yield sub.attr
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value
        elif isinstance(sub, ast.keyword) and sub.arg:
            yield sub.arg


def param_default(fn: Function, name: str) -> tuple[ast.arg | None, ast.expr | None]:
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]
    for arg, default in pairs:
        if arg.arg == name:
            return arg, default
    return None, None


def names_cuda(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, str) and _CUDA_DEVICE.fullmatch(expr.value) is not None
    if isinstance(expr, ast.Call) and call_name(expr) == "device" and expr.args:
        return names_cuda(expr.args[0])
    return False


def source_text(obj: object) -> str:
    """The source of a live function (runtime fixes check it); Unfamiliar when it cannot be read."""
    import inspect

    from ._spec import Unfamiliar

    try:
        return inspect.getsource(obj)  # type: ignore[arg-type]
    except (OSError, TypeError) as exc:
        raise Unfamiliar(f"cannot read the source of {getattr(obj, '__qualname__', obj)} ({exc})") from None


def source_check(what: str, buggy: str, fixed: tuple[str, ...], fixed_says: str, absent_says: str | None = None):
    """A runtime fix's ``check``: go on where the live source holds ``buggy``; NotNeeded(``fixed_says``)
    where it holds one of ``fixed``; Unfamiliar otherwise. ``absent_says``: NotNeeded when the release
    lacks the attribute (the engine passes None)."""
    from ._spec import NotNeeded, Unfamiliar

    def check(function: object, module: object) -> None:
        if function is None:
            if absent_says:
                raise NotNeeded(absent_says)
            raise Unfamiliar(f"{what} is missing")
        text = source_text(function)
        if buggy in text:
            return
        if any(sign in text for sign in fixed):
            raise NotNeeded(fixed_says)
        raise Unfamiliar(f"{what} does not look as expected")

    return check
