"""The benchmark runner still runs (tiny size, one sample; no timing assertions)."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.run import format_table, measure  # noqa: E402


def test_overhead_runs_for_chainrule_and_numpy():
    results = [measure("overhead", lib, params={"steps": 2}, repeats=1, min_time=0, warmup=0)
               for lib in ("chainrule", "numpy")]
    for res in results:
        assert res["ops"] == 4 * 2 + 2
        for us in res["us_per_op"].values():
            assert math.isfinite(us) and us > 0
    np.testing.assert_allclose(results[0]["grad"], results[1]["grad"], rtol=1e-12)
    assert "chainrule" in format_table("overhead", results)


def test_overhead_torch_matches_when_installed():
    pytest.importorskip("torch")
    res = measure("overhead", "torch", params={"steps": 2}, repeats=1, min_time=0, warmup=0)
    ref = measure("overhead", "numpy", params={"steps": 2}, repeats=1, min_time=0, warmup=0)
    np.testing.assert_allclose(res["grad"], ref["grad"], rtol=1e-12)
