"""The benchmark runner still runs: every workload at its tiny ("small") size, one sample,
results checked against hand-written NumPy.  Nothing here is about time."""
import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning")   # from inside torch.func

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.run import _agree, format_table, main, measure, measure_memory  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402


def _run(workload, library):
    wl = WORKLOADS[workload]
    if wl.kind == "memory":
        return measure_memory(workload, library, params=wl.small)
    try:
        return measure(workload, library, params=wl.small, repeats=1, min_time=0, warmup=0)
    except ImportError as e:
        if wl.device != "gpu" or library == "numpy":
            raise
        pytest.skip(f"{workload}/{library}: {e}")       # CuPy, or a GPU, is missing


def test_gpu_workloads_run_only_when_named(monkeypatch, capsys):
    """gpu-* workloads: not in the default list, JAX free to find the GPU, and a GPU library
    shows as skipped (not as an error) where no GPU answers."""
    from benchmarks.run import _env
    gpu = [n for n, wl in WORKLOADS.items() if wl.device == "gpu"]
    assert gpu and all(n.startswith("gpu-") for n in gpu)
    monkeypatch.delenv("JAX_PLATFORMS", raising=False)
    assert _env()["JAX_PLATFORMS"] == "cpu" and "JAX_PLATFORMS" not in _env(gpu=True)
    assert main(["--quick", "--workloads", "gpu-overhead", "--libraries", "cupy", "numpy",
                 "--repeats", "1", "--cpu", "none", "--no-progress"]) == 0
    row = next(ln for ln in capsys.readouterr().out.splitlines() if ln.strip().startswith("cupy"))
    assert "error" not in row
    with pytest.raises(SystemExit):        # argparse: gpu workloads are known by name only
        main(["--workloads", "gpu-nothing"])


@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_chainrule_agrees_with_numpy(workload):
    wl = WORKLOADS[workload]
    libs = [lib for lib in wl.libraries if lib.startswith("chainrule")] + ["numpy"]
    results = [_run(workload, lib) for lib in libs]
    assert _agree(workload, results) == []
    table = format_table(workload, results)
    assert "chainrule" in table and "agree with numpy's: yes" in table


PEERS = [(w, lib) for w, wl in WORKLOADS.items() for lib in wl.libraries
         if not lib.startswith(("chainrule", "numpy"))]


@pytest.mark.parametrize("workload,library", PEERS, ids=[f"{w}-{lib}" for w, lib in PEERS])
def test_peer_agrees_with_numpy_when_installed(workload, library):
    module = library.split("-")[0]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")
    results = [_run(workload, lib) for lib in ("numpy", library)]
    assert _agree(workload, results) == []


def test_runner_end_to_end(capsys, tmp_path):
    """The command line, subprocesses, progress, the table and the figure, for one timed and
    the memory workload."""
    pytest.importorskip("matplotlib")
    png = tmp_path / "bench.png"
    assert main(["--quick", "--workloads", "overhead", "memory", "--libraries", "chainrule",
                 "numpy", "--repeats", "1", "--cpu", "none", "--plot", str(png)]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "memory: numpy, round 1/1" in captured.err          # progress, tqdm's or plain
    assert png.stat().st_size > 5000 and png.read_bytes()[:4] == b"\x89PNG"
    assert out.count("agree with numpy's: yes") == 2
    assert "chainrule from" in out and "target:" in out


def test_each_round_starts_from_another_heap_layout(monkeypatch):
    """Rounds sample heap layouts (what a process allocated before its arrays moves a
    BLAS-bound step by up to 30%), the same one for every library of a round."""
    import benchmarks.run as run
    offsets = [run.heap_offset(r) for r in range(8)]
    assert offsets[0] == 0 and len(set(offsets)) == 8 and max(offsets) < 70_000
    assert len({o % 4096 for o in offsets}) == 8            # different places in a page
    seen = []
    monkeypatch.setattr(run, "run_isolated", lambda spec: seen.append(
        (spec["library"], spec["heap_offset"])) or {"skipped": "test"})
    run.run_rounds("overhead", ["chainrule", "numpy"], {}, 2, 0, 3)
    assert sorted(seen) == sorted((lib, run.heap_offset(r)) for r in range(3)
                                  for lib in ("chainrule", "numpy"))


def test_progress_without_tqdm_prints_one_line_per_step(monkeypatch):
    import io
    from benchmarks.progress import Progress
    monkeypatch.setitem(sys.modules, "tqdm", None)            # import tqdm fails
    buf = io.StringIO()
    with Progress(2, stream=buf) as p:
        p.step("overhead: torch, round 1/2")
        p.step("overhead: torch, round 2/2")
    lines = buf.getvalue().splitlines()
    assert lines[0].startswith("  [1/2] overhead: torch, round 1/2") and "[2/2]" in lines[1]
    quiet = io.StringIO()
    Progress(3, enabled=False, stream=quiet).step("x")
    assert quiet.getvalue() == ""
