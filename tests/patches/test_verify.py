"""lfmdoctor patch verify: every reproduction before and after each fix strategy, on this machine."""

from __future__ import annotations

import json

import pytest

from lfmdoctor.bugs import CASES, get_bug
from lfmdoctor.patches.verify import STRATEGIES

from .conftest import tree

pytestmark = pytest.mark.slow


# The command as a user runs it, on bugs of every kind: a device default, several inputs, a simulated condition,
# the detokenizer, a lazy (trainer) fix and a bug with a source fix only. That every bug's every fix clears its
# cases is the bug contract's (tests/bugs, on the same engine).
SAMPLE = ("processor-device", "audio-format", "flash-attn", "eoa-code", "train-mode", "demo-cuda")
SAMPLED = [c for c in CASES if c.bug in SAMPLE]


@pytest.fixture(scope="session")
def verified(liquid_audio_dir, tiny_checkpoint):
    """One ``lfmdoctor patch verify --json`` run (flash_attn stubbed so that bug shows too)."""
    from tests.conftest import run_cli

    installed = tree(liquid_audio_dir)
    bugs = [arg for bug in SAMPLE for arg in ("--bug", bug)]
    done = run_cli("patch", "verify", *bugs, "--simulate", "flash-attn", "--json")
    return done, json.loads(done.stdout or "{}"), tree(liquid_audio_dir) == installed


def test_json_contract(verified):
    done, data, _ = verified
    assert done.returncode == 0, done.stderr
    assert {(r["id"], r["strategy"]) for r in data["results"]} == {(c.id, s) for c in SAMPLED for s in STRATEGIES}
    outcomes = {"reproduced", "not_reproduced", "skipped", "error"}
    for result in data["results"]:
        assert set(result) >= {"id", "strategy", "before", "after"}
        assert result["before"] in outcomes and result["after"] in outcomes


def test_every_reproduced_bug_is_fixed_by_every_strategy_it_has(verified):
    _, data, _ = verified
    reproduced = {r["id"] for r in data["results"] if r["before"] == "reproduced"}
    assert {c.bug for c in CASES if c.id in reproduced} == set(SAMPLE)
    not_fixed = [
        (r["id"], r["strategy"], r["after"], r.get("reason"))
        for r in data["results"]
        if r["id"] in reproduced and r["after"] != "not_reproduced" and r["strategy"] in get_bug(r["bug"]).strategies
    ]
    assert not_fixed == []
    declined = [r for r in data["results"] if r["strategy"] not in get_bug(r["bug"]).strategies]
    assert declined and all(r["after"] == "skipped" and r["reason"].startswith(f"no {r['strategy']} fix: ") for r in declined)


def test_no_strategy_breaks_what_worked(verified):
    _, data, _ = verified
    broken = [
        (r["id"], r["strategy"], r["after"])
        for r in data["results"]
        if r["before"] in ("not_reproduced", "skipped") and r["after"] != r["before"]
    ]
    assert broken == []


def test_the_source_strategy_never_touches_the_install(verified):
    assert verified[2]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--strategy", "magic"], "--strategy"),
        (["--bug", "no-such-bug"], "unknown bug"),
        (["--simulate", "nope"], "--simulate"),
    ],
)
def test_bad_input_is_one_line_exit_2(cli, args, words):
    done = cli("patch", "verify", *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], done.stderr
