"""A local checkpoint folder given as a ``str`` is sent to the Hugging Face hub."""

from __future__ import annotations

import ast
import functools
import os
from pathlib import Path
from typing import Any

from . import _ast
from ._anatomy import PROCESSOR_CLASS, UTILS_FILE, UTILS_MODULE
from ._signature import LIQUID_AUDIO, Signature
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, NotNeeded, Unfamiliar, Verdict, Wrap

_LOCAL_DIR_CHECKS = frozenset({"exists", "is_dir", "isdir"})


def detect(source: _ast.Source) -> Verdict:
    fn = source.function("get_model_dir")
    downloads = _ast.calls(fn, ["snapshot_download"])
    if not downloads:
        raise CannotTell("get_model_dir does not call snapshot_download, so how it treats a str path is unclear.")
    local_checks = _ast.calls(fn, _LOCAL_DIR_CHECKS)
    if local_checks:
        return Verdict(False, local_checks[0], "get_model_dir checks for a local directory before using the hub.")
    str_checks = [node for node in _ast.in_order(ast.walk(fn)) if isinstance(node, ast.If) and _is_str_check(node.test)]
    return Verdict(
        True,
        (str_checks or downloads)[0],
        "get_model_dir sends every str to snapshot_download without checking for a "
        "local directory, so only a pathlib.Path works as a local checkpoint.",
    )


def _is_str_check(test: ast.expr) -> bool:
    return any(
        _ast.call_name(call) == "isinstance" and len(call.args) == 2 and "str" in _ast.words(call.args[1])
        for call in _ast.calls(test)
    )


def local_source(repo_or_path: Any) -> Any:
    """A str naming an existing folder becomes a Path (liquid-audio sends every str to the hub)."""
    if isinstance(repo_or_path, str):
        expanded = os.path.expanduser(repo_or_path)
        if os.path.isdir(expanded):
            return Path(expanded)
    return repo_or_path


def _check(get_model_dir: Any, module: Any) -> None:
    text = _ast.source_text(get_model_dir)
    if "isinstance(repo_id, str)" not in text:
        raise Unfamiliar("get_model_dir does not look as expected")
    if any(word in text for word in ("is_dir", "isdir", "exists(")):
        raise NotNeeded("get_model_dir checks for a local folder")


def _wrap(original: Any, module: Any) -> Any:
    @functools.wraps(original)
    def get_model_dir(repo_id: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(repo_id, str) and os.path.isdir(repo_id):
            repo_id = Path(repo_id)
        return original(repo_id, *args, **kwargs)

    return get_model_dir


BUG = Bug(
    id="local-path",
    order=60,
    title="A local checkpoint path given as str is sent to the Hugging Face hub",
    module=UTILS_FILE,
    trigger="from_pretrained('/some/local/dir') with a str",
    symptom="huggingface_hub.errors.HFValidationError: Repo id must be in the form 'repo_name' or 'namespace/repo_name'",
    root_cause="get_model_dir treats every str as a hub repo id; only pathlib.Path is taken as local",
    expected="a str naming an existing folder loads from that folder",
    workaround="pass pathlib.Path('/some/local/dir')",
    fix="treat a str naming an existing directory as a local path",
    explicit=True,
    changes=(
        "A `str` naming an existing local folder is loaded from that folder, like a `pathlib.Path`; any other "
        "`str` goes to the hub as before."
    ),
    detect=detect,
    cases=(
        Case(
            trigger=f'processor = {PROCESSOR_CLASS}.from_pretrained(str(MODEL_DIR), device="cpu")',
            callsite_trigger='processor = load_processor(str(MODEL_DIR), device="cpu")',
            expect=Expect(("HFValidationError",), r"Repo id must", UTILS_FILE, "get_model_dir"),
            summary="load from a local folder given as str",
        ),
    ),
    callsite=Callsite(source=local_source),
    # processor.py and model/lfm2_audio.py bind get_model_dir at import: the engine replaces every binding
    runtime=(Wrap(UTILS_MODULE, None, "get_model_dir", _check, _wrap),),
    edits=(
        Edit(
            UTILS_FILE,
            "    if isinstance(repo_id, str):\n",
            "    if isinstance(repo_id, str) and not Path(repo_id).is_dir():\n",
        ),
        Edit(UTILS_FILE, "        cache_path = repo_id\n", "        cache_path = Path(repo_id)\n"),
    ),
    regression_test="""\
from liquid_audio import LFM2AudioProcessor


def test_from_pretrained_accepts_a_local_folder_given_as_str(tiny_checkpoint):
    processor = LFM2AudioProcessor.from_pretrained(str(tiny_checkpoint), device="cpu")
    assert processor.device.type == "cpu"
""",
    signatures=(Signature(r"Repo id must be in the form", ("HFValidationError",), mentions=LIQUID_AUDIO),),
)
