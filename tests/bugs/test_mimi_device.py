"""The bug whose id is ``mimi_device.BUG.id``: Mimi's weights are read with a device string safetensors rejects.

Detector, edits, case, runtime fix, call-site loading hook and regression test.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest

from lfmdoctor.bugs import mimi_device
from lfmdoctor.bugs._ast import Source
from lfmdoctor.bugs._spec import RELEASES, CannotTell, NotNeeded, Unfamiliar
from lfmdoctor.results import Outcome

from .conftest import installed_with_edits, snippet

BUG = mimi_device.BUG


def mps_available() -> bool:
    return pytest.importorskip("torch").backends.mps.is_available()


def safetensors_rejects_mps() -> bool:
    from importlib.metadata import version

    return mimi_device._rejects_mps(version("safetensors"))


# --- detector -----------------------------------------------------------------------------------------


def mimi_source(load: str) -> Source:
    return snippet(
        f"""
        class LFM2AudioProcessor:
            @property
            def mimi(self):
                mimi_model = get_mimi(None, device=self.device)
                mimi_weights = {load}
                mimi_model.load_state_dict(mimi_weights, strict=True)
                return mimi_model
        """
    )


def test_detector_finds_the_device_string_passed_to_safetensors():
    verdict = BUG.detect(mimi_source("load_file(self.mimi_weights_path, device=str(self.device))"))
    assert verdict.present is True
    assert verdict.node.lineno == 6
    assert verdict.detail == (
        "The mimi property passes device=str(self.device) to safetensors' load_file, which rejects "
        '"mps:0" before safetensors 0.8.'
    )
    positional = BUG.detect(mimi_source("load_file(self.mimi_weights_path, self.device)"))
    assert positional.present is True and "device=self.device" in positional.detail


def test_detector_accepts_loading_on_the_cpu():
    verdict = BUG.detect(mimi_source('load_file(self.mimi_weights_path, device="cpu")'))
    assert verdict.present is False
    assert verdict.detail == "The mimi property loads weights on the CPU before moving them."
    default = BUG.detect(mimi_source("load_file(self.mimi_weights_path)"))
    assert default.present is False
    assert default.detail == "The mimi property calls load_file without a device, so weights load on the CPU."


def test_detector_cannot_tell_without_load_file():
    with pytest.raises(CannotTell, match="does not call load_file"):
        BUG.detect(mimi_source("torch.load(self.mimi_weights_path)"))
    with pytest.raises(CannotTell, match="has no LFM2AudioProcessor.mimi"):
        BUG.detect(snippet("class LFM2AudioProcessor:\n    pass\n"))


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, True, "load_file(self.mimi_weights_path, device=str(self.device))")


@pytest.mark.parametrize(
    "old, new, evidence",
    [
        ("device=str(self.device))", 'device="cpu")', 'device="cpu"'),
        (", device=str(self.device))", ")", "load_file(self.mimi_weights_path)"),
    ],
    ids=["cpu", "default"],
)
def test_detector_reads_loading_on_the_cpu_as_absent(bug_contract, tmp_path, old, new, evidence):
    bug_contract.variant(BUG, tmp_path, old, new, present=False, evidence=evidence)


# --- source edits -------------------------------------------------------------------------------------


def test_one_edit_per_release():
    for release in RELEASES:
        assert len([edit for edit in BUG.edits if edit.applies(release)]) == 1, release


def test_edits_on_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_edit_fixes_the_installed_liquid_audio():
    _, verdict = installed_with_edits(BUG)
    assert verdict.present is False, verdict.detail


# --- case and regression test -------------------------------------------------------------------------


def test_case_needs_mps_and_a_safetensors_that_rejects_mps_0():
    [case] = BUG.cases
    assert case.id == BUG.id and case.requires == ("mps", "safetensors_rejects_mps")
    assert BUG.expected == case.expected_text
    assert [thread.number for thread in BUG.threads] == [7, 30]


def test_case_reproduces_on_mps_with_an_old_safetensors_only_and_every_fix_stops_it(bug_contract):
    if not mps_available():
        expected = Outcome.SKIPPED
    else:
        expected = Outcome.REPRODUCED if safetensors_rejects_mps() else Outcome.NOT_REPRODUCED
    bug_contract.cases(BUG, expected)


def test_the_installed_safetensors_answers_mps_0_as_the_condition_says(tmp_path):
    """0.7.0 and older reject "mps:0" while parsing it, before torch is asked; 0.8 passes it on to torch."""
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    path = tmp_path / "one.safetensors"
    safetensors_torch.save_file({"x": torch.zeros(2)}, str(path))
    try:
        safetensors_torch.load_file(str(path), device="mps:0")
        rejected = False
    except Exception as error:  # SafetensorError when rejected; torch's RuntimeError where MPS is absent
        rejected = "mps:0 is invalid" in str(error)
    assert rejected is safetensors_rejects_mps()


def test_regression_test_fails_on_mps_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=mps_available())


@pytest.mark.parametrize(
    ("mps", "safetensors", "bites"),
    [(True, "0.7.0", True), (True, "0.6.2", True), (True, "0.8.0", False), (True, "0.10.1", False), (False, "0.7.0", False)],
)
def test_bites_only_with_mps_and_safetensors_before_0_8(mps, safetensors, bites):
    env = SimpleNamespace(torch=SimpleNamespace(mps_available=mps), packages={"safetensors": safetensors})
    assert BUG.bites_here(env) is bites


# --- runtime fix --------------------------------------------------------------------------------------


class Processor:
    """The shape of 1.1.0 and later: a property over ``_mimi``."""

    def __init__(self, weights: str) -> None:
        self.mimi_weights_path = weights
        self.device = "cpu"
        self._mimi = None

    @property
    def mimi(self):
        if self._mimi is None:
            from safetensors.torch import load_file

            self._mimi = load_file(self.mimi_weights_path, device=str(self.device))
        return self._mimi


class OldProcessor:
    """The shape of 0.0.0a1 and 1.0.0: a cached_property, no ``_mimi``."""

    def __init__(self, weights: str) -> None:
        self.mimi_weights_path = weights
        self.device = "cpu"

    @functools.cached_property
    def mimi(self):
        from safetensors.torch import load_file

        return load_file(self.mimi_weights_path, device=str(self.device))


def fixed_mimi(self):
    return self._load(self.mimi_weights_path, device="cpu")


def unfamiliar_mimi(self):
    return self._mimi


def test_runtime_check_knows_the_buggy_the_fixed_and_the_unfamiliar():
    la = pytest.importorskip("liquid_audio")
    [wrap] = BUG.runtime
    assert (wrap.module, wrap.owner, wrap.attr) == ("liquid_audio.processor", "LFM2AudioProcessor", "mimi")
    assert wrap.check(vars(la.LFM2AudioProcessor)["mimi"].fget, la.processor) is None
    assert wrap.check(Processor.mimi.fget, la.processor) is None
    assert wrap.check(vars(OldProcessor)["mimi"].func, la.processor) is None
    with pytest.raises(NotNeeded, match="on the CPU"):
        wrap.check(fixed_mimi, la.processor)
    with pytest.raises(Unfamiliar, match="does not look as expected"):
        wrap.check(unfamiliar_mimi, la.processor)


@pytest.fixture
def tiny_codec(tmp_path, monkeypatch):
    """A stand-in for Mimi (a Linear layer) with its weights on disk, and the devices load_file was asked for."""
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    weights = tmp_path / "mimi.safetensors"
    safetensors_torch.save_file(torch.nn.Linear(2, 2).state_dict(), str(weights))
    asked, real_load_file = [], safetensors_torch.load_file

    def load_file(path, device="cpu"):
        asked.append(device)
        return real_load_file(path, device=device)

    monkeypatch.setattr(safetensors_torch, "load_file", load_file)
    get_mimi = lambda checkpoint, device: torch.nn.Linear(2, 2).to(device)  # noqa: E731
    module = SimpleNamespace(moshi=SimpleNamespace(models=SimpleNamespace(loaders=SimpleNamespace(get_mimi=get_mimi))))
    return str(weights), module, asked


@pytest.mark.parametrize("shape", [Processor, OldProcessor], ids=["property", "cached_property"])
def test_runtime_wrap_reads_the_weights_on_the_cpu(tiny_codec, shape):
    torch = pytest.importorskip("torch")
    weights, module, asked = tiny_codec
    [wrap] = BUG.runtime
    raw = vars(shape)["mimi"]
    mimi = wrap.wrap(raw.fget if isinstance(raw, property) else raw.func, module)
    assert mimi.__name__ == "mimi"
    processor = shape(weights)
    model = mimi(processor)
    assert isinstance(model, torch.nn.Linear)
    assert asked == ["cpu"]
    if shape is Processor:
        assert processor._mimi is model


# --- call-site hook: load on the CPU, then move ------------------------------------------------------


class Moved:
    def __init__(self) -> None:
        self.moves: list[str] = []

    def to(self, device):
        self.moves.append(device)
        return self


class LoadedProcessor(Moved):
    def __init__(self, weights: str | None) -> None:
        super().__init__()
        self.mimi_weights_path = weights
        self.codec = Moved()
        self.codec_reads = 0

    @property
    def mimi(self):
        self.codec_reads += 1
        return self.codec


def recording_load(weights: str | None):
    calls = []

    def load(source, **kw):
        calls.append((source, kw))
        return LoadedProcessor(weights)

    return load, calls


def test_callsite_loads_on_cpu_then_moves_processor_and_mimi_to_mps(tmp_path):
    weights = tmp_path / "mimi.safetensors"
    weights.write_bytes(b"")
    load, calls = recording_load(str(weights))
    processor = BUG.callsite.load_processor(load, "repo", "mps", {"revision": "main"})
    assert calls == [("repo", {"device": "cpu", "revision": "main"})]
    assert processor.codec_reads == 1
    assert processor.moves == ["mps"] and processor.codec.moves == ["mps"]


def test_callsite_on_mps_without_mimi_weights_moves_the_processor_only(tmp_path):
    load, _ = recording_load(str(tmp_path / "absent.safetensors"))
    processor = BUG.callsite.load_processor(load, "repo", "mps:0", {})
    assert processor.codec_reads == 0 and processor.moves == ["mps:0"]


@pytest.mark.parametrize("device", ["cpu", "cuda", "cuda:1"])
def test_callsite_elsewhere_is_a_plain_load(device):
    load, calls = recording_load(None)
    processor = BUG.callsite.load_processor(load, "repo", device, {})
    assert calls == [("repo", {"device": device})]
    assert processor.moves == [] and processor.codec_reads == 0
