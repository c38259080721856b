"""The bug whose id is ``past_key_values.BUG.id``: generation uses the name transformers removes in 5.40."""

from __future__ import annotations

import pytest

from lfmdoctor.bugs import past_key_values
from lfmdoctor.results import Outcome

BUG = past_key_values.BUG


def _transformers_deprecates_the_old_name() -> bool:
    lfm2 = pytest.importorskip("transformers").Lfm2Model
    return past_key_values.takes_cache(lfm2.forward)


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence="past_key_values=cache")


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_case_reproduces_where_transformers_deprecates_the_name_and_every_fix_clears_it(bug_contract):
    deprecated = _transformers_deprecates_the_old_name()
    bug_contract.cases(BUG, before=Outcome.REPRODUCED if deprecated else Outcome.NOT_REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=_transformers_deprecates_the_old_name())


def test_the_deprecation_is_recorded_with_its_removal_version_and_liquid_audio_line(verified):
    from lfmdoctor.repro.deprecations import unique

    found = [d for d in unique(verified.values()) if d.bug == BUG.id]
    if not _transformers_deprecates_the_old_name():
        assert found == []
        return
    assert {(d.library, d.removal_version) for d in found} == {("transformers", "5.40.0")}
    assert all(d.frame.startswith("liquid_audio/model/lfm2_audio.py:") for d in found)


class _Lfm:
    def __init__(self, takes_cache: bool) -> None:
        self.calls: list[dict] = []
        self.forward = self._new if takes_cache else self._old

    def _new(self, inputs_embeds=None, cache=None, use_cache=None):
        self.calls.append({"cache": cache})

    def _old(self, inputs_embeds=None, past_key_values=None, use_cache=None):
        self.calls.append({"past_key_values": past_key_values})


class _Model:
    def __init__(self, takes_cache: bool) -> None:
        self.lfm = _Lfm(takes_cache)


def test_workaround_renames_the_keyword_where_transformers_takes_cache(monkeypatch):
    monkeypatch.setattr(past_key_values, "takes_cache", lambda forward: True)
    model = past_key_values.use_cache_keyword(_Model(takes_cache=True))
    model.lfm.forward(inputs_embeds=1, past_key_values="kv", use_cache=True)
    assert model.lfm.calls == [{"cache": "kv"}]
    assert past_key_values.use_cache_keyword(model) is model  # a second call adds no second layer


def test_workaround_leaves_an_older_transformers_alone(monkeypatch):
    monkeypatch.setattr(past_key_values, "takes_cache", lambda forward: False)
    model = past_key_values.use_cache_keyword(_Model(takes_cache=False))
    model.lfm.forward(inputs_embeds=1, past_key_values="kv", use_cache=True)
    assert model.lfm.calls == [{"past_key_values": "kv"}]


def test_the_warning_is_claimed_by_this_bug_only():
    from lfmdoctor.repro.deprecations import owner, removal_version

    message = "`past_key_values` is deprecated and will be removed in version 5.40.0 for `Lfm2Model.forward`."
    assert owner(message) == BUG.id
    assert removal_version(message) == "5.40.0"
    assert owner("`cache_params` is deprecated") is None
