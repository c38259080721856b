"""The bug whose id is ``flash_attn.BUG.id``: flash_attention_2 is chosen whenever flash_attn imports."""

from __future__ import annotations

import sys

import pytest

from lfmdoctor.bugs import flash_attn
from lfmdoctor.bugs._spec import CONDITIONS
from lfmdoctor.results import Outcome

BUG = flash_attn.BUG
CHOICE = 'if module_exists("flash_attn"):'
CHOICE_BLOCK = (
    f"        {CHOICE}\n"
    '            model.lfm.set_attn_implementation("flash_attention_2")\n'
    "        else:\n"
    '            model.lfm.set_attn_implementation("sdpa")\n'
)


def test_detector_on_every_release(bug_contract, release):
    bug_contract.detector(BUG, release, present=True, evidence='module_exists("flash_attn")')


@pytest.mark.parametrize(
    "old, new, evidence",
    [
        (CHOICE, 'if module_exists("flash_attn") and device.type == "cuda" and dtype != torch.float32:', "device.type"),
        (CHOICE, 'use_flash = module_exists("flash_attn") and device.type == "cuda"\n        if use_flash:', "if use_flash:"),
        (
            CHOICE_BLOCK,
            '        if attn_implementation == "flash_attention_2" and device.type != "cuda":\n'
            '            attn_implementation = "sdpa"\n'
            "        model.lfm.set_attn_implementation(attn_implementation)\n",
            None,
        ),
    ],
    ids=["cuda-condition", "flag", "caller-chooses"],
)
def test_detector_reads_a_cuda_only_choice_as_absent(bug_contract, tmp_path, old, new, evidence):
    bug_contract.variant(BUG, tmp_path, old, new, present=False, evidence=evidence)


def test_detector_reads_find_spec_as_present(bug_contract, tmp_path):
    new = 'if importlib.util.find_spec("flash_attn") is not None:'
    bug_contract.variant(BUG, tmp_path, CHOICE, new, present=True, evidence="find_spec")


def test_source_edits_fix_every_release(bug_contract, release, tmp_path):
    bug_contract.edits(BUG, release, tmp_path)


def test_case_reproduces_with_the_declared_stub_and_every_fix_clears_it(bug_contract):
    [case] = BUG.cases
    assert [CONDITIONS[name].simulate.stub for name in case.requires] == ["flash_attn"]
    bug_contract.cases(BUG, before=Outcome.REPRODUCED)


def test_upstream_regression_test_fails_today_and_passes_fixed(bug_contract):
    bug_contract.regression_test(BUG, fails_here=True)


def test_without_flash_attn_hides_the_module_and_restores_it(monkeypatch):
    import importlib.util

    sentinel = object()
    monkeypatch.setitem(sys.modules, "flash_attn", sentinel)
    with flash_attn.without_flash_attn():
        assert importlib.util.find_spec("flash_attn") is None
    assert sys.modules["flash_attn"] is sentinel


def test_flash_attention_can_run_only_on_cuda_in_half_precision():
    torch = pytest.importorskip("torch")
    assert flash_attn.flash_attention_can_run("cuda", torch.bfloat16)
    assert flash_attn.flash_attention_can_run("cuda:0", None)
    assert not flash_attn.flash_attention_can_run("cuda", torch.float32)
    assert not flash_attn.flash_attention_can_run("cpu", torch.bfloat16)
    assert not flash_attn.flash_attention_can_run("mps", torch.float16)
