"""The one redaction rule for every file written for others: prose and output lose secrets and personal data,
code only inside its string literals, and diffs and patch files (commit headers included) are never touched."""

from __future__ import annotations

import sys

import pytest

from lfmdoctor.report.redact import Context, redact_file, redact_markdown, redact_python
from lfmdoctor.run_folder import redact_folder

PLANTED = {"PYTHON_VERSION": "3.12.1", "CONDA_DEFAULT_ENV": "processor", "MY_API_TOKEN": "tok-9f8e7d6c5b"}
CONTEXT = Context(home="/home/alice", user="alice", host="alice-mbp", env=PLANTED)


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    pytest.importorskip("liquid_audio")
    from lfmdoctor.patches.series import installed_source, write_series

    source, release = installed_source(sys.executable)
    out = tmp_path_factory.mktemp("series") / "series"
    return write_series(out, source, release, author=("Alice Example", "alice@example.org"))


def test_planted_environment_values_leave_the_series_bytes_unchanged(series, tmp_path):
    folder = tmp_path / "run"
    (folder / "series").mkdir(parents=True)
    before = {}
    for patch in series.patches:
        data = patch.read_bytes()
        (folder / "series" / patch.name).write_bytes(data)
        before[patch.name] = data
    text = b"".join(before.values()).decode()
    assert "processor" in text and "From: Alice Example <alice@example.org>" in text  # the planted values occur
    redact_folder(folder, CONTEXT)
    assert {p.name: p.read_bytes() for p in (folder / "series").iterdir()} == before


def test_only_secret_named_variables_count_and_diffs_stay_whole():
    body = (
        "Seen by alice on alice-mbp with tok-9f8e7d6c5b, Python 3.12.1 in processor.\n\n"
        "```diff\n--- a/src/liquid_audio/processor.py\n+++ b/src/liquid_audio/processor.py\n@@ -1 +1 @@\n"
        "-# alice /home/alice tok-9f8e7d6c5b 3.12.1\n+x\n \n```\n"
    )
    done = redact_markdown(body, CONTEXT)
    prose, diff = done.text.split("```diff", 1)
    assert prose.startswith("Seen by <user> on <host> with <$MY_API_TOKEN>, Python 3.12.1 in processor.")
    assert diff == body.split("```diff", 1)[1]


def test_code_loses_data_only_inside_string_literals():
    code = 'alice = load("/home/alice/models/x")  # alice\nprocessor = alice\n'
    assert redact_python(code, CONTEXT).text == 'alice = load("~/models/x")  # alice\nprocessor = alice\n'
    assert redact_file("repro.py", code, CONTEXT).text == redact_python(code, CONTEXT).text
    assert redact_file("0001-fix.patch", code, CONTEXT).text == code
