"""Terminal and JSON output for result objects. The only module that writes to the terminal."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lfmdoctor.results import CheckReport, Status

STYLE = {Status.OK: "green", Status.WARNING: "yellow", Status.ERROR: "red"}


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def fail(message: str) -> None:
    """One-line error on stderr; the caller exits 2."""
    console(stderr=True).print(Text(f"error: {message}", style="bold red"))


def check_report(report: CheckReport, out: Console | None = None) -> None:
    out = out or console()
    env = report.environment
    out.print(f"[bold]lfmdoctor check[/bold]  {env.os} {env.arch}, {env.python_executable}")
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(width=1)
    table.add_column(style="bold")
    table.add_column()
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
        out.print(f"[bold]• Found {len(errors)} problem(s) and {len(warnings)} warning(s) "
                  f"in {len(report.items)} categories.[/bold]")
