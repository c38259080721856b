"""Terminal output of ``lfmdoctor matrix``: bug rows x release columns, then one note per problem.

``matrix_table`` is pure (strings only) so it can be tested; ``print_matrix`` styles and prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lfmdoctor.matrix.results import CANNOT_RUN, NOT_REPRODUCED, NOT_RUN, REPRODUCED, MatrixResult, ReleaseBug

PRESENCE = {True: "present", False: "absent", None: "unknown"}
PROVISIONED_MARK = "†"
STYLES = {
    "present": "red",
    "absent": "green",
    "unknown": "yellow",
    REPRODUCED: "red",
    NOT_REPRODUCED: "green",
    CANNOT_RUN: "yellow",
    NOT_RUN: "dim",
    "yes": "green",
    "no": "yellow",
}


@dataclass(frozen=True)
class MatrixTable:
    header: list[str]  # "bug", then one column per release
    rows: list[list[list[str]]]  # per row: first cell [label], then per release the cell's lines
    notes: list[str]


def bug_cell(bug: ReleaseBug) -> list[str]:
    return [PRESENCE[bug.present], bug.outcome]


def matrix_table(result: MatrixResult) -> MatrixTable:
    header = ["bug"] + [r.version + (PROVISIONED_MARK if r.provisioned else "") for r in result.versions]
    rows = [[["imports"]] + [["yes" if r.importable else "no"] for r in result.versions]]
    bug_ids = [b.id for b in result.versions[0].bugs] if result.versions else []
    for bug_id in bug_ids:
        rows.append([[bug_id]] + [bug_cell(r.bug(bug_id)) for r in result.versions])
    notes = []
    for release in result.versions:
        if release.import_problem:
            notes.append(f"{release.version}: cannot run: {release.import_problem}")
        if release.provisioned:
            notes.append(
                f"{release.version}{PROVISIONED_MARK}: run with {', '.join(release.provisioned)} "
                "laid over the target (--provision)"
            )
    notes.append(f"reproductions: {result.repro}")
    notes.append(f"releases listed from: {result.listing}")
    return MatrixTable(header, rows, notes)


def print_matrix(result: MatrixResult, out: Console | None = None) -> None:
    out = out or Console(highlight=False, soft_wrap=False)
    transformers = result.transformers or "not installed"
    out.print(f"[bold]lfmdoctor matrix[/bold]  {result.python} (transformers {transformers})")
    built = matrix_table(result)
    table = Table(show_lines=True)
    for index, name in enumerate(built.header):
        table.add_column(name, style="bold" if index == 0 else None, no_wrap=True)
    for row in built.rows:
        cells: list[Text | str] = [row[0][0]]
        for lines in row[1:]:
            text = Text()
            for number, line in enumerate(lines):
                text.append(("\n" if number else "") + line, style=STYLES.get(line, ""))
            cells.append(text)
        table.add_row(*cells)
    if not out.is_terminal:  # a pipe or file: do not squeeze the table into 80 columns
        out.width = max(out.width, out.measure(table).maximum)
    out.print(table)
    for note in built.notes:
        out.print(Text(f"• {note}", style="dim"), soft_wrap=True)
