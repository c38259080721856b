"""Deprecations liquid-audio code sets off in a library: recorded by the children, typed and owned by the parent."""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
import warnings
from pathlib import Path

from lfmdoctor import child_protocol
from lfmdoctor.bugs import past_key_values
from lfmdoctor.repro.deprecations import from_records, owner, removal_version, unique
from lfmdoctor.results import Deprecation, ExceptionInfo, Outcome, ReproOutcome

LIBRARY = """\
import warnings
from pathlib import Path


def old():
    warnings.warn("old() is deprecated and will be removed in version 9.0.", FutureWarning, stacklevel=2)
"""
CALLER = "import fakelib\n\n\ndef go():\n    fakelib.old()\n"


def test_a_warning_through_liquid_audio_code_is_recorded_with_library_and_line(tmp_path, monkeypatch):
    site = tmp_path / "site-packages"
    (site / "fakelib").mkdir(parents=True)
    (site / "fakelib" / "__init__.py").write_text(LIBRARY)
    (tmp_path / "liquid_audio").mkdir()
    (tmp_path / "liquid_audio" / "__init__.py").write_text("")
    (tmp_path / "liquid_audio" / "caller.py").write_text(CALLER)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("fakelib", "liquid_audio", "liquid_audio.caller"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    caller = importlib.import_module("liquid_audio.caller")
    with warnings.catch_warnings():
        met = child_protocol.watch_deprecations(str(tmp_path / "liquid_audio"))
        caller.go()
        caller.go()  # the same warning from the same line: once
        warnings.warn("not through liquid-audio", FutureWarning, stacklevel=1)
    assert met == [
        {
            "category": "FutureWarning",
            "message": "old() is deprecated and will be removed in version 9.0.",
            "library": "fakelib",
            "version": None,
            "frame": "liquid_audio/caller.py:5",
        }
    ]
    [found] = from_records(met)
    assert (found.removal_version, found.bug) == ("9.0", None)  # a drift no bug module describes yet


def test_known_warnings_belong_to_their_bug_and_each_counts_once():
    message = "`past_key_values` is deprecated and will be removed in version 5.40.0 for `Lfm2Model.forward`."
    assert owner(message) == past_key_values.BUG.id and removal_version(message) == "5.40.0"
    record = {"library": "transformers", "version": "5.24.0", "message": message, "frame": "liquid_audio/m.py:1"}
    outcomes = [
        ReproOutcome(f"c{i}", "b", Outcome.NOT_REPRODUCED, ExceptionInfo("E", "m"), [], 0.0, "", None, from_records([record]))
        for i in range(2)
    ]
    assert unique(outcomes) == [
        Deprecation("transformers", "5.24.0", "5.40.0", message, "liquid_audio/m.py:1", "past-key-values")
    ]


def test_a_deprecation_torch_raises_in_compiled_code_is_torchs_and_no_bugs():
    """liquid-audio's conformer asks ``torch.get_autocast_gpu_dtype()`` (deprecated) whenever CUDA autocast is on,
    as in fine-tuning on a GPU; torch warns from C++, so the innermost Python frame is liquid-audio's own line."""
    torch = importlib.import_module("torch")
    # the installed one, by path: another test here lays a throw-away liquid_audio package over it in sys.modules
    liquid_audio_dir = Path(importlib.metadata.distribution("liquid-audio").locate_file("liquid_audio"))
    utils = child_protocol.load_file("conformer_utils", str(liquid_audio_dir / "model" / "conformer" / "utils.py"))
    with warnings.catch_warnings():
        met = child_protocol.watch_deprecations(str(liquid_audio_dir))
        torch.set_autocast_enabled("cuda", True)  # the flag alone: no GPU is needed to read it
        try:
            utils.avoid_float16_autocast_context()  # also warns that CUDA autocast is off here: not a deprecation
        finally:
            torch.set_autocast_enabled("cuda", False)
    [record] = met
    line = next(
        n for n, text in enumerate(Path(utils.__file__).read_text().splitlines(), 1) if "get_autocast_gpu_dtype" in text
    )
    assert (record["category"], record["library"], record["version"]) == (
        "DeprecationWarning",
        "torch",
        torch.__version__.split("+")[0],
    )
    assert record["message"].startswith("torch.get_autocast_gpu_dtype() is deprecated")
    assert record["frame"] == f"liquid_audio/model/conformer/utils.py:{line}"
    [found] = from_records(met)
    assert found.bug is None  # a drift no bug module describes yet


def test_a_library_laid_over_from_an_overlay_is_named_by_its_package(monkeypatch):
    """A matrix cell lays transformers over the target from a provision folder (not site-packages): its
    deprecation is transformers', not "deprecation.py"'s."""
    from lfmdoctor.child_protocol import library_of

    monkeypatch.setattr(sys, "path", ["/cache/provision/transformers-5.25.0-ab12", *sys.path])
    assert library_of("/cache/provision/transformers-5.25.0-ab12/transformers/utils/deprecation.py") == "transformers"
    assert library_of("/env/lib/python3.12/site-packages/torch/amp/autocast_mode.py") == "torch"
