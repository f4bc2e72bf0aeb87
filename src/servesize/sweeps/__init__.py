"""Sweeps: many profiles (models x settings) from one YAML file, here or on Ray.

See docs/sweeps.md.  Ray is optional (``pip install 'servesize[ray]'``); without it
trials run locally, one after another.
"""

from servesize.sweeps._run import sweep, sweep_table
from servesize.sweeps._spec import SweepSpec, Trial, read_sweep

__all__ = ["SweepSpec", "Trial", "read_sweep", "sweep", "sweep_table"]
