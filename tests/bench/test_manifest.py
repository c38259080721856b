"""Manifest parsing: JSONL and CSV, with and without a header."""

from __future__ import annotations

import pytest

from lfmdoctor.bench.manifest import ManifestError, ManifestRow, parse_manifest


def test_jsonl_with_any_common_keys():
    text = (
        '{"path": "a.wav", "reference": "hello there"}\n'
        "\n# a comment\n"
        '{"audio_filepath": "b.flac", "text": "general kenobi", "id": "b1"}\n'
    )
    assert parse_manifest(text, "m.jsonl") == [
        ManifestRow("a.wav", "hello there", 1),
        ManifestRow("b.flac", "general kenobi", 4, "b1"),
    ]


def test_csv_with_header():
    text = 'path,reference\na.wav,"hello, there"\nb.ogg,bye\n'
    assert parse_manifest(text, "m.csv") == [ManifestRow("a.wav", "hello, there", 2), ManifestRow("b.ogg", "bye", 3)]


def test_csv_without_header_keeps_commas_in_the_text():
    assert parse_manifest("a.wav,hello, there\n", "m.csv") == [ManifestRow("a.wav", "hello, there", 1)]


def test_format_sniffed_without_extension():
    assert parse_manifest('{"file": "x.wav", "transcript": "x"}', "list.txt")[0].path == "x.wav"
    assert parse_manifest("x.wav,words", "list.txt")[0].reference == "words"


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("", "m.jsonl", "lists no clips"),
        ('{"path": "a.wav"}', "m.jsonl", r"m.jsonl:1: no reference text"),
        ('{"text": "hi"}', "m.jsonl", r"m.jsonl:1: no audio path"),
        ("{not json", "m.jsonl", r"m.jsonl:1: not valid JSON"),
        ('["a.wav", "hi"]', "m.jsonl", "expected a JSON object"),
        ("a.wav\n", "m.csv", "m.csv:1: expected two columns"),
    ],
)
def test_errors_name_the_line(text, name, message):
    with pytest.raises(ManifestError, match=message):
        parse_manifest(text, name)
