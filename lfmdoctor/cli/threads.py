"""``lfmdoctor threads [--online] [--json]``: the upstream threads the bug modules cite, with their state and its date."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from lfmdoctor import render
from lfmdoctor.cli._common import JsonOpt


def threads(
    online: Annotated[
        bool, typer.Option("--online", help="Read the states from GitHub now and cache them (also when GITHUB_TOKEN is set).")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Every upstream thread the known bugs cite: its state and the date it was read, stored or from GitHub."""
    from lfmdoctor.bugs import BUGS
    from lfmdoctor.triage import render as show
    from lfmdoctor.triage.threads import Offline, known

    try:
        states = known(BUGS, online=online or bool(os.environ.get("GITHUB_TOKEN")))
    except Offline as exc:
        if online:
            raise  # asked for: one line, exit 2
        render.console(stderr=True).print(f"note: {exc}; showing the stored states", style="yellow", highlight=False)
        states = known(BUGS)
    if json_out:
        render.print_json([state.to_json() for state in states.values()])
    else:
        show.threads(list(states.values()))
