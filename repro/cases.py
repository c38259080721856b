"""Where the reproduction cases used to live; each bug's cases are now in its ``lfmdoctor.bugs`` module."""

from lfmdoctor.bugs import CASE_IDS, CASES, select
from lfmdoctor.bugs._spec import CALLSITE_RESOURCES, CONDITIONS, RESOURCES, Case, Expect
from lfmdoctor.repro import engine

REQUIRES = {name: condition.unmet for name, condition in CONDITIONS.items()}
SIMULATIONS = {name: sim.help for name, sim in engine.SIMULATIONS.items()}

__all__ = ["CALLSITE_RESOURCES", "CASES", "CASE_IDS", "REQUIRES", "RESOURCES", "SIMULATIONS", "Case", "Expect", "select"]
