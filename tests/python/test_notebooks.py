"""The example notebooks run top to bottom with nbclient on a python3 kernel that is
/usr/bin/python3 (a kernel spec of our own, first on JUPYTER_PATH), so they never rot."""

import json
import os
import pathlib
import sys

import pytest

from conftest import HOSPITAL, ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(json.dumps({
        "argv": ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (/usr/bin/python3)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("HOUQIN_SAMPLE_HOSPITAL", str(HOSPITAL))
    monkeypatch.setenv("HOUQIN_NOTEBOOK_OUT", str(tmp_path / "chart.png"))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # the kernel imports houqin from the same place as this test
    import houqin
    monkeypatch.setenv("PYTHONPATH", str(pathlib.Path(houqin.__file__).parent.parent))
    return tmp_path


def test_hospital_overview_notebook(kernel_env):
    path = ROOT / "examples" / "notebooks" / "hospital_overview.ipynb"
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=300,
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    outputs = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "rooms per building:" in outputs
    assert (kernel_env / "chart.png").stat().st_size > 1000


def run_notebook(name, timeout=120):
    path = ROOT / "examples" / "notebooks" / name
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=timeout,
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb, "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                       for c in nb.cells for o in c.get("outputs", []))


def test_telemetry_analysis_notebook(kernel_env):
    nb, outputs = run_notebook("telemetry_analysis.ipynb")
    assert "259,200 samples stored" in outputs
    assert "AlarmRaised" in outputs and "AlarmCleared" in outputs
    assert (kernel_env / "telemetry_analysis.png").stat().st_size > 10000


def test_repair_kpi_notebook(kernel_env):
    nb, outputs = run_notebook("repair_kpi.ipynb")
    assert "40 orders worked" in outputs
    assert "first-time fix rate" in outputs
    assert (kernel_env / "repair_kpi.png").stat().st_size > 10000
