"""The sizing search (docs/profiling.md, "Sizing"), one module a section of the doc:

- ``decision``: the one statistical decision, met, missed or undecided, of every run;
- ``trials``: allocations, trials and the search's outcome;
- ``search``: the search the model aims and the decisions steer (:class:`Sizer`);
- ``phase``: the model fitted to the profile, the trials run and judged;
- ``coldcost``: what a request costs after an idle gap, measured for plans;
- ``confirm``: the confirmation that decides ``sloMet``.
"""

from servesize.profiling.sizing.decision import Decision, Design, decide, dispersion
from servesize.profiling.sizing.phase import LowLoad, SizingPhase
from servesize.profiling.sizing.search import Sizer
from servesize.profiling.sizing.trials import Allocation, Outcome, Trial, allocation_for, grid

__all__ = [
    "Allocation",
    "Decision",
    "Design",
    "LowLoad",
    "Outcome",
    "Sizer",
    "SizingPhase",
    "Trial",
    "allocation_for",
    "decide",
    "dispersion",
    "grid",
]
