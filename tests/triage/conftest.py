"""What the triage tests share: the corpus, and triage run on a text with the stored thread states."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

CORPUS = Path(__file__).parent / "corpus"


def corpus(name: str) -> list[dict]:
    """The texts of ``corpus/<name>.toml`` (each with id, form, source, body; ``bug`` where one is expected)."""
    with (CORPUS / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)["text"]


@pytest.fixture(scope="session")
def triaged():
    """``triaged(text)``: the ``Triage`` of ``text`` with every known bug and the states the bug modules store."""
    from lfmdoctor.bugs import BUGS
    from lfmdoctor.report.redact import Context
    from lfmdoctor.triage.engine import triage
    from lfmdoctor.triage.threads import stored

    states = stored(BUGS)
    return lambda text: triage(text, BUGS, states, Context(home="/home/ana", user="ana"))
