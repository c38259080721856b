"""Terminal and JSON output for the CLI: result objects, step progress, the one-line error."""

from __future__ import annotations

import codecs
import json
import os
import sys
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lfmdoctor.results import CheckReport, Outcome, Status

STYLE = {Status.OK: "green", Status.WARNING: "yellow", Status.ERROR: "red"}


def console(stderr: bool = False) -> Console:
    """A console for stdout or stderr; ``NO_COLOR`` (any non-empty value) means no styling at all."""
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(stderr=stderr, highlight=False, soft_wrap=False, **({"color_system": None} if plain else {}))


# What the terminal shows where it cannot encode lfmdoctor's glyphs (a Latin-1 or ASCII locale).
ASCII_GLYPHS = {"✓": "+", "✗": "x", "•": "*", "…": "...", "→": "->", "—": "-", "–": "-", "×": "x", "≥": ">=", "≤": "<="}
ASCII_ERRORS = "lfmdoctor-ascii"


def _ascii_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(ASCII_GLYPHS.get(char, "?") for char in bad), exc.end


codecs.register_error(ASCII_ERRORS, _ascii_fallback)


def is_utf8(stream: Any) -> bool:
    return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "utf-8"


def prepare_streams() -> None:
    """A terminal that is not UTF-8 gets ASCII stand-ins for what it cannot show, never an encoding error."""
    for stream in (sys.stdout, sys.stderr):
        if not is_utf8(stream) and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors=ASCII_ERRORS)
            except (ValueError, OSError, LookupError):
                pass


def json_text(data: Any, *, ascii_only: bool = False) -> str:
    return json.dumps(data, indent=2, ensure_ascii=ascii_only) + "\n"


def print_json(data: Any) -> None:
    sys.stdout.write(json_text(data, ascii_only=not is_utf8(sys.stdout)))  # \u escapes keep the JSON exact


def fail(message: str) -> None:
    """One-line error on stderr (never wrapped, whatever the width); the caller exits 2."""
    err = console(stderr=True)
    err.soft_wrap = True
    err.print(Text(f"lfmdoctor: error: {' '.join(message.split())}", style="bold red"))


class StepLines:
    """``lfmdoctor run``'s progress: a spinner while a step runs, then one line with its time and note."""

    def __init__(self, out: Console) -> None:
        self.out = out

    def step(self, name: str) -> AbstractContextManager[object]:
        return self.out.status(f"{name}…")

    def done(self, step) -> None:
        mark = "[red]✗[/red]" if getattr(step, "failed", False) else "[green]✓[/green]"
        self.out.print(f"{mark} {step.name} [dim]{step.seconds:.1f} s {step.note}[/dim]")


class StepNames:
    """``lfmdoctor report``'s progress: each step's name, on a terminal only (the document goes to stdout)."""

    def __init__(self, out: Console) -> None:
        self.out = out

    def step(self, name: str) -> AbstractContextManager[object]:
        if self.out.is_terminal:
            self.out.print(f"[dim]{name}…[/dim]")
        return nullcontext()

    def done(self, step) -> None:
        pass


def check_report(report: CheckReport, out: Console | None = None) -> None:
    out = out or console()
    env = report.environment
    out.print(f"[bold]lfmdoctor check[/bold]  {env.os} {env.arch}, {env.python_executable}")
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(width=1)
    table.add_column(style="bold")
    table.add_column(overflow="fold")  # evidence (path:line) is wrapped, never cut
    for item in report.items:
        lines = Text(item.summary)
        for message in item.messages if item.status is not Status.OK or item.name in ("PyTorch",) else []:
            lines.append(f"\n  • {message}", style="dim")
        if item.hint:
            lines.append(f"\n  fix: {item.hint}", style="cyan")
        table.add_row(Text(item.status.mark, style=STYLE[item.status]), item.name, lines)
    out.print(table)
    errors = [i for i in report.items if i.status is Status.ERROR]
    warnings = [i for i in report.items if i.status is Status.WARNING]
    if not errors and not warnings:
        out.print("[green]• No issues found.[/green]")
    else:
        out.print(
            f"[bold]• Found {len(errors)} problem(s) and {len(warnings)} warning(s) in {len(report.items)} categories.[/bold]"
        )


OUTCOME_STYLE = {
    Outcome.REPRODUCED: ("✗", "red"),
    Outcome.NOT_REPRODUCED: ("✓", "green"),
    Outcome.SKIPPED: ("-", "dim"),
    Outcome.ERROR: ("!", "yellow"),
}


def case_list(cases, simulations, out: Console | None = None) -> None:
    out = out or console()
    table = Table("case", "bug", "what it does", box=None)
    for case in cases:
        table.add_row(case.id, case.bug, case.summary)
    out.print(table)
    out.print("simulations: " + "; ".join(f"{k}: {v}" for k, v in simulations.items()))


def repro_report(report, emitted=None, out: Console | None = None) -> None:
    out = out or console()
    out.print(
        f"[bold]lfmdoctor repro[/bold]  model {report.model}, {report.python}"
        + (f", simulate {', '.join(report.simulate)}" if report.simulate else "")
    )
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(width=1)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")  # evidence (path:line) is wrapped, never cut
    for result in report.results:
        mark, style = OUTCOME_STYLE[result.outcome]
        detail = Text(result.reason)
        if result.exception and result.outcome is Outcome.REPRODUCED:
            detail = Text(f"{result.exception.type}: {result.exception.message or '(empty message)'}")
            detail.append(f"\n  at {result.frames[-1]}" if result.frames else "", style="dim")
        table.add_row(Text(mark, style=style), result.id, Text(result.outcome.value.replace("_", " "), style=style), detail)
    out.print(table)
    counts: dict[str, int] = {}
    for result in report.results:
        counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
    out.print("[bold]• " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()) + "[/bold]")
    deprecations(report.deprecations, out)
    if emitted is not None:
        out.print(f"reproducer scripts written to {emitted}")
    if counts.get(Outcome.REPRODUCED.value):
        out.print(
            "next: lfmdoctor patch verify (each fix against these cases), then lfmdoctor exec -- python your_script.py "
            "to run yours fixed, or lfmdoctor run for the whole report",
            soft_wrap=True,
        )
    elif counts.get(Outcome.ERROR.value):
        out.print("next: each case that ended in an error says why; lfmdoctor check shows what is missing", soft_wrap=True)
    else:
        out.print("next: nothing to fix here; lfmdoctor check says why each known bug does not bite", soft_wrap=True)


def deprecations(found, out: Console | None = None) -> None:
    """Library deprecations liquid-audio code set off: what breaks when those libraries move on."""
    out = out or console()
    for d in found:
        removal = f", removal announced for {d.removal_version}" if d.removal_version else ""
        owner = f" [{d.bug}]" if d.bug else " [no known bug yet]"
        out.print(f"[yellow]! deprecation[/yellow] {d.library} {d.version or '?'}{removal}: {d.frame}{owner}")
        out.print(Text(f"    {d.message}", style="dim"))


def by_bug(case_ids: list[str]) -> str:
    """Case ids grouped by their bug: ``top-k (3 cases), eoa-code``."""
    counts: dict[str, int] = {}
    for case_id in case_ids:
        bug = case_id.split(":", 1)[0]
        counts[bug] = counts.get(bug, 0) + 1
    return ", ".join(bug if n == 1 else f"{bug} ({n} cases)" for bug, n in counts.items())


def run_summary(summary, out: Console | None = None) -> None:
    out = out or console()
    out.print(f"\n[bold]lfmdoctor run[/bold] finished in {summary.total_s:.1f} s → {summary.out}/")
    out.print(f"• reproduced {len(summary.reproduced)} case(s): {by_bug(summary.reproduced) or 'none'}")
    for strategy, ids in sorted(summary.fixed.items()):
        out.print(f"• {strategy} fix makes {len(set(ids) & set(summary.reproduced))} of them pass")
    deprecations(summary.deprecations, out)
    out.print("• open first: " + ", ".join(f"{summary.out}/{name}" for name in summary.first), soft_wrap=True)
    out.print(f"• {len(summary.files)} files in all, listed in {summary.out}/README.md", soft_wrap=True)
    for note in summary.notes:
        out.print(f"• {note}", soft_wrap=True)
