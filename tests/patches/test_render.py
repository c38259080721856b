"""Terminal output of lfmdoctor patch, on exact strings."""

from __future__ import annotations

from rich.console import Console

from lfmdoctor.patches.render import patch_result, verify_report
from lfmdoctor.results import Outcome, PatchFile, PatchResult, VerifyReport, VerifyResult


def text(draw, result) -> str:
    out = Console(record=True, width=120, color_system=None)
    draw(result, out)
    return "\n".join(line.rstrip() for line in out.export_text().splitlines())


def test_verify_table():
    strategies = ["callsite", "runtime", "source"]
    results = [
        VerifyResult("local-path", "local-path", s, Outcome.REPRODUCED, Outcome.NOT_REPRODUCED, "ok") for s in strategies
    ]
    results += [
        VerifyResult(
            "eoa-code",
            "eoa-code",
            s,
            Outcome.REPRODUCED,
            Outcome.REPRODUCED if s == "runtime" else Outcome.NOT_REPRODUCED,
            "RuntimeError",
        )
        for s in strategies
    ]
    results += [
        VerifyResult("mimi-device", "mimi-device", s, Outcome.SKIPPED, Outcome.SKIPPED, "needs MPS") for s in strategies
    ]
    report = VerifyReport("fixture", "/py", [], strategies, results)
    assert text(verify_report, report) == (
        "lfmdoctor patch verify  model fixture, /py\n"
        "case         before        callsite   runtime    source\n"
        "local-path   ✗ reproduced  ✓ fixed    ✓ fixed    ✓ fixed\n"
        "eoa-code     ✗ reproduced  ✓ fixed    ✗ still    ✓ fixed\n"
        "mimi-device  - skipped     - skipped  - skipped  - skipped\n"
        "• 5 of 6 reproduced (case, strategy) pairs fixed\n"
        "  fixed: reproduced before, not after; works: not reproduced before or after\n"
        "  eoa-code with runtime: reproduced: RuntimeError"
    )
    assert report.exit_code == 1


def test_patch_result():
    result = PatchResult(
        action="apply",
        outcome="applied",
        package_dir="/site/liquid_audio",
        version="1.3.0",
        release="1.3.0",
        patch="liquid-audio+1.3.0.patch",
        files=[PatchFile("processor.py", "patched", "ab")],
        fixes=["local-path"],
        detail="patched processor.py; fixes local-path",
        backup_dir="/cache/backups/x",
    )
    assert text(patch_result, result) == (
        "lfmdoctor patch apply  liquid-audio 1.3.0 at /site/liquid_audio\n"
        "stored patch: liquid-audio+1.3.0.patch\n"
        "  patched   processor.py\n"
        "• applied: patched processor.py; fixes local-path\n"
        "  the source checks find none of the known bugs in these files\n"
        "  backup: /cache/backups/x; undo with: lfmdoctor patch revert"
    )
    assert result.exit_code == 0


def test_verify_with_nothing_reproduced_says_why_not_0_of_0():
    """Issue 21 item 26: patch verify after patch apply."""
    results = [VerifyResult("local-path", "local-path", "runtime", Outcome.NOT_REPRODUCED, Outcome.NOT_REPRODUCED, "ok")]
    shown = text(verify_report, VerifyReport("fixture", "/py", [], ["runtime"], results))
    assert "0 of 0" not in shown
    assert "no case reproduced without a fix here, so no fix had anything to change" in shown
    assert "lfmdoctor patch status" in shown
