"""The bug whose id is ``eoa_code.BUG.id``: decode rejects the end-of-audio code the model generates.

Detector, edit, case, runtime fix, call-site helper ``drop_end_of_audio`` and regression test.
"""

from __future__ import annotations

import ast

import pytest

from lfmdoctor.bugs import detokenizer_device, eoa_code
from lfmdoctor.bugs._ast import Source
from lfmdoctor.bugs._spec import CannotTell, NotNeeded, Unfamiliar
from lfmdoctor.results import Outcome

from .conftest import installed_with_edits, snippet

BUG = eoa_code.BUG
WITHOUT_DECODE = ("0.0.0a1", "1.0.0")
RAISE = 'raise RuntimeError("expected audio codes in range ")'


# --- detector -----------------------------------------------------------------------------------------

RANGE_CHECK = """\
        if torch.any(audio_codes >= 2048) or torch.any(audio_codes < 0):
            raise RuntimeError("expected audio codes in range ")
"""


def decode_source(body: str) -> Source:
    head = "class LFM2AudioProcessor:\n    def decode(self, audio_codes):\n"
    return snippet(head + body + "        return self.audio_detokenizer(audio_codes)\n")


def test_detector_finds_the_rejection():
    verdict = BUG.detect(decode_source(RANGE_CHECK))
    assert verdict.present is True
    assert isinstance(verdict.node, ast.Raise) and verdict.node.lineno == 4
    assert verdict.detail == (
        "LFM2AudioProcessor.decode raises on codes >= 2048, so frames with the end-of-audio code the model "
        "generates are rejected instead of dropped."
    )
    asserted = BUG.detect(decode_source("        assert (audio_codes < 2048).all()\n"))
    assert asserted.present is True


def test_detector_accepts_dropping_end_of_audio_first():
    verdict = BUG.detect(
        decode_source("        audio_codes = audio_codes[..., ~(audio_codes == 2048).all(dim=-2).flatten()]\n" + RANGE_CHECK)
    )
    assert verdict.present is False and verdict.node.lineno == 3
    assert verdict.detail == "LFM2AudioProcessor.decode drops end-of-audio frames before checking the code range."


def test_detector_accepts_no_rejection():
    verdict = BUG.detect(decode_source(""))
    assert verdict.present is False
    assert verdict.detail == "LFM2AudioProcessor.decode does not reject code 2048."


def test_detector_without_decode_says_absent():
    verdict = BUG.detect(snippet("class LFM2AudioProcessor:\n    pass\n"))
    assert verdict.present is False and verdict.node is None
    assert verdict.detail == "This release has no LFM2AudioProcessor.decode, so it cannot reject the end-of-audio code."


def test_detector_cannot_tell_without_the_processor():
    with pytest.raises(CannotTell, match="defines no class LFM2AudioProcessor"):
        BUG.detect(snippet("class Other:\n    pass\n"))


def test_detector_on_every_release(bug_contract, release):
    present = release not in WITHOUT_DECODE
    finding = bug_contract.detector(BUG, release, present, RAISE if present else None)
    if not present:
        assert "no LFM2AudioProcessor.decode" in finding.detail


@pytest.mark.parametrize(
    "new, evidence",
    [
        (
            "        audio_codes = audio_codes[..., (audio_codes != 2048).all(dim=1)[0]]\n"
            + RANGE_CHECK.replace("range ", "range [0, 2047]"),
            "!= 2048",
        ),
        ("", None),
    ],
    ids=["drop-first", "no-raise"],
)
def test_detector_reads_a_decode_that_takes_end_of_audio_as_absent(bug_contract, tmp_path, new, evidence):
    bug_contract.variant(BUG, tmp_path, RANGE_CHECK, new, present=False, evidence=evidence)


def test_detector_reads_a_wrapped_message_as_present(bug_contract, tmp_path):
    new = 'raise RuntimeError(\n                "expected audio codes in range "\n            )'
    bug_contract.variant(BUG, tmp_path, RAISE, new, present=True, evidence="raise RuntimeError(")


# --- source edit --------------------------------------------------------------------------------------


def test_fix_stands_alone_its_test_stubs_the_detokenizer():
    assert BUG.after == ()
    assert "processor._audio_detokenizer = passed_on.append" in BUG.regression_test
    [edit] = BUG.edits
    assert edit.releases == ("1.1.0", "1.2.0", "1.3.0")


def test_edits_on_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_edit_fixes_the_installed_liquid_audio():
    _, verdict = installed_with_edits(BUG)
    assert verdict.present is False, verdict.detail


# --- case and regression test -------------------------------------------------------------------------


def test_case_needs_decode():
    [case] = BUG.cases
    assert case.id == BUG.id and case.requires == ("decode",)
    assert BUG.expected == case.expected_text


def test_case_reproduces_and_every_fix_stops_it(bug_contract):
    bug_contract.cases(BUG, Outcome.REPRODUCED)


def test_regression_test_fails_now_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


# --- runtime fix --------------------------------------------------------------------------------------


def fixed_decode(self, audio_codes):
    audio_codes = audio_codes[..., ~(audio_codes == 2048).all(dim=-2).flatten()]
    return self.audio_detokenizer(audio_codes)


def unfamiliar_decode(self, audio_codes):
    return self.audio_detokenizer(audio_codes)


def test_runtime_check_knows_the_buggy_the_fixed_the_missing_and_the_unfamiliar():
    la = pytest.importorskip("liquid_audio")
    [wrap] = BUG.runtime
    assert (wrap.module, wrap.owner, wrap.attr) == ("liquid_audio.processor", "LFM2AudioProcessor", "decode")
    assert wrap.check(vars(la.LFM2AudioProcessor)["decode"], la.processor) is None
    with pytest.raises(NotNeeded, match="drops end-of-audio frames"):
        wrap.check(fixed_decode, la.processor)
    with pytest.raises(NotNeeded, match="no LFM2AudioProcessor.decode"):
        wrap.check(None, la.processor)
    with pytest.raises(Unfamiliar, match="does not look as expected"):
        wrap.check(unfamiliar_decode, la.processor)


def test_runtime_wrap_drops_end_of_audio_and_steps_aside_for_other_codes():
    """Issue 21 item 21: what the fix cannot mend is liquid-audio's own error, from liquid-audio's own line."""
    import traceback

    torch = pytest.importorskip("torch")
    received = []

    def decode(self, audio_codes):
        if torch.any(audio_codes >= 2048):
            raise RuntimeError(eoa_code.TRUNCATED_RANGE)
        received.append(audio_codes)
        return "waveform"

    wrapped = BUG.runtime[0].wrap(decode, None)
    frames = torch.zeros((1, 8, 4), dtype=torch.long)
    frames[..., -1] = 2048
    assert wrapped(None, frames) == "waveform"
    assert torch.equal(received[0], frames[..., :-1])
    with pytest.raises(RuntimeError) as raised:
        wrapped(None, torch.full((1, 8, 4), 4096))
    assert str(raised.value) == eoa_code.TRUNCATED_RANGE  # liquid-audio's own words
    last = traceback.extract_tb(raised.value.__traceback__)[-1]
    assert last.name == "decode" and last.line == "raise RuntimeError(eoa_code.TRUNCATED_RANGE)"


def test_runtime_wrap_makes_real_decode_take_generated_frames(cpu_processor):
    torch = pytest.importorskip("torch")
    la = pytest.importorskip("liquid_audio")
    decode = BUG.runtime[0].wrap(vars(la.LFM2AudioProcessor)["decode"], la.processor)
    processor = cpu_processor
    detokenizer_device.load_detokenizer(processor)  # this fix builds on the detokenizer's
    frames = torch.zeros((1, 8, 4), dtype=torch.long)
    frames[..., -1] = 2048
    assert torch.allclose(decode(processor, frames), processor.decode(frames[..., :-1]))


# --- call-site helper drop_end_of_audio ---------------------------------------------------------------


def test_helper_is_exported():
    assert BUG.callsite.helpers == (eoa_code.drop_end_of_audio,)


def test_drop_end_of_audio_drops_every_frame_holding_2048():
    """Issue 21 item 21: _sample_audio_frame draws each codebook from 2049 codes, and the generation loop turns a
    frame into end-of-audio only when codebook 0 drew 2048: a later codebook's 2048 reaches decode."""
    torch = pytest.importorskip("torch")
    frames = torch.arange(8 * 5).reshape(1, 8, 5)
    frames[..., -1] = 2048  # end of audio
    frames[0, 3, 1] = 2048  # a partial frame: codebook 3 drew 2048, codebook 0 did not
    frames[0, 0, 2] = 4096  # not a code at all: left for decode to reject
    kept = eoa_code.drop_end_of_audio(frames)
    assert torch.equal(kept, frames[..., [0, 2, 3]])
    assert torch.equal(eoa_code.drop_end_of_audio(frames[0]), frames[0, :, [0, 2, 3]])  # (8, T) works too


def test_a_partial_frame_decodes_with_the_fix(cpu_processor):
    torch = pytest.importorskip("torch")
    la = pytest.importorskip("liquid_audio")
    decode = BUG.runtime[0].wrap(vars(la.LFM2AudioProcessor)["decode"], la.processor)
    detokenizer_device.load_detokenizer(cpu_processor)
    frames = torch.zeros((1, 8, 4), dtype=torch.long)
    frames[0, 5, 1] = 2048
    frames[..., -1] = 2048
    assert torch.allclose(decode(cpu_processor, frames), cpu_processor.decode(frames[..., [0, 2]]))


def test_drop_end_of_audio_rejects_flat_codes():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=r"shaped \(1, 8, T\) or \(8, T\)"):
        eoa_code.drop_end_of_audio(torch.zeros(8, dtype=torch.long))


def test_dropped_frames_decode_with_the_detokenizer_on_cpu(cpu_processor):
    torch = pytest.importorskip("torch")
    processor = cpu_processor
    detokenizer_device.load_detokenizer(processor)
    frames = torch.zeros((1, 8, 4), dtype=torch.long)
    frames[..., -1] = 2048
    with pytest.raises(RuntimeError, match="expected audio codes in range"):
        processor.decode(frames)
    waveform = processor.decode(eoa_code.drop_end_of_audio(frames))
    assert waveform.shape[0] == 1 and torch.isfinite(waveform).all()
