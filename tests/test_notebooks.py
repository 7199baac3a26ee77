"""Every tutorial notebook runs top to bottom in a real Jupyter kernel without an error.

Each notebook is executed with nbclient and the python3 kernel, in the notebooks/
directory, with the source checkout first on the kernel's PYTHONPATH (so a checkout
without `pip install` tests its own code). A failing cell fails the test with the cell's
traceback. Run times are printed (`pytest -s`) and each must stay within a budget, since
the notebooks promise to run in a few minutes on a laptop.
"""
import os
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="pip install '.[test]' (needs nbformat)")
nbclient = pytest.importorskip("nbclient", reason="pip install '.[test]' (needs nbclient)")
pytest.importorskip("ipykernel", reason="pip install '.[test]' (needs ipykernel)")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
BUDGET_SECONDS = 180          # per notebook; each takes 5-15 s on a 2-core machine


def test_notebooks_exist():
    names = [p.stem for p in NOTEBOOKS]
    for stem in ("01-quickstart", "02-compare-cache-configurations",
                 "03-predict-program-speed", "04-pipeline-trace-analysis",
                 "05-your-own-program"):
        assert stem in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name} was committed with outputs: clear them before committing")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    # the kernel inherits this process's environment
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=BUDGET_SECONDS,
                                     resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()          # raises CellExecutionError with the cell's traceback
    seconds = time.perf_counter() - start
    print(f"{path.name}: {seconds:.1f} s")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    # every code cell ran, and the figures were drawn
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
    images = sum("image/png" in o.get("data", {}) for c in nb.cells
                 if c.cell_type == "code" for o in c.outputs)
    assert images >= 2
    assert seconds < BUDGET_SECONDS
