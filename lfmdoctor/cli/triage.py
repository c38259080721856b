"""``lfmdoctor triage [FILE | -]``: from the error a user has to the known bug, its fix and its upstream thread."""

from __future__ import annotations

from typing import Annotated

import typer

from lfmdoctor import render
from lfmdoctor.cli._common import JsonOpt


def triage(
    source: Annotated[str, typer.Argument(help="File with the error text (a traceback, a log, an issue body); - for stdin.")],
    json_out: JsonOpt = False,
) -> None:
    """Name the known liquid-audio bug an error is, with its fix and thread; draft a new issue where none matches."""
    from lfmdoctor.bugs import BUGS
    from lfmdoctor.report.redact import Context
    from lfmdoctor.triage import render as show
    from lfmdoctor.triage import threads
    from lfmdoctor.triage.engine import triage as run
    from lfmdoctor.triage.source import read

    given = read(source)
    result = run(given.text, BUGS, threads.known(BUGS), Context.from_machine(), given.note)
    if json_out:
        render.print_json(result.to_json())
    else:
        show.triage(result)
    raise typer.Exit(result.exit_code)
