"""The bug whose id is ``detokenizer_device.BUG.id``: the audio detokenizer is built with a hard-coded .cuda().

Detector, edit, case, runtime fix, call-site helper ``load_detokenizer`` and regression test.
"""

from __future__ import annotations

import ast
from types import SimpleNamespace

import pytest

from lfmdoctor.bugs import detokenizer_device
from lfmdoctor.bugs._spec import CannotTell, NotNeeded, Unfamiliar
from lfmdoctor.results import Outcome

from .conftest import cuda_usable, installed_with_edits, snippet

BUG = detokenizer_device.BUG
WITHOUT_DETOKENIZER = ("0.0.0a1", "1.0.0")


# --- detector -----------------------------------------------------------------------------------------

HARD_CODED = """
class LFM2AudioProcessor:
    @property
    def audio_detokenizer(self):
        if torch.cuda.is_available():
            pass
        detok = LFM2AudioDetokenizer(config).eval().cuda()
        return detok
"""
ON_DEVICE = """
class LFM2AudioProcessor:
    @property
    def audio_detokenizer(self):
        detok = LFM2AudioDetokenizer(config).eval().to(self.device)
        return detok
"""
NO_DETOKENIZER = """
class LFM2AudioProcessor:
    @property
    def mimi(self):
        return self._mimi
"""


def test_detector_finds_the_hard_coded_cuda():
    verdict = BUG.detect(snippet(HARD_CODED))
    assert verdict.present is True
    assert verdict.node.lineno == 7
    assert verdict.detail == (
        "audio_detokenizer builds the detokenizer with a hard-coded .cuda(), ignoring the processor's device."
    )


def test_detector_accepts_the_processors_device():
    verdict = BUG.detect(snippet(ON_DEVICE))
    assert verdict.present is False
    assert ast.unparse(verdict.node).endswith(".to(self.device)")
    assert verdict.detail == "audio_detokenizer has no hard-coded .cuda()."


def test_detector_without_a_detokenizer_says_absent():
    verdict = BUG.detect(snippet(NO_DETOKENIZER))
    assert verdict.present is False and verdict.node is None
    assert verdict.detail == "This release has no audio_detokenizer, so it cannot build one on the wrong device."


def test_detector_cannot_tell_without_the_processor():
    with pytest.raises(CannotTell, match="defines no class LFM2AudioProcessor"):
        BUG.detect(snippet("class Other:\n    pass\n"))


def test_detector_on_every_release(bug_contract, release):
    present = release not in WITHOUT_DETOKENIZER
    finding = bug_contract.detector(BUG, release, present, ".eval().cuda()" if present else None)
    if not present:
        assert "no audio_detokenizer" in finding.detail


def test_detector_reads_the_processors_device_as_absent(bug_contract, tmp_path):
    bug_contract.variant(
        BUG, tmp_path, ".eval().cuda()", ".eval().to(self.device)", present=False, evidence=".to(self.device)"
    )


def test_detector_reads_a_cuda_call_on_its_own_line_as_present(bug_contract, tmp_path):
    new = ".eval()\n            detok = detok.cuda()"
    bug_contract.variant(BUG, tmp_path, ".eval().cuda()", new, present=True, evidence="detok.cuda()")


# --- source edit --------------------------------------------------------------------------------------


def test_edit_applies_from_the_first_release_with_a_detokenizer():
    [edit] = BUG.edits
    assert edit.releases == ("1.1.0", "1.2.0", "1.3.0")


def test_edits_on_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_edit_fixes_the_installed_liquid_audio():
    _, verdict = installed_with_edits(BUG)
    assert verdict.present is False, verdict.detail


# --- case and regression test -------------------------------------------------------------------------


def test_case_needs_decode_and_no_usable_cuda():
    [case] = BUG.cases
    assert case.id == BUG.id and case.requires == ("decode", "cuda_unusable")
    assert BUG.expected == case.expected_text
    assert [thread.number for thread in BUG.threads] == [26, 30]


def test_case_reproduces_where_cuda_is_unusable_and_every_fix_stops_it(bug_contract):
    bug_contract.cases(BUG, Outcome.NOT_REPRODUCED if cuda_usable() else Outcome.REPRODUCED)


def test_regression_test_fails_now_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


def test_bites_only_without_cuda():
    def env(cuda_available):
        return SimpleNamespace(torch=SimpleNamespace(cuda_available=cuda_available))

    assert BUG.bites_here(env(None)) is None
    assert BUG.bites_here(env(False)) is True
    assert BUG.bites_here(env(True)) is False


# --- runtime fix --------------------------------------------------------------------------------------


def fixed_audio_detokenizer(self):
    self._audio_detokenizer = self._build(self.detokenizer_path).eval().to(self.device)
    return self._audio_detokenizer


def unfamiliar_audio_detokenizer(self):
    return self._audio_detokenizer


def test_runtime_check_knows_the_buggy_the_fixed_the_missing_and_the_unfamiliar():
    la = pytest.importorskip("liquid_audio")
    [wrap] = BUG.runtime
    assert (wrap.module, wrap.owner, wrap.attr) == ("liquid_audio.processor", "LFM2AudioProcessor", "audio_detokenizer")
    assert wrap.check(vars(la.LFM2AudioProcessor)["audio_detokenizer"].fget, la.processor) is None
    with pytest.raises(NotNeeded, match="on the processor's device"):
        wrap.check(fixed_audio_detokenizer, la.processor)
    with pytest.raises(NotNeeded, match="no audio detokenizer"):
        wrap.check(None, la.processor)
    with pytest.raises(Unfamiliar, match="does not look as expected"):
        wrap.check(unfamiliar_audio_detokenizer, la.processor)


def test_runtime_wrap_builds_the_detokenizer_on_the_processors_device(cpu_processor):
    la = pytest.importorskip("liquid_audio")
    [wrap] = BUG.runtime
    fget = wrap.wrap(vars(la.LFM2AudioProcessor)["audio_detokenizer"].fget, la.processor)
    assert fget.__name__ == "audio_detokenizer"
    detokenizer = fget(cpu_processor)
    assert detokenizer is cpu_processor._audio_detokenizer
    assert {p.device.type for p in detokenizer.parameters()} == {"cpu"}


# --- call-site helper load_detokenizer (from tests/patches/test_callsite.py) -------------------------


def test_helper_is_exported():
    assert BUG.callsite.helpers == (detokenizer_device.load_detokenizer,)


def test_loaded_processor_gets_its_detokenizer_on_cpu(cpu_processor):
    torch = pytest.importorskip("torch")
    processor = cpu_processor
    assert BUG.callsite.processor_loaded(processor) is processor
    assert processor._audio_detokenizer is not None
    assert {p.device.type for p in processor._audio_detokenizer.parameters()} == {"cpu"}
    wave = processor.decode(torch.randint(0, 2048, (1, 8, 6)))
    assert wave.ndim == 2 and wave.shape[0] == 1 and wave.shape[1] > 0
    assert torch.isfinite(wave).all()


def test_loaded_processor_without_a_detokenizer_is_left_alone(cpu_processor):
    cpu_processor.detokenizer_path = None
    assert BUG.callsite.processor_loaded(cpu_processor) is cpu_processor
    assert cpu_processor._audio_detokenizer is None


def test_load_detokenizer_repairs_a_plain_cpu_processor(cpu_processor):
    torch = pytest.importorskip("torch")
    processor = cpu_processor
    if not torch.cuda.is_available():
        with pytest.raises((AssertionError, RuntimeError)):  # the hard-coded .cuda()
            processor.decode(torch.zeros((1, 8, 4), dtype=torch.long))
    detokenizer = detokenizer_device.load_detokenizer(processor)
    assert processor._audio_detokenizer is detokenizer
    assert not detokenizer.training
    reference = processor.decode(torch.zeros((1, 8, 4), dtype=torch.long))
    assert reference.shape[0] == 1 and torch.isfinite(reference).all()


def test_load_detokenizer_needs_a_detokenizer_folder(cpu_processor):
    cpu_processor.detokenizer_path = None
    with pytest.raises(ValueError, match="no audio_detokenizer"):
        detokenizer_device.load_detokenizer(cpu_processor)
