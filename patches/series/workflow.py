"""The CI workflow the series adds: the regression tests on Ubuntu (CPU) and on macOS arm64, on every push."""

from __future__ import annotations

from lfmdoctor.patches.series.regression_tests import RUN_TESTS

WORKFLOW = ".github/workflows/tests.yml"

WORKFLOW_TEXT = f"""\
name: Tests

on:
  push:
    branches: [ main ]
  pull_request:
    branches: [ main ]
  workflow_dispatch:

permissions:
  contents: read

concurrency:
  group: ${{{{ github.workflow }}}}-${{{{ github.ref || github.run_id }}}}
  cancel-in-progress: true

jobs:
  tests:
    name: tests (${{{{ matrix.os }}}})
    strategy:
      fail-fast: false
      matrix:
        # CPU on Linux; Apple Silicon (arm64) on macOS, where MPS may be available
        os: [ubuntu-latest, macos-14]
    runs-on: ${{{{ matrix.os }}}}
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4

      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: '3.12'

      - name: Install uv
        uses: astral-sh/setup-uv@v3
        with:
          enable-cache: true
          cache-dependency-glob: "uv.lock"

      - name: Install dependencies
        run: uv sync --frozen

      - name: Run tests (tiny random checkpoint, no weights, no GPU)
        run: {RUN_TESTS} -v
"""
