"""``lfmdoctor triage`` and ``lfmdoctor threads`` in the terminal (their JSON is the results' ``to_json``)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lfmdoctor.render import console

from .result import Hit, Triage
from .threads import ThreadState

LABEL = 10  # width of the labels in a match's block


def _row(out: Console, label: str, value: str | Text, style: str = "") -> None:
    line = Text(f"    {label:<{LABEL}}", style="dim")
    line.append(value if isinstance(value, Text) else Text(value, style=style))
    out.print(line)


def thread_line(state: ThreadState) -> str:
    kind = "PR" if state.kind == "pr" else "issue"
    return f"#{state.number} {kind} {state.title}: {state.describe()}, {state.url}"


def _hit(out: Console, rank: int, hit: Hit) -> None:
    out.print(Text.assemble((f" {rank}. ", "bold"), (hit.bug, "bold red"), "  ", hit.title))
    where = f" at {hit.frame}" if hit.frame else f" (names {hit.mentions!r})" if hit.mentions else ""
    _row(out, "matched", Text.assemble((hit.sureness, "bold"), f"  {hit.error[:160]}{where}, line {hit.line}"))
    _row(out, "cause", hit.cause)
    _row(out, "fix now", hit.fix.callsite, "green")
    if hit.fix.exec:
        _row(out, "", f"or run your program unchanged: {hit.fix.exec}")
    if hit.fix.patch:
        _row(out, "", f"or fix the installed liquid-audio: {hit.fix.patch}")
    for i, state in enumerate(hit.threads):
        _row(out, "upstream" if i == 0 else "", thread_line(state))


def triage(result: Triage, out: Console | None = None) -> None:
    out = out or console()
    if result.note:
        out.print(Text(f"note: {result.note}", style="yellow"))
    if not result.matches:
        found = f" ({len(result.errors)} error line{'s' if len(result.errors) != 1 else ''} read)" if result.errors else ""
        out.print(Text(f"No known liquid-audio bug matches this text{found}.", style="bold"))
        out.print("If liquid-audio raised it, report it upstream; a draft issue follows (check it before posting).\n")
        out.print(Text(result.draft or ""), soft_wrap=True)  # unwrapped: it is copied as it is
        return
    count = len(result.matches)
    out.print(Text(f"{count} known liquid-audio bug{'s match' if count > 1 else ' matches'}, best first:", style="bold"))
    for rank, hit in enumerate(result.matches, 1):
        _hit(out, rank, hit)
    if result.tie:
        out.print(Text(f"tie: {result.tie}", style="yellow"))


def threads(states: list[ThreadState], out: Console | None = None) -> None:
    out = out or console()
    table = Table("thread", "state", "read", "from", "cited by", "about", box=None)
    for state in states:
        table.add_row(
            f"#{state.number} {'PR' if state.kind == 'pr' else 'issue'}",
            state.state + (f" on {state.closed_at}" if state.closed_at and state.state != "open" else ""),
            state.as_of,
            state.source,
            ", ".join(state.cited_by),
            state.title,
        )
    out.print(table)
