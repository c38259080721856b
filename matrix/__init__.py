"""The release matrix: every released liquid-audio version, laid over the target interpreter.

Each release's wheel is fetched once into the lfmdoctor cache and unpacked into an overlay folder
that is prepended to ``PYTHONPATH`` in child processes, so the user's install is never touched.
Each cell holds ``present`` (read from the release's source) and ``outcome``, what running the
release here showed: "reproduced", "not reproduced", "cannot run" or "not run". The JSON contract and
what each outcome means are in ``lfmdoctor.matrix.results``.
"""

from lfmdoctor.matrix.build import MatrixError, build_matrix
from lfmdoctor.matrix.results import (
    MatrixResult,
    ReleaseBug,
    ReleaseResult,
    affected_releases,
    describe_affected,
    describe_releases,
    releases_with_outcome,
)

__all__ = [
    "MatrixError",
    "MatrixResult",
    "ReleaseBug",
    "ReleaseResult",
    "affected_releases",
    "build_matrix",
    "describe_affected",
    "describe_releases",
    "releases_with_outcome",
]
