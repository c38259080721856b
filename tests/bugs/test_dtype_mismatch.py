"""The bug whose id is ``dtype_mismatch.BUG.id``: the conformer input is not cast to the model's dtype.

Detector, edit, case, runtime fix, call-site helper ``chat_state`` and regression test.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lfmdoctor.bugs import dtype_mismatch
from lfmdoctor.bugs._ast import Source
from lfmdoctor.bugs._spec import CannotTell, NotNeeded, Unfamiliar
from lfmdoctor.results import Outcome

from .conftest import installed, installed_with_edits, snippet

BUG = dtype_mismatch.BUG
CASTING = ("1.2.0", "1.3.0")  # upstream casts the conformer input from 1.2.0


# --- detector -----------------------------------------------------------------------------------------


def prefill_source(conformer_call: str) -> Source:
    return snippet(
        f"""
        class LFM2AudioModel:
            def _prefill(self, *, text, audio_in, audio_in_lens, audio_out, modality_flag):
                text_emb = self.lfm.embed_tokens(text)
                padded_audio_in = audio_in
                audio_enc, audio_in_len = {conformer_call}
                return audio_enc
        """
    )


def test_detector_finds_the_uncast_conformer_input():
    verdict = BUG.detect(prefill_source("self.conformer(padded_audio_in.mT, audio_in_lens)"))
    assert verdict.present is True
    assert verdict.node.lineno == 6
    assert verdict.detail == (
        "_prefill feeds the conformer its input without casting it to the model dtype, so "
        "bfloat16 audio breaks a float32 model."
    )


def test_detector_accepts_a_cast():
    for call in (
        "self.conformer(padded_audio_in.mT.to(text_emb.dtype), audio_in_lens)",
        "self.conformer(features=padded_audio_in.mT.type(text_emb.dtype), lengths=audio_in_lens)",
    ):
        verdict = BUG.detect(prefill_source(call))
        assert verdict.present is False, call
        assert verdict.detail == "_prefill casts the conformer input to the model dtype."


def test_detector_cannot_tell_without_a_conformer_call():
    with pytest.raises(CannotTell, match="does not call self.conformer"):
        BUG.detect(prefill_source("self.encoder(padded_audio_in.mT, audio_in_lens)"))
    with pytest.raises(CannotTell, match="has no LFM2AudioModel._prefill"):
        BUG.detect(snippet("class LFM2AudioModel:\n    pass\n"))


def test_detector_on_every_release(bug_contract, release):
    if release in CASTING:
        bug_contract.detector(BUG, release, False, ".to(text_emb.dtype)")
    else:
        bug_contract.detector(BUG, release, True, "self.conformer(padded_audio_in.mT, audio_in_lens)")


def test_detector_reads_the_cast_removed_as_present(bug_contract, tmp_path):
    old, new = ".mT.to(text_emb.dtype)", ".mT"
    bug_contract.variant(BUG, tmp_path, old, new, present=True, evidence="self.conformer(padded_audio_in.mT,")


# --- source edit --------------------------------------------------------------------------------------


def test_edit_applies_before_upstreams_fix():
    [edit] = BUG.edits
    assert edit.releases == ("0.0.0a1", "1.0.0", "1.1.0")
    assert edit.new in installed(BUG.module).read_text()  # the line as upstream fixed it


def test_edits_on_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_installed_liquid_audio_is_already_fixed():
    assert not [edit for edit in BUG.edits if edit.applies("1.3.0")]
    _, verdict = installed_with_edits(BUG, "1.3.0")
    assert verdict.present is False, verdict.detail


# --- case and regression test -------------------------------------------------------------------------


def test_case_uses_the_processor_and_the_model():
    [case] = BUG.cases
    assert case.id == BUG.id and case.needs == ("processor", "model")
    assert BUG.expected == case.expected_text


def test_case_does_not_reproduce_on_the_fixed_release(bug_contract):
    bug_contract.cases(BUG, Outcome.NOT_REPRODUCED)


def test_regression_test_passes_on_the_fixed_release(bug_contract):
    bug_contract.regression_test(BUG, fails_here=False)


# --- runtime fix --------------------------------------------------------------------------------------


def buggy_prefill(self, *, text, audio_in, audio_in_lens, audio_out, modality_flag):
    padded_audio_in = audio_in
    return self.conformer(padded_audio_in.mT, audio_in_lens)


def unfamiliar_prefill(self, *, text, audio_in, audio_in_lens, audio_out, modality_flag):
    return self.conformer(audio_in, audio_in_lens)


def test_runtime_check_knows_the_buggy_the_fixed_and_the_unfamiliar():
    la = pytest.importorskip("liquid_audio")
    from liquid_audio.model import lfm2_audio

    [wrap] = BUG.runtime
    assert (wrap.module, wrap.owner, wrap.attr) == ("liquid_audio.model.lfm2_audio", "LFM2AudioModel", "_prefill")
    assert wrap.check(buggy_prefill, lfm2_audio) is None
    with pytest.raises(NotNeeded, match="casts the conformer input"):
        wrap.check(vars(la.LFM2AudioModel)["_prefill"], lfm2_audio)
    with pytest.raises(Unfamiliar, match="does not look as expected"):
        wrap.check(unfamiliar_prefill, lfm2_audio)


def test_runtime_wrap_casts_audio_to_the_models_dtype():
    torch = pytest.importorskip("torch")
    seen = []

    def _prefill(self, *, text, audio_in, audio_in_lens, audio_out, modality_flag):
        seen.append(audio_in)
        return "embeddings"

    wrapped = BUG.runtime[0].wrap(_prefill, None)
    model = SimpleNamespace(lfm=SimpleNamespace(embed_tokens=SimpleNamespace(weight=torch.zeros(1, dtype=torch.float32))))
    features = torch.ones((128, 5), dtype=torch.bfloat16)
    common = {"text": None, "audio_in_lens": None, "audio_out": None, "modality_flag": None}
    assert wrapped(model, audio_in=features, **common) == "embeddings"
    assert seen[-1].dtype == torch.float32 and torch.equal(seen[-1], features.float())
    wrapped(model, audio_in=None, **common)  # text-only chats have no audio to cast
    assert seen[-1] is None


# --- call-site helper chat_state ----------------------------------------------------------------------


def test_helper_is_exported():
    assert BUG.callsite.helpers == (dtype_mismatch.chat_state,)


def test_chat_state_follows_the_models_dtype(cpu_processor):
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(2, 2)  # float32 parameters, like a model loaded with dtype=torch.float32
    chat = dtype_mismatch.chat_state(cpu_processor, model)
    assert chat.dtype == torch.float32 and chat.audio_in.dtype == torch.float32


def test_chat_state_keeps_an_explicit_dtype_and_liquid_audios_default(cpu_processor):
    torch = pytest.importorskip("torch")
    assert dtype_mismatch.chat_state(cpu_processor, torch.nn.Linear(2, 2), dtype=torch.float16).dtype == torch.float16
    assert dtype_mismatch.chat_state(cpu_processor).dtype == torch.bfloat16
    assert dtype_mismatch.chat_state(cpu_processor, codebooks=4).codebooks == 4
