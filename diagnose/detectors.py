"""Decide from liquid-audio's source code which known bugs an installed copy contains.

Each detector parses one file of the ``liquid_audio`` package with ``ast`` and looks for the shape
of its bug, never importing the package or reading a version number, so a patched or reformatted
copy reads correctly. Detectors answer ``present=None`` instead of raising when they cannot tell.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lfmdoctor.catalog import BUG_IDS, get_bug
from lfmdoctor.results import BugFinding

_PROCESSOR_CLASS = "LFM2AudioProcessor"
_MODEL_CLASS = "LFM2AudioModel"
_CHAT_STATE_CLASS = "ChatState"

_CUDA_DEVICE = re.compile(r"cuda(:\d+)?")
_LOCAL_DIR_CHECKS = frozenset({"exists", "is_dir", "isdir"})
_CASTS = frozenset({"to", "type"})
_MODULE_CHECKS = frozenset({"module_exists", "find_spec", "is_flash_attn_2_available", "is_flash_attn_available"})
_DEVICE_WORDS = re.compile(r"device|cuda|dtype|mps|cpu|gpu|float16|half|is_available", re.IGNORECASE)
_EOA_BOUNDS = frozenset({2047, 2048})
_GENERIC_HEADER = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+\w+(?=\[)", re.MULTILINE)
_TYPE_ALIAS = re.compile(r"^[ \t]*(type[ \t]+)\w+[ \t]*[=\[]", re.MULTILINE)

_Function = ast.FunctionDef | ast.AsyncFunctionDef


class _CannotTell(Exception):
    """The code is not shaped the way a detector expects; the message says how, as a sentence."""


@dataclass(frozen=True)
class _Source:
    path: Path
    tree: ast.Module

    def find_class(self, name: str) -> ast.ClassDef:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ClassDef) and node.name == name:
                return node
        raise _CannotTell(f"{self.path.name} defines no class {name}.")

    def find_method(self, class_name: str, name: str) -> _Function | None:
        for node in self.find_class(class_name).body:
            if isinstance(node, _Function) and node.name == name:
                return node
        return None

    def method(self, class_name: str, name: str) -> _Function:
        method = self.find_method(class_name, name)
        if method is None:
            raise _CannotTell(f"{self.path.name} has no {class_name}.{name}.")
        return method

    def function(self, name: str) -> _Function:
        for node in ast.walk(self.tree):
            if isinstance(node, _Function) and node.name == name:
                return node
        raise _CannotTell(f"{self.path.name} defines no function {name}.")


@dataclass(frozen=True)
class _Verdict:
    present: bool
    node: ast.AST | None  # the offending line when present, the line showing the fix when absent
    detail: str


class _Package:
    """The files of one ``liquid_audio`` directory, each parsed once."""

    def __init__(self, package_dir: Path | str) -> None:
        self._package_dir = package_dir
        self._parsed: dict[str, _Source | str] = {}

    def source(self, module: str) -> _Source:
        if module not in self._parsed:
            try:
                self._parsed[module] = _parse(self._path(module))
            except _CannotTell as exc:
                self._parsed[module] = str(exc)
        parsed = self._parsed[module]
        if isinstance(parsed, str):
            raise _CannotTell(parsed)
        return parsed

    def _path(self, module: str) -> Path:
        try:
            return Path(self._package_dir, module).resolve()
        except (TypeError, ValueError, OSError, RuntimeError) as exc:
            raise _CannotTell(f"{self._package_dir!r} is not a usable package directory ({exc}).") from None


def _parse(path: Path) -> _Source:
    if not path.is_file():
        raise _CannotTell(f"{path} does not exist, so this looks like no liquid_audio package.")
    try:
        data = path.read_bytes()
        return _Source(path, ast.parse(data, filename=str(path)))
    except SyntaxError as exc:
        error = exc
    except (OSError, ValueError) as exc:
        raise _CannotTell(f"{path} cannot be read or parsed ({exc}).") from None
    try:
        # liquid-audio needs Python 3.12 (PEP 695 generics); lfmdoctor may run on an older one.
        return _Source(path, ast.parse(_without_type_params(data.decode()), filename=str(path)))
    except (SyntaxError, ValueError):
        raise _CannotTell(f"{path} does not parse on this Python ({error.msg}, line {error.lineno}).") from None


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


def _in_order(nodes: Iterable[ast.AST]) -> list[ast.AST]:
    return sorted(nodes, key=lambda node: (getattr(node, "lineno", 0), getattr(node, "col_offset", 0)))


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _calls(node: ast.AST, names: Iterable[str] | None = None) -> list[ast.Call]:
    wanted = None if names is None else frozenset(names)
    found = (n for n in ast.walk(node) if isinstance(n, ast.Call) and (wanted is None or _call_name(n) in wanted))
    return _in_order(found)


def _is_method_of(call: ast.Call, receiver: str, method: str) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == method
        and isinstance(func.value, ast.Name)
        and func.value.id == receiver
    )


def _parents(root: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: parent for parent in ast.walk(root) for child in ast.iter_child_nodes(parent)}


def _branch_conditions(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> Iterator[ast.If | ast.IfExp]:
    """The ifs (innermost first) whose body or else branch holds ``node``, not their condition."""
    child = node
    while child in parents:
        parent = parents[child]
        if isinstance(parent, (ast.If, ast.IfExp)) and child is not parent.test:
            yield parent
        child = parent


def _words(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id
        elif isinstance(sub, ast.Attribute):
            yield sub.attr
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value
        elif isinstance(sub, ast.keyword) and sub.arg:
            yield sub.arg


def _param_default(fn: _Function, name: str) -> tuple[ast.arg | None, ast.expr | None]:
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]
    for arg, default in pairs:
        if arg.arg == name:
            return arg, default
    return None, None


def _names_cuda(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, str) and _CUDA_DEVICE.fullmatch(expr.value) is not None
    if isinstance(expr, ast.Call) and _call_name(expr) == "device" and expr.args:
        return _names_cuda(expr.args[0])
    return False


def _detect_default_device(source: _Source, class_name: str) -> _Verdict:
    fn = source.method(class_name, "from_pretrained")
    param, default = _param_default(fn, "device")
    if param is None:
        raise _CannotTell(f"{class_name}.from_pretrained has no `device` parameter, so its default device is unclear.")
    if default is None:
        return _Verdict(False, param, f"{class_name}.from_pretrained requires `device`, so nothing defaults to CUDA.")
    shown = ast.unparse(default)
    if _names_cuda(default):
        return _Verdict(
            True,
            default,
            f"{class_name}.from_pretrained defaults `device` to {shown}, so a call without device= needs CUDA.",
        )
    return _Verdict(False, default, f"{class_name}.from_pretrained defaults `device` to {shown}, not to CUDA.")


def _detect_processor_device(source: _Source) -> _Verdict:
    return _detect_default_device(source, _PROCESSOR_CLASS)


def _detect_model_device(source: _Source) -> _Verdict:
    return _detect_default_device(source, _MODEL_CLASS)


def _checks_shape(test: ast.expr, wave: str) -> bool:
    for node in ast.walk(test):
        is_wave = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == wave
        if is_wave and node.attr in {"shape", "ndim"}:
            return True
        if isinstance(node, ast.Call) and any(_is_method_of(node, wave, m) for m in ("dim", "size")):
            return True
    return False


def _converts(stmt: ast.AST, wave: str) -> bool:
    """``wave = <call>`` where the call is a conversion or a helper, not a method of wave itself."""
    if isinstance(stmt, ast.Assign):
        targets, value = stmt.targets, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets, value = [stmt.target], stmt.value
    else:
        return False
    if not any(isinstance(t, ast.Name) and t.id == wave for t in targets):
        return False
    outcomes = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
    return any(isinstance(outcome, ast.Call) and not _is_wave_method(outcome, wave) for outcome in outcomes)


def _is_wave_method(call: ast.Call, wave: str) -> bool:
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    return isinstance(receiver, ast.Name) and receiver.id == wave


def _detect_audio_format(source: _Source) -> _Verdict:
    fn = source.method(_CHAT_STATE_CLASS, "add_audio")
    params = [*fn.args.posonlyargs, *fn.args.args][1:]
    if not params:
        raise _CannotTell("ChatState.add_audio takes no audio argument.")
    wave = params[0].arg
    conversion = None
    for node in _in_order(ast.walk(fn)):
        if isinstance(node, ast.Assert) and node.msg is None and _checks_shape(node.test, wave):
            return _Verdict(
                True,
                node,
                "ChatState.add_audio checks the audio shape with a bare assert, so 1-D or stereo audio "
                "fails with an empty AssertionError.",
            )
        if conversion is None and _converts(node, wave):
            conversion = node
        if conversion is None and isinstance(node, ast.Call) and _is_method_of(node, wave, "to"):
            return _Verdict(
                True,
                node,
                f"ChatState.add_audio calls {wave}.to() before converting it, so numpy audio fails with AttributeError.",
            )
    if conversion is not None:
        return _Verdict(
            False,
            conversion,
            "ChatState.add_audio converts the audio before using it and has no bare shape assert.",
        )
    return _Verdict(
        False,
        None,
        "ChatState.add_audio has no bare shape assert and never calls .to() on unconverted audio.",
    )


def _detect_detokenizer_device(source: _Source) -> _Verdict:
    fn = source.find_method(_PROCESSOR_CLASS, "audio_detokenizer")
    if fn is None:
        return _Verdict(False, None, "This release has no audio_detokenizer, so it cannot build one on the wrong device.")
    cuda_calls = [call for call in _calls(fn, ["cuda"]) if isinstance(call.func, ast.Attribute)]
    if cuda_calls:
        return _Verdict(
            True,
            cuda_calls[0],
            "audio_detokenizer builds the detokenizer with a hard-coded .cuda(), ignoring the processor's device.",
        )
    moves = _calls(fn, ["to"])
    return _Verdict(False, moves[0] if moves else None, "audio_detokenizer has no hard-coded .cuda().")


def _load_file_device(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "device":
            return keyword.value
    return call.args[1] if len(call.args) > 1 else None


def _detect_mimi_device(source: _Source) -> _Verdict:
    loads = _calls(source.method(_PROCESSOR_CLASS, "mimi"), ["load_file"])
    if not loads:
        raise _CannotTell("The mimi property does not call load_file, so how it loads weights is unclear.")
    device = _load_file_device(loads[0])
    if device is None:
        return _Verdict(False, loads[0], "The mimi property calls load_file without a device, so weights load on the CPU.")
    if isinstance(device, ast.Constant) and device.value == "cpu":
        return _Verdict(False, device, "The mimi property loads weights on the CPU before moving them.")
    return _Verdict(
        True,
        device,
        f"The mimi property passes device={ast.unparse(device)} to safetensors' load_file, which rejects "
        "some torch device strings (mps).",
    )


def _is_str_check(test: ast.expr) -> bool:
    return any(
        _call_name(call) == "isinstance" and len(call.args) == 2 and "str" in _words(call.args[1]) for call in _calls(test)
    )


def _detect_local_path(source: _Source) -> _Verdict:
    fn = source.function("get_model_dir")
    downloads = _calls(fn, ["snapshot_download"])
    if not downloads:
        raise _CannotTell("get_model_dir does not call snapshot_download, so how it treats a str path is unclear.")
    local_checks = _calls(fn, _LOCAL_DIR_CHECKS)
    if local_checks:
        return _Verdict(False, local_checks[0], "get_model_dir checks for a local directory before using the hub.")
    str_checks = [node for node in _in_order(ast.walk(fn)) if isinstance(node, ast.If) and _is_str_check(node.test)]
    return _Verdict(
        True,
        (str_checks or downloads)[0],
        "get_model_dir sends every str to snapshot_download without checking for a "
        "local directory, so only a pathlib.Path works as a local checkpoint.",
    )


def _first_argument(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return call.keywords[0].value if call.keywords else None


def _casts(expr: ast.expr) -> bool:
    return any(isinstance(call.func, ast.Attribute) for call in _calls(expr, _CASTS))


def _detect_dtype_mismatch(source: _Source) -> _Verdict:
    fn = source.method(_MODEL_CLASS, "_prefill")
    calls = [call for call in _calls(fn) if _is_method_of(call, "self", "conformer")]
    if not calls:
        raise _CannotTell("LFM2AudioModel._prefill does not call self.conformer, so the conformer input is unclear.")
    for call in calls:
        first = _first_argument(call)
        if first is not None and not _casts(first):
            return _Verdict(
                True,
                call,
                "_prefill feeds the conformer its input without casting it to the model dtype, so "
                "bfloat16 audio breaks a float32 model.",
            )
    return _Verdict(False, calls[0], "_prefill casts the conformer input to the model dtype.")


def _sets_eval(call: ast.Call) -> bool:
    if _call_name(call) == "eval":
        return True
    turns_training_off = call.args and isinstance(call.args[0], ast.Constant) and call.args[0].value is False
    return _call_name(call) == "train" and bool(turns_training_off)


def _detect_train_mode(source: _Source) -> _Verdict:
    fn = source.method(_MODEL_CLASS, "from_pretrained")
    evals = [call for call in _calls(fn) if _sets_eval(call)]
    if evals:
        return _Verdict(False, evals[0], "LFM2AudioModel.from_pretrained puts the model in eval mode.")
    returns = [node for node in _in_order(ast.walk(fn)) if isinstance(node, ast.Return)]
    return _Verdict(
        True,
        returns[-1] if returns else fn,
        "LFM2AudioModel.from_pretrained never calls .eval(), so the model comes "
        "back in training mode (dropout on, batch norm in training).",
    )


def _condition_parts(test: ast.expr, fn: _Function) -> list[ast.AST]:
    """The condition plus the values assigned to the names it uses (``use_flash = ...; if use_flash:``)."""
    names = {node.id for node in ast.walk(test) if isinstance(node, ast.Name)}
    assigned = [
        node.value
        for node in ast.walk(fn)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in names for t in node.targets)
    ]
    return [test, *assigned]


def _mentions_device(parts: list[ast.AST]) -> bool:
    return any(_DEVICE_WORDS.search(word) for part in parts for word in _words(part))


def _checks_module(parts: list[ast.AST]) -> bool:
    return any(_calls(part, _MODULE_CHECKS) for part in parts)


def _detect_flash_attn(source: _Source) -> _Verdict:
    fn = source.method(_MODEL_CLASS, "from_pretrained")
    parents = _parents(fn)
    choices = [
        node
        for node in _in_order(ast.walk(fn))
        if isinstance(node, ast.Constant)
        and node.value == "flash_attention_2"
        and not isinstance(parents.get(node), ast.Compare)
    ]
    if not choices:
        return _Verdict(False, None, "LFM2AudioModel.from_pretrained never selects flash_attention_2 itself.")
    for choice in choices:
        branches = list(_branch_conditions(choice, parents))
        if not branches:
            return _Verdict(True, choice, "LFM2AudioModel.from_pretrained selects flash_attention_2 unconditionally.")
        guarded = [branch for branch in branches if _mentions_device(_condition_parts(branch.test, fn))]
        if guarded:
            continue
        module_only = [branch for branch in branches if _checks_module(_condition_parts(branch.test, fn))]
        if module_only:
            return _Verdict(
                True,
                module_only[0],
                "LFM2AudioModel.from_pretrained selects flash_attention_2 whenever flash_attn is "
                "importable, whatever the device or dtype.",
            )
    guard = next((b for c in choices for b in _branch_conditions(c, parents)), None)
    return _Verdict(
        False,
        guard,
        "LFM2AudioModel.from_pretrained selects flash_attention_2 only under a device, dtype or user condition.",
    )


def _compares_eoa(node: ast.AST) -> list[ast.Compare]:
    return [
        compare
        for compare in ast.walk(node)
        if isinstance(compare, ast.Compare)
        and any(isinstance(side, ast.Constant) and side.value in _EOA_BOUNDS for side in [compare.left, *compare.comparators])
    ]


def _rejections(fn: _Function, parents: dict[ast.AST, ast.AST]) -> list[tuple[ast.AST, list[ast.Compare]]]:
    """(raise or assert, the end-of-audio comparisons that trigger it), in source order."""
    found: list[tuple[ast.AST, list[ast.Compare]]] = []
    for node in _in_order(ast.walk(fn)):
        if isinstance(node, ast.Assert) and _compares_eoa(node.test):
            found.append((node, _compares_eoa(node.test)))
        elif isinstance(node, ast.Raise):
            guards = [
                c
                for branch in _branch_conditions(node, parents)
                if isinstance(branch, ast.If)
                for c in _compares_eoa(branch.test)
            ]
            if guards:
                found.append((node, guards))
    return found


def _detect_eoa_code(source: _Source) -> _Verdict:
    fn = source.find_method(_PROCESSOR_CLASS, "decode")
    if fn is None:
        return _Verdict(
            False,
            None,
            "This release has no LFM2AudioProcessor.decode, so it cannot reject the end-of-audio code.",
        )
    parents = _parents(fn)
    rejections = _rejections(fn, parents)
    guard_compares = {id(c) for _, compares in rejections for c in compares}
    handled = [c for c in _in_order(_compares_eoa(fn)) if id(c) not in guard_compares]
    if not rejections:
        return _Verdict(False, handled[0] if handled else None, "LFM2AudioProcessor.decode does not reject code 2048.")
    rejection = rejections[0][0]
    earlier = [c for c in handled if c.lineno < rejection.lineno]
    if earlier:
        return _Verdict(
            False,
            earlier[0],
            "LFM2AudioProcessor.decode drops end-of-audio frames before checking the code range.",
        )
    return _Verdict(
        True,
        rejection,
        "LFM2AudioProcessor.decode raises on codes >= 2048, so frames with the end-of-audio code the model "
        "generates are rejected instead of dropped.",
    )


_DETECTORS: dict[str, Callable[[_Source], _Verdict]] = {
    "processor-device": _detect_processor_device,
    "model-device": _detect_model_device,
    "audio-format": _detect_audio_format,
    "detokenizer-device": _detect_detokenizer_device,
    "mimi-device": _detect_mimi_device,
    "local-path": _detect_local_path,
    "dtype-mismatch": _detect_dtype_mismatch,
    "train-mode": _detect_train_mode,
    "flash-attn": _detect_flash_attn,
    "eoa-code": _detect_eoa_code,
}


def _evidence(path: Path, node: ast.AST | None) -> str | None:
    line = getattr(node, "lineno", None)
    return None if line is None else f"{path}:{line}"


def _detect(bug_id: str, package: _Package) -> BugFinding:
    bug = get_bug(bug_id)
    detector = _DETECTORS.get(bug_id)
    if detector is None:
        return _unknown(bug_id, "lfmdoctor has no source check for this bug yet.")
    try:
        source = package.source(bug.module)
        verdict = detector(source)
    except _CannotTell as exc:
        return _unknown(bug_id, str(exc))
    except Exception as exc:
        return _unknown(bug_id, f"The source check failed on this code ({type(exc).__name__}: {exc}).")
    evidence = _evidence(source.path, verdict.node)
    return BugFinding(id=bug_id, title=bug.title, present=verdict.present, evidence=evidence, detail=verdict.detail)


def _unknown(bug_id: str, reason: str) -> BugFinding:
    return BugFinding(id=bug_id, title=get_bug(bug_id).title, present=None, evidence=None, detail=reason)


def detect_all(package_dir: Path) -> list[BugFinding]:
    """One finding per id in ``catalog.BUG_IDS``, in that order, decided from the package's source."""
    package = _Package(package_dir)
    return [_detect(bug_id, package) for bug_id in BUG_IDS]
