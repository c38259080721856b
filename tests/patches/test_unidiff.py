"""The pure-Python unified diff reader and applier."""

from __future__ import annotations

import pytest

from lfmdoctor.patches.unidiff import PatchMismatch, apply, parse

WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"]
OLD = "".join(f"{w}\n" for w in WORDS)
NEW = OLD.replace("four", "FOUR") + "twelve\n"
DIFF = """\
some preamble git apply skips
diff --git a/src/x.py b/src/x.py
index 1..2 100644
--- a/src/x.py
+++ b/src/x.py
@@ -1,7 +1,7 @@
 one
 two
 three
-four
+FOUR
 five
 six
 seven
@@ -9,3 +9,4 @@ def f():
 nine
 ten
 eleven
+twelve
"""


def test_parse_reads_paths_and_hunks():
    [diff] = parse(DIFF)
    assert (diff.old_path, diff.new_path) == ("src/x.py", "src/x.py")
    assert [(h.old_start, h.new_start) for h in diff.hunks] == [(1, 1), (9, 9)]


def test_apply_and_reverse_round_trip():
    [diff] = parse(DIFF)
    assert apply(OLD, diff) == NEW
    assert apply(NEW, diff, reverse=True) == OLD


def test_text_that_differs_is_refused_not_patched_approximately():
    [diff] = parse(DIFF)
    with pytest.raises(PatchMismatch, match=r"src/x\.py: the text at line 1"):
        apply(OLD.replace("two", "2"), diff)
    with pytest.raises(PatchMismatch):
        apply("zero\n" + OLD, diff)  # same text one line lower: no offset search
    with pytest.raises(PatchMismatch):
        apply(NEW, diff)  # already applied
    with pytest.raises(PatchMismatch):
        apply(OLD.replace("\n", "\r\n"), diff)  # line endings count
    with pytest.raises(PatchMismatch):
        apply(OLD.removesuffix("\n"), diff)  # so does the final newline


def test_missing_newline_at_end_of_file():
    marker = "\\ No newline at end of file\n"
    text = f"--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n{marker}+c\n{marker}"
    [diff] = parse(text)
    assert apply("a\nb", diff) == "a\nc"
    assert apply("a\nc", diff, reverse=True) == "a\nb"


def test_a_cut_short_hunk_is_an_error():
    with pytest.raises(ValueError, match="cut short"):
        parse("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n")
