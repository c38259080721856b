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


# -- issue 21 item 8: the rule everywhere text is written for others ----------------------------------------

MODEL_FOLDER = "/data/acme-confidential/checkpoints/lfm-audio-ft"


def test_a_custom_model_folder_is_redacted_in_prose_and_in_string_literals():
    context = Context(home="/home/alice", user="alice", host="alice-mbp", env={}, folders=(MODEL_FOLDER,))
    prose = redact_file("issue.md", f"loaded from {MODEL_FOLDER}/config.json\n", context).text
    assert MODEL_FOLDER not in prose and "<model folder>/config.json" in prose
    code = redact_file("repro.py", f'MODEL = Path("{MODEL_FOLDER}")\nx = 1\n', context).text
    assert MODEL_FOLDER not in code and "x = 1" in code


def test_repro_emit_writes_scripts_through_the_rule(tmp_path, monkeypatch):
    """``repro --emit`` with a model folder whose path holds a token-like part and the home folder."""
    from lfmdoctor.repro.emit import emit_scripts
    from lfmdoctor.repro.models import ModelRef

    pytest.importorskip("liquid_audio")
    from lfmdoctor.bugs import CASES

    folder = tmp_path / "hf_AbCdEfGhIjKlMnOpQrStUvWx" / "model"
    context = Context(home=str(tmp_path), user="alice", host="alice-mbp", env={}, folders=())
    [script] = emit_scripts([CASES[0]], ModelRef(str(folder), folder), tmp_path / "out", context)
    text = script.read_text()
    assert "hf_AbCdEfGhIjKlMnOpQrStUvWx" not in text and str(tmp_path) not in text


def test_bench_out_is_written_through_the_rule():
    from lfmdoctor.cli._common import for_others

    context = Context(home="/home/alice", user="alice", host="alice-mbp", env={}, folders=(MODEL_FOLDER,))
    text = for_others("r.json", f'{{"model": "{MODEL_FOLDER}", "clip": "/home/alice/x.wav"}}', context)
    assert MODEL_FOLDER not in text and "/home/alice" not in text
