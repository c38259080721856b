"""Terminal output for ``lfmdoctor patch`` (status, apply, revert, verify). JSON goes through ``to_json``."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lfmdoctor.render import OUTCOME_STYLE, console
from lfmdoctor.results import Outcome, PatchResult, VerifyReport

RESULT_STYLE = {
    "applied": "green",
    "reverted": "green",
    "already applied": "green",
    "not needed": "green",
    "not applied": "yellow",
    "partly applied": "yellow",
    "dry run": "cyan",
    "conflict": "red",
}
FILE_STYLE = {"original": "yellow", "patched": "green", "patched earlier": "yellow", "differs": "red", "missing": "red"}


def patch_result(result: PatchResult, out: Console | None = None) -> None:
    out = out or console()
    version = f"liquid-audio {result.version}" if result.version else "liquid-audio (version unknown)"
    out.print(f"[bold]lfmdoctor patch {result.action}[/bold]  {version} at {result.package_dir}")
    if result.patch:
        out.print(Text(f"stored patch: {result.patch}", style="dim"))
    width = max([9, *(len(file.state) for file in result.files)])
    for file in result.files:
        line = Text("  ")
        line.append(f"{file.state:<{width}}", style=FILE_STYLE.get(file.state, ""))
        line.append(f" {file.path}")
        out.print(line)
    line = Text("• ", style="bold")
    line.append(result.outcome, style=f"bold {RESULT_STYLE.get(result.outcome, '')}")
    line.append(f": {result.detail}")
    out.print(line)
    if result.present:
        out.print(Text(f"  known bugs in these files now: {', '.join(result.present)}", style="dim"))
    elif result.package_dir:
        out.print(Text("  the source checks find none of the known bugs in these files", style="dim"))
    if result.backup_dir:
        out.print(Text(f"  backup: {result.backup_dir}; undo with: lfmdoctor patch revert", style="dim"))


def verify_report(report: VerifyReport, out: Console | None = None) -> None:
    out = out or console()
    simulate = f", simulate {', '.join(report.simulate)}" if report.simulate else ""
    out.print(f"[bold]lfmdoctor patch verify[/bold]  model {report.model}, {report.python}{simulate}")
    table = Table(box=None, pad_edge=False)
    table.add_column("case", style="bold", no_wrap=True)
    table.add_column("before", no_wrap=True)
    for strategy in report.strategies:
        table.add_column(strategy, no_wrap=True)
    for case_id in dict.fromkeys(r.id for r in report.results):
        rows = {r.strategy: r for r in report.results if r.id == case_id}
        before = next(iter(rows.values())).before
        cells = [_cell(before, None)]
        cells += [_cell(before, rows[s].after) if s in rows else Text("") for s in report.strategies]
        table.add_row(case_id, *cells)
    out.print(table)
    reproduced = [r for r in report.results if r.before is Outcome.REPRODUCED]
    fixed = [r for r in reproduced if r.after is Outcome.NOT_REPRODUCED]
    if reproduced:
        out.print(f"[bold]• {len(fixed)} of {len(reproduced)} reproduced (case, strategy) pairs fixed[/bold]")
    else:
        out.print(
            "[bold]• no case reproduced without a fix here, so no fix had anything to change[/bold]\n"
            "  (after lfmdoctor patch apply the installed files are fixed already: lfmdoctor patch status says so)"
        )
    out.print(Text("  fixed: reproduced before, not after; works: not reproduced before or after", style="dim"))
    for result in report.results:
        if result.after in (Outcome.REPRODUCED, Outcome.ERROR):
            line = f"  {result.id} with {result.strategy}: {result.after.value}: {result.reason}"
            out.print(Text(line, style="red"))


# (mark, word, style) for a cell; before cells use the repro words
_BEFORE = {
    Outcome.REPRODUCED: ("✗", "reproduced"),
    Outcome.NOT_REPRODUCED: ("✓", "works"),
    Outcome.SKIPPED: ("-", "skipped"),
    Outcome.ERROR: ("!", "error"),
}
_AFTER = {Outcome.REPRODUCED: "still", Outcome.SKIPPED: "skipped", Outcome.ERROR: "error"}


def _cell(before: Outcome, after: Outcome | None) -> Text:
    if after is None:
        mark, word = _BEFORE[before]
        return Text(f"{mark} {word}", style=OUTCOME_STYLE[before][1])
    if after is Outcome.NOT_REPRODUCED:
        word = "fixed" if before is Outcome.REPRODUCED else "works"
    else:
        word = _AFTER[after]
    mark, style = OUTCOME_STYLE[after]
    return Text(f"{mark} {word}", style=style)
