"""Reading errors out of text in the forms people paste."""

from __future__ import annotations

import pytest

from lfmdoctor.triage.parse import Frame, parse


def test_a_chained_traceback_gives_each_exception_with_its_own_frames():
    text = """Traceback (most recent call last):
  File "/srv/venv/lib/python3.12/site-packages/liquid_audio/utils.py", line 48, in get_model_dir
    x
ValueError: inner

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/run.py", line 9, in <module>
    y
RuntimeError: outer
"""
    inner, outer = parse(text)
    assert (inner.type, inner.message, [f.package_file for f in inner.frames]) == ("ValueError", "inner", ["utils.py"])
    assert (outer.type, outer.message, outer.package_frames) == ("RuntimeError", "outer", ())


@pytest.mark.parametrize(
    ("path", "inside"),
    [
        (
            r"C:\Users\a b\AppData\Roaming\Python\Python312\site-packages\liquid_audio\model\lfm2_audio.py",
            "model/lfm2_audio.py",
        ),
        ("/Users/a/miniforge3/envs/x/lib/python3.12/site-packages/liquid_audio/processor.py", "processor.py"),
        ("/home/a/src/liquid-audio/src/liquid_audio/utils.py", "utils.py"),
        ("/home/a/liquid_audio_fork/processor.py", None),
    ],
)
def test_a_frame_knows_its_place_in_the_package_on_any_system(path, inside):
    (raised,) = parse(f'Traceback (most recent call last):\n  File "{path}", line 3, in f\n    x\nKeyError: 1\n')
    assert raised.frames[0].package_file == inside


def test_ipython_colours_cells_and_qualified_names_are_read():
    text = (
        "\x1b[0;31m----\x1b[0m\n\x1b[0;31mRuntimeError\x1b[0m    Traceback (most recent call last)\n"
        "\x1b[0;36mCell In[3], line 5\x1b[0m\n----> 5 p = X()\n\n"
        "File \x1b[0;32m~/.venv/lib/python3.12/site-packages/liquid_audio/processor.py:151\x1b[0m, in "
        "\x1b[0;36mLFM2AudioProcessor.audio_detokenizer\x1b[0m\x1b[0;34m(self)\x1b[0m\n"
        "\n\x1b[0;31mRuntimeError\x1b[0m: No CUDA GPUs are available\n"
    )
    (raised,) = parse(text)
    assert raised.frames == (
        Frame("Cell In[3]", 5, None),
        Frame("~/.venv/lib/python3.12/site-packages/liquid_audio/processor.py", 151, "audio_detokenizer"),
    )
    assert raised.message == "No CUDA GPUs are available"


def test_old_ipython_frames_are_read():
    (raised,) = parse(
        "~/env/site-packages/liquid_audio/processor.py in add_audio(self, wave, sr)\n    227 assert x\n\nAssertionError: \n"
    )
    assert (raised.type, raised.message, raised.frames[0].function) == ("AssertionError", "", "add_audio")


def test_pytest_long_output_gives_one_error_with_its_frames_and_the_summary_line_one_more():
    text = """    def test_x():
>       p.decode(c)

tests/test_x.py:7:
_ _ _ _
/v/lib/python3.12/site-packages/liquid_audio/processor.py:175: in decode
    raise RuntimeError("expected audio codes in range ")
E   RuntimeError: expected audio codes in range
E     (more)

/v/lib/python3.12/site-packages/liquid_audio/processor.py:175: RuntimeError
FAILED tests/test_x.py::test_x - RuntimeError: expected audio codes in range
"""
    errors = [raised for raised in parse(text) if raised.type]
    assert [(e.type, e.message, len(e.frames)) for e in errors] == [
        ("RuntimeError", "expected audio codes in range (more)", 2),
        ("RuntimeError", "expected audio codes in range", 0),
    ]


def test_pytest_tb_line_and_warnings_lines_give_the_error_at_its_location():
    (raised,) = parse(
        "/o/site-packages/liquid_audio/model/lfm2_audio.py:199: FutureWarning: `past_key_values` is deprecated\n"
    )
    assert (raised.type, raised.frames[0].package_file, raised.frames[0].line) == ("FutureWarning", "model/lfm2_audio.py", 199)


def test_an_issue_body_with_a_quoted_fenced_traceback_is_read():
    body = (
        "I get this:\n\n> ```\n> Traceback (most recent call last):\n"
        '>   File "/a/liquid_audio/utils.py", line 1, in f\n>     x\n> OSError: gone\n> ```\n'
    )
    errors = [raised for raised in parse(body) if raised.type]
    assert [(e.type, e.frames[0].package_file) for e in errors] == [("OSError", "utils.py")]


def test_log_lines_keep_their_type_where_they_name_one_and_their_text_where_not():
    typed, bare = parse("2026-01-01 ERROR x: torch.OutOfMemoryError: CUDA out of memory\nERROR: Failed to load X: boom\n")
    assert (typed.type, typed.name, typed.message) == ("torch.OutOfMemoryError", "OutOfMemoryError", "CUDA out of memory")
    assert (bare.type, bare.message) == (None, "ERROR: Failed to load X: boom")
