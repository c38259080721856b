"""The bug whose id is ``autocast_dtype.BUG.id``: a float32 model under torch.autocast crashes in _prefill."""

from __future__ import annotations

from lfmdoctor.bugs import autocast_dtype
from lfmdoctor.results import Outcome

from .conftest import snippet

BUG = autocast_dtype.BUG


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence="in_emb[audio_in_mask] = audio_in_emb")


def test_detector_reads_a_cast_put_as_absent(bug_contract, tmp_path):
    bug_contract.variant(
        BUG, tmp_path, autocast_dtype.PUT, autocast_dtype.CAST, present=False, evidence=autocast_dtype.CAST.strip()
    )


def test_detector_reads_embeddings_cast_where_they_are_made_as_absent():
    code = """\
        class LFM2AudioModel:
            def _prefill(self, text):
                text_emb = self.lfm.embed_tokens(text[0])
                audio_in_emb = self.audio_adapter(audio_enc).to(text_emb.dtype)
                in_emb = text_emb.new_empty((B, L, D))
                in_emb[text_mask] = text_emb
                in_emb[audio_in_mask] = audio_in_emb
        """
    assert BUG.detect(snippet(code)).present is False


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_cases_reproduce_here_and_every_fix_clears_them(bug_contract):
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


def test_workaround_is_idempotent_and_changes_nothing_without_autocast(tiny_checkpoint):
    import torch
    from liquid_audio import LFM2AudioModel

    model = LFM2AudioModel.from_pretrained(tiny_checkpoint, device="cpu", dtype=torch.float32).eval()
    features = torch.randn(3, model.conformer._feat_out)
    before = model.audio_adapter(features)
    assert autocast_dtype.autocast_ready(autocast_dtype.autocast_ready(model)) is model
    assert len(model.audio_adapter._forward_hooks) == 1
    assert torch.equal(model.audio_adapter(features), before)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model.audio_adapter(features).dtype == torch.float32
