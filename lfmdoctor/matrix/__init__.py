"""The release matrix: every released liquid-audio version, laid over the target interpreter.

Each release's wheel is fetched once into the lfmdoctor cache and unpacked into an overlay folder
that is prepended to ``PYTHONPATH`` in child processes, so the user's install is never touched.
"""

from lfmdoctor.matrix.build import MatrixError, build_matrix
from lfmdoctor.matrix.results import (
    MatrixResult,
    ReleaseBug,
    ReleaseResult,
    affected_releases,
    describe_releases,
)

__all__ = [
    "MatrixError",
    "MatrixResult",
    "ReleaseBug",
    "ReleaseResult",
    "affected_releases",
    "build_matrix",
    "describe_releases",
]
