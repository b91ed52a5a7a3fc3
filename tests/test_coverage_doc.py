"""docs/coverage.md is generated from the registry: it must be up to date."""
import pathlib

import numpy as np
import pytest

pytest.importorskip("scipy")        # the table lists SciPy's special functions too

from chainrule import coverage  # noqa: E402

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "coverage.md"


def test_coverage_doc_is_current():
    assert DOC.read_text() == coverage.table(), (
        "docs/coverage.md is stale: regenerate it with "
        "PYTHONPATH=src python -m chainrule.coverage > docs/coverage.md")


def test_coverage_rows_say_what_the_registry_says():
    rows = {r[0]: r[1:] for r in coverage.rows()}
    assert rows["np.sin"][:4] == ("rule", "rule", "yes", "yes")
    assert rows["np.arctan2"][3] == "NumPy refuses"
    assert rows["np.argmax"][:2] == ("values", "values")
    assert rows["np.fft.rfft"][0] == "composite"
    assert rows["scipy.special.expit"][:2] == ("rule", "rule")
    assert len(rows) > 250
    assert all(len(r) == 5 for r in rows.values())
    assert rows["np.linalg.svd"][3] == "yes"          # complex-correct rules (linalg)
    assert rows["scipy.special.gammaln"][3] == "SciPy refuses"
    assert np.all([r[3] in ("yes", "TypeError", "NumPy refuses", "SciPy refuses", "-")
                   for r in rows.values()])


def test_functions_outside_the_registry_have_rows():
    import chainrule.numpy
    from chainrule.scipy import integrate, linalg, signal
    rows = {r[0] for r in coverage.rows()}
    for module in (integrate, linalg, signal):
        for name in module.__all__:
            assert f"{module.__name__}.{name}" in rows, f"{module.__name__}.{name} has no row"
    assert {f"chainrule.numpy.{n}" for n in ("array", "r_", "c_")} <= rows
    assert chainrule.numpy.COVERAGE
