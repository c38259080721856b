"""lfmdoctor.render: what repro and the help texts say (issue 21 item 26)."""

from __future__ import annotations

import typer
from rich.console import Console

from lfmdoctor.render import repro_report
from lfmdoctor.results import Outcome, ReproOutcome, ReproReport


def shown(report: ReproReport) -> str:
    out = Console(record=True, width=120, color_system=None)
    repro_report(report, out=out)
    return " ".join(out.export_text().split())


def _report(*outcomes: Outcome) -> ReproReport:
    results = [ReproOutcome(f"bug-{n}", f"bug-{n}", o, None, [], 0.1, "why") for n, o in enumerate(outcomes)]
    return ReproReport("fixture", "/py", [], results)


def test_repro_words_not_codes_and_a_next_step():
    text = shown(_report(Outcome.REPRODUCED, Outcome.NOT_REPRODUCED))
    assert "not_reproduced" not in text and "not reproduced" in text
    assert "next: lfmdoctor patch verify" in text


def test_repro_with_nothing_reproduced_says_what_next():
    text = shown(_report(Outcome.NOT_REPRODUCED))
    assert "next: nothing to fix here" in text and "lfmdoctor check" in text


def _help(*path: str) -> dict[str, str]:
    from lfmdoctor.cli import app

    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return {param.name: param.help or "" for param in command.params}


def test_help_says_what_the_options_do():
    from lfmdoctor.cli import app

    assert "--strategy none" in _help("bench")["dtype"] and "full-size" in _help("bench")["dtype"]
    out = _help("run")["out"]
    assert "the diff" not in out and "report.md" not in out and "series/" in out and "README.md" in out
    assert "10 s" in _help("check")["perf"]
    assert "builds" in _help("fixture", "build")["python"]
    usage = typer.main.get_command(app).commands["exec"].options_metavar
    assert "-- COMMAND" in usage


EVIDENCE = "/home/someone/.virtualenvs/a-long-environment-name/lib/python3.12/site-packages/liquid_audio/processor.py:61"


def test_check_evidence_is_never_cut_at_80_columns():
    """Issue 21 item 16: the path:line a check row gives is wrapped, never cut with an ellipsis."""
    from types import SimpleNamespace

    from lfmdoctor.render import check_report
    from lfmdoctor.results import CheckItem, Status

    item = CheckItem("processor-device", Status.ERROR, f"defaults to device='cuda' ({EVIDENCE})", ["detail"], hint="pass it")
    report = SimpleNamespace(environment=SimpleNamespace(os="Linux", arch="x86_64", python_executable="/py"), items=[item])
    out = Console(record=True, width=80, color_system=None)
    check_report(report, out)
    text = out.export_text()
    assert "…" not in text and EVIDENCE in "".join(text.split())


def test_repro_evidence_is_never_cut_at_80_columns():
    from lfmdoctor.results import ExceptionInfo

    result = ReproOutcome("bug-0", "bug-0", Outcome.REPRODUCED, ExceptionInfo("RuntimeError", "boom"), [EVIDENCE], 0.1, "")
    out = Console(record=True, width=80, color_system=None)
    repro_report(ReproReport("fixture", "/py", [], [result]), out=out)
    text = out.export_text()
    assert "…" not in text and EVIDENCE in "".join(text.split())


def test_run_summary_is_short_and_its_counts_agree():
    """Issue 21 item 27: not a wall of file paths; the three files to open first; one set of counts."""
    from lfmdoctor.job import RunSummary
    from lfmdoctor.render import run_summary

    summary = RunSummary(out="/r", reproduced=["a", "b"], fixed={"callsite": ["a", "b", "c"], "runtime": ["a"]})
    summary.files = [f"reproducers/{n}.py" for n in range(20)] + [f"series/{n:04}-x.patch" for n in range(15)]
    summary.files += ["README.md", "results.json", "prs/harness.md"]
    summary.first = ["README.md", "prs/harness.md", "results.json"]
    out = Console(record=True, width=100, color_system=None)
    run_summary(summary, out)
    text = out.export_text()
    assert "series/0003" not in text and len(text.splitlines()) <= 8, text
    assert "open first: /r/README.md, /r/prs/harness.md, /r/results.json" in " ".join(text.split())
    assert "38 files in all, listed in /r/README.md" in " ".join(text.split())
    assert "callsite fix makes 2 of them pass" in text and "runtime fix makes 1 of them pass" in text


def test_reproduced_cases_are_grouped_by_bug():
    from lfmdoctor.render import by_bug

    assert by_bug(["top-k:zero", "eoa-code", "top-k:negative"]) == "top-k (2 cases), eoa-code"


def test_repro_where_cases_ended_in_errors_does_not_say_nothing_to_fix():
    text = shown(_report(Outcome.ERROR))
    assert "nothing to fix" not in text and "next: each case that ended in an error says why" in text
