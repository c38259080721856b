"""Terminal output of ``lfmdoctor matrix``: bug rows x release columns, then one note per problem.

``matrix_table`` is pure (strings only) so it can be tested; ``print_matrix`` styles and prints it.
With ``--with``, ``cells_table`` (one row per cell) is printed by ``print_cells`` and written as
Markdown by ``cells_markdown``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version
from rich.console import Console
from rich.table import Table
from rich.text import Text

from lfmdoctor.matrix.results import (
    CANNOT_RUN,
    NOT_REPRODUCED,
    NOT_RUN,
    OUTCOMES,
    REPRODUCED,
    CellMatrix,
    CellResult,
    MatrixResult,
    ReleaseBug,
)

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


# --- cells (``--with``) ---------------------------------------------------------------------------

NONE = "—"


def _version_key(text: str | None) -> tuple:
    try:
        return (0, Version(text or ""), "")
    except InvalidVersion:
        return (1, Version("0"), text or "")


def cell_order(cell: CellResult, packages: Sequence[str]) -> tuple:
    """Releases oldest first, then each package's version oldest first, then platform and Python."""
    deps = tuple(_version_key(cell.deps.get(name) or cell.specs.get(name)) for name in packages)
    return (_version_key(cell.liquid_audio), deps, cell.platform, _version_key(cell.python))


def deprecation_line(item: dict) -> str:
    """ "transformers → 5.40.0 (past-key-values)": who warns, the removal it announces, whose bug."""
    removal = item.get("removal_version") or "removal version not named"
    return f"{item.get('library') or '?'} → {removal} ({item.get('bug') or 'no known bug'})"


def cells_table(cells: Sequence[CellResult]) -> MatrixTable:
    """One row per cell: the release, each package's version, whether it imports, what reproduced,
    which deprecations fired. Pure, and built from the cells alone, so the cells of a local run and the
    same cells merged from CI artifacts give the same table."""
    packages = list(dict.fromkeys(name for cell in cells for name in cell.deps))
    ordered = sorted(cells, key=lambda cell: cell_order(cell, packages))
    platforms = len({cell.platform for cell in ordered}) > 1
    pythons = len({cell.python for cell in ordered}) > 1
    header = ["liquid-audio", *packages]
    header += ["platform"] * platforms + ["python"] * pythons
    header += ["imports", "reproduced", "not reproduced", "cannot run", "deprecations"]
    rows: list[list[list[str]]] = []
    notes: list[str] = []
    seen_warnings: dict[str, None] = {}
    for cell in ordered:
        row = [[cell.liquid_audio]] + [[cell.deps.get(name) or f"{cell.specs.get(name, '?')} (none)"] for name in packages]
        row += [[cell.platform]] * platforms + [[cell.python]] * pythons
        where = cell.label + (f" on {cell.platform}" if platforms else "") + (f", Python {cell.python}" if pythons else "")
        if not cell.importable:
            row += [["not built" if not cell.built else "no"], [NONE], [NONE], [NONE], [NONE]]
            notes.append(f"{where}: cannot run: {cell.import_problem}")
        else:
            by_outcome = {outcome: [b.id for b in cell.bugs if b.outcome == outcome] for outcome in OUTCOMES}
            lines = list(dict.fromkeys(deprecation_line(d) for d in cell.deprecations))
            row += [
                ["yes"],
                by_outcome[REPRODUCED] or [NONE],
                [str(len(by_outcome[NOT_REPRODUCED]))],
                [str(len(by_outcome[CANNOT_RUN]))],
                lines or [NONE],
            ]
            if by_outcome[NOT_RUN] and len(by_outcome[NOT_RUN]) == len(cell.bugs):
                row[-4] = ["not run"]
        for item in cell.deprecations:
            text = f"{item.get('library')} {item.get('version') or ''}".strip()
            seen_warnings.setdefault(f"{text} at {item.get('frame')}: {item.get('message')}", None)
        rows.append(row)
    notes += [f"deprecation: {text}" for text in seen_warnings]
    return MatrixTable(header, rows, notes)


def print_cells(result: CellMatrix, out: Console | None = None) -> None:
    out = out or Console(highlight=False, soft_wrap=False)
    axes = ", ".join(f"{name}={','.join(specs)}" for name, specs in result.axes.items())
    transformers = result.transformers or "not installed"
    out.print(f"[bold]lfmdoctor matrix[/bold]  {result.python} (transformers {transformers})  {axes}", soft_wrap=True)
    print_cells_table(result.cells, out)
    out.print(Text(f"• reproductions: {result.repro}", style="dim"), soft_wrap=True)
    out.print(Text(f"• versions listed from: {result.listing}", style="dim"), soft_wrap=True)


def print_cells_table(cells: Sequence[CellResult], out: Console) -> None:
    built = cells_table(cells)
    table = Table(show_lines=True)
    for name in built.header:
        table.add_column(name, no_wrap=name not in ("reproduced", "deprecations"))
    for row in built.rows:
        cells_text = []
        for lines in row:
            text = Text()
            for number, line in enumerate(lines):
                text.append(("\n" if number else "") + line, style=STYLES.get(line, ""))
            cells_text.append(text)
        table.add_row(*cells_text)
    if not out.is_terminal:  # a pipe or file: the table at its natural width (a measure is capped at the width)
        width = out.width
        out.width = 100_000
        out.width = max(width, out.measure(table).maximum)
    out.print(table)
    for note in built.notes:
        out.print(Text(f"• {note}", style="dim"), soft_wrap=True)


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def cells_markdown(cells: Sequence[CellResult]) -> str:
    """The cells table in Markdown (for a run folder's README or a CI job summary), notes below it."""
    built = cells_table(cells)
    lines = ["| " + " | ".join(_md(name) for name in built.header) + " |", "|" + "---|" * len(built.header)]
    for row in built.rows:
        lines.append("| " + " | ".join("<br>".join(_md(line) for line in cell) for cell in row) + " |")
    if built.notes:
        lines.append("")
        lines += [f"- {_md(note)}" for note in built.notes]
    return "\n".join(lines) + "\n"
