"""Machinery behind `cyclesim.sweep` (see cyclesim/sweep.py): what a worker runs for one
point (worker.py), the result store (store.py) and the process-pool and Dask backends
(backends.py)."""
