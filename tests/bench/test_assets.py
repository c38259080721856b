"""The built-in clips are reproducible: espeak-ng + sox -D make the same bytes again."""

from __future__ import annotations

import pytest

from lfmdoctor.bench import assets_builder
from lfmdoctor.bench.inputs import assets_dir


def test_rebuilding_the_clips_gives_the_same_bytes(tmp_path):
    versions = assets_builder.tool_versions()
    if versions != assets_builder.BUILT_WITH:
        pytest.skip(f"needs {assets_builder.BUILT_WITH} to compare bytes, found {versions}")
    written = assets_builder.build(tmp_path)
    for path in written:
        assert path.read_bytes() == (assets_dir() / path.name).read_bytes(), path.name
    shipped = {p.name for p in assets_dir().glob("asr*")}
    assert shipped == {p.name for p in written}
