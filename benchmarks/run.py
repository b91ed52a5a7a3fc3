"""Benchmark runner: ``python benchmarks/run.py`` or ``python -m benchmarks`` (not part of CI).

Each (workload, library) pair runs in its own subprocesses, pinned to one CPU and with one
thread for every math library (OMP/MKL/OpenBLAS..., ``torch.set_num_threads(1)``; JAX sizes
its thread pools from the CPU affinity, which is why the processes are pinned), so that
libraries do not disturb each other's caches, JITs or allocators.

Timed workloads: in a subprocess, :func:`measure` warms up, picks how many calls make one
sample (at least ``--min-time`` seconds), then takes samples with Python's garbage collector
off and on, alternating.  Each library gets ``--rounds`` such processes, interleaved with the
other libraries' (see :func:`run_rounds`), and the table gives the median and the best of all
its samples (µs per operation of the workload, or ms per call), with the ratio chainrule /
library from the same run, and the *paired* ratio: the median over rounds of chainrule's
round median / the library's, each pair taken minutes apart at most.

Memory workloads: :func:`measure_memory` runs one call in a fresh process and reports the
growth of its peak resident set size over the resident size just before the call.

Workloads live in :mod:`benchmarks.workloads`; the chainrule measured is the one in this
checkout's ``src/`` (put first on the subprocesses' ``PYTHONPATH``).
"""
import argparse
import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):          # run as a script: make the package importable
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.figure import plot as plot_figure  # noqa: E402
from benchmarks.progress import Progress  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS")
GC_MODES = ("off", "on")
QUICK = {"repeats": 4, "rounds": 1, "min_time": 0.01}


# ---------------------------------------------------------------------- in one process
def _library_version(library):
    name = library.split("-")[0]
    mod = sys.modules.get(name)
    version = getattr(mod, "__version__", None) if mod else None
    if version is None and mod is not None:
        try:
            from importlib.metadata import version as dist_version
            version = dist_version(name)
        except Exception:   # not installed as a distribution (a checkout on sys.path)
            pass
    return version


def _params(wl, params):
    """The workload's parameters with the overrides that apply to it."""
    return {**wl.params, **{k: v for k, v in (params or {}).items() if k in wl.params}}


def fingerprint(result):
    """What the runner compares between libraries: the result's values, or for a big
    result 2,000 entries at fixed random places plus sum|r|, sum r^2 and a fixed random
    projection (enough to catch any real difference without shipping megabytes around)."""
    if isinstance(result, (tuple, list)):
        flat = np.concatenate([np.ravel(np.asarray(r, dtype=float)) for r in result])
    else:
        flat = np.ravel(np.asarray(result, dtype=float))
    if flat.size <= 4000:
        return flat.tolist()
    rng = np.random.default_rng(12345)
    picks = flat[rng.choice(flat.size, 2000, replace=False)]
    signs = rng.choice([-1.0, 1.0], flat.size)
    return picks.tolist() + [np.abs(flat).sum(), (flat * flat).sum(), flat @ signs]


def _take_samples(call, number, repeats, modes):
    """``repeats`` samples per gc mode (interleaved), each the mean time of ``number`` calls."""
    samples = {m: [] for m in modes}
    was_enabled = gc.isenabled()
    timer = time.perf_counter
    try:
        for _ in range(repeats):
            for mode in modes:
                gc.collect()
                if mode == "off":
                    gc.disable()
                else:
                    gc.enable()
                t0 = timer()
                for _ in range(number):
                    call()
                samples[mode].append((timer() - t0) / number)
    finally:
        (gc.enable if was_enabled else gc.disable)()
    return samples


def measure(workload, library, params=None, repeats=15, min_time=0.05, warmup=None,
            gc_modes=GC_MODES):
    """Time ``library`` on ``workload`` in this process; returns a dict of results.

    ``time[mode]`` is the median over the samples of one call's time divided by the
    workload's op count (µs per op), or in ms per call for a workload without an op count,
    for each gc mode ('off', 'on').
    """
    wl = WORKLOADS[workload]
    p = _params(wl, params)
    ops = wl.ops(**p) if wl.ops else None
    call = wl.libraries[library](**p)
    t0 = time.perf_counter()
    value, result = call()
    one = time.perf_counter() - t0
    for _ in range(wl.warmup if warmup is None else warmup):
        t0 = time.perf_counter()
        call()
        one = min(one, time.perf_counter() - t0)
    number = max(1, math.ceil(min_time / max(one, 1e-9))) if min_time > 0 else 1
    samples = _take_samples(call, number, repeats, gc_modes)
    return {
        "workload": workload, "library": library, "version": _library_version(library),
        "params": p, "ops": ops, "number": number, "repeats": repeats,
        "value": None if value is None else float(value), "result": fingerprint(result),
        "samples_s": samples, "round": [0],
        "rounds_s": {m: [statistics.median(s)] for m, s in samples.items()},
    } | _summary(samples, ops)


def _summary(samples, ops):
    """Median (and best) time of each gc mode's samples, in the workload's unit."""
    scale = 1e6 / ops if ops else 1e3
    return {"time": {m: statistics.median(s) * scale for m, s in samples.items()},
            "best": {m: min(s) * scale for m, s in samples.items()}}


def _memory_kb(exact, field):
    """``field`` of /proc/self/status in kB where the peak mark can be reset, else the
    process's peak RSS so far (``ru_maxrss``, in kB; bytes on macOS)."""
    if exact:
        return _status_kb(field)
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb // 1024 if sys.platform == "darwin" else kb


def _status_kb(field):
    """A field of /proc/self/status in kB (Linux), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss():
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS; False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status_kb("VmHWM") is not None
    except OSError:
        return False


def _trim_heap():
    """Give freed heap memory back to the OS (glibc), so it cannot hide the next peak."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def measure_memory(workload, library, params=None):
    """Peak memory of one call of ``library`` on ``workload``, run in this process.

    One call at the full array size but only 2 layers first (imports, lazy initialisation
    and per-shape caches are not counted), then the inputs; garbage is collected and freed
    heap returned to the OS; then the kernel's peak-RSS mark is reset to the current RSS
    and the call runs once.  ``peak_mb`` is the peak RSS during the call minus the RSS before
    it: everything the call held at its worst moment, whoever allocated it (NumPy, PyTorch's
    or XLA's allocators alike), the result included.  Where the mark cannot be reset (not
    Linux), the peak since the process started is used, which can only under-count.
    """
    wl = WORKLOADS[workload]
    p = _params(wl, params)
    setup = wl.libraries[library]
    warm = dict(p, steps=min(2, p["steps"])) if "steps" in p else p
    setup(**warm)()
    call = setup(**p)
    gc.collect()
    _trim_heap()
    exact = _reset_peak_rss()
    base = _memory_kb(exact, "VmRSS")
    t0 = time.perf_counter()
    value, result = call()
    seconds = time.perf_counter() - t0
    mb = (_memory_kb(exact, "VmHWM") - base) / 1024
    return {
        "workload": workload, "library": library, "version": _library_version(library),
        "params": p, "value": None if value is None else float(value),
        "result": fingerprint(result), "peak_mb": mb, "rounds_mb": [mb], "round": [0],
        "seconds": seconds, "method": "VmHWM - VmRSS" if exact else "ru_maxrss",
    }


def heap_offset(round_index):
    """Bytes of heap that round ``round_index``'s processes take before setting up (the same
    for every library in a round, so rounds stay paired).

    Where NumPy's arrays land relative to each other (their addresses modulo a page and the
    cache's sets) is fixed by what a process allocated before them, so it is the same in
    every process started alike, whatever ASLR does, and it moves a BLAS-bound step by up to
    30%: hand-written NumPy's MLP step took 1.72 or 2.2 ms here depending on a 1 KB
    allocation made before its arrays.  One layout per run would bias every ratio the same
    way; so each round samples another layout, and the median over rounds averages them.
    """
    return 0 if round_index == 0 else (round_index * 40503 % 64) * 1024 + 64 * round_index


_HEAP_PAD = None


def _child(spec):
    """Subprocess entry: measure one (workload, library), print the result as JSON."""
    global _HEAP_PAD
    _HEAP_PAD = bytearray(spec.pop("heap_offset", 0))     # kept alive: shifts what follows
    cpu = spec.pop("cpu", None)
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    try:
        if WORKLOADS[spec["workload"]].kind == "memory":
            res = measure_memory(spec["workload"], spec["library"], spec.get("params"))
        else:
            res = measure(**spec)
    except ImportError as e:
        res = {"workload": spec["workload"], "library": spec["library"],
               "skipped": f"not installed ({e})"}
    if spec["library"].startswith("chainrule"):
        import chainrule
        res["path"] = str(Path(chainrule.__file__).parent)
    print(json.dumps(res))


# ---------------------------------------------------------------------- the runner
def _env(memory=False, gpu=False):
    env = dict(os.environ)
    for v in THREAD_VARS:
        env[v] = "1"
    if not gpu:
        env.setdefault("JAX_PLATFORMS", "cpu")   # no probing for accelerators
    # glibc's malloc serves big blocks with mmap and gives them back to the OS when freed,
    # until a freed block raises its "dynamic mmap threshold": from then on blocks that size
    # come from the heap, and freed ones stay resident.  So the threshold moves with what a
    # process happened to free first.  For memory, the peak RSS then measures how the heap
    # fragments (PyTorch's peak here went from 779 to 1389 MB just with
    # torch.set_num_threads(1)), not what the library keeps alive; for time, every fresh
    # mmap of a big array costs page faults, and hand-written NumPy's MLP step measured
    # 1.8 ms in one process and 4.2 ms in another.  Fixed thresholds, the same for every
    # library: 1 MB for mmap; the heap trimmed only past 64 MB and grown 16 MB at a time.
    env.setdefault("MALLOC_MMAP_THRESHOLD_", str(1 << 20))
    if not memory:
        env.setdefault("MALLOC_TRIM_THRESHOLD_", str(64 << 20))
        env.setdefault("MALLOC_TOP_PAD_", str(16 << 20))
    paths = [str(ROOT / "src"), str(ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def run_isolated(spec, timeout=900):
    """Run one measurement for ``spec`` in a fresh interpreter; returns its result dict."""
    wl = WORKLOADS[spec["workload"]]
    memory = wl.kind == "memory"
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.run", "--child", json.dumps(spec)],
            cwd=ROOT, env=_env(memory, wl.device == "gpu"), capture_output=True, text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"workload": spec["workload"], "library": spec["library"],
                "error": f"timed out after {timeout} s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"workload": spec["workload"], "library": spec["library"],
                "error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(lines[-1])


def _pool(prev, res):
    """Add one round's result ``res`` to the pooled result ``prev``."""
    if "samples_s" in res:
        for m, s in res["samples_s"].items():
            prev["samples_s"][m].extend(s)
            prev["rounds_s"][m].extend(res["rounds_s"][m])
        prev["repeats"] += res["repeats"]
    elif "rounds_mb" in res:
        prev["rounds_mb"].extend(res["rounds_mb"])
        prev["seconds"] = min(prev["seconds"], res["seconds"])


def run_rounds(workload, libraries, params, repeats, min_time, rounds, cpu=None,
               progress=None):
    """Measure each library in ``rounds`` separate processes, interleaved in time (the order
    rotates each round), and pool their samples: a machine whose load changes during the run
    then slows every library alike, and the ratios stay meaningful.  Each round's processes
    also start from another heap layout (:func:`heap_offset`), the same for every library."""
    memory = WORKLOADS[workload].kind == "memory"
    per_round = max(1, math.ceil(repeats / rounds))
    pooled = {}
    for r in range(rounds):
        k = r % len(libraries)
        for lib in libraries[k:] + libraries[:k]:
            spec = {"workload": workload, "library": lib, "params": params, "cpu": cpu,
                    "heap_offset": heap_offset(r)}
            if not memory:
                spec.update(repeats=per_round, min_time=min_time)
            res = run_isolated(spec)
            if progress is not None:
                progress.step(f"{workload}: {lib}, round {r + 1}/{rounds}")
            res["round"] = [r]
            prev = pooled.get(lib)
            if prev is None or ("samples_s" not in prev and "rounds_mb" not in prev):
                pooled[lib] = res
            elif "samples_s" in res or "rounds_mb" in res:
                _pool(prev, res)
                prev["round"].append(r)
    results = [pooled[lib] for lib in libraries]
    for res in results:
        if "samples_s" in res:
            res.update(_summary(res["samples_s"], res["ops"]))
        elif "rounds_mb" in res:
            res["peak_mb"] = statistics.median(res["rounds_mb"])
    return results


def _paired_ratio(base, res, mode="on"):
    """Median over the rounds both ran of base's round time (or memory) / res's."""
    key = "rounds_mb" if "rounds_mb" in res else "rounds_s"
    a = dict(zip(base["round"], base[key] if key == "rounds_mb" else base[key][mode]))
    b = dict(zip(res["round"], res[key] if key == "rounds_mb" else res[key][mode]))
    ratios = [a[r] / b[r] for r in a if r in b and b[r] > 0]
    return statistics.median(ratios) if ratios else float("nan")


def _agree(workload, results, reference="numpy"):
    """Libraries whose value or result differ from the reference library's (None: no
    reference ran)."""
    wl = WORKLOADS[workload]
    ref = next((r for r in results if r["library"] == reference and "result" in r), None)
    if ref is None:
        return None
    bad = []
    for r in results:
        if "result" not in r:
            continue
        same = (len(r["result"]) == len(ref["result"])
                and np.allclose(r["result"], ref["result"], rtol=wl.rtol, atol=wl.atol))
        if ref["value"] is not None and r["value"] is not None:
            same = same and np.isclose(r["value"], ref["value"], rtol=wl.rtol, atol=wl.atol)
        if not same:
            bad.append(r["library"])
    return bad


def _num(v):
    """A time or size with 3 or 4 significant digits, never in e-notation."""
    if not math.isfinite(v):
        return str(v)
    digits = 0 if abs(v) >= 100 else 1 if abs(v) >= 10 else 2 if abs(v) >= 1 else 3
    return f"{v:.{digits}f}"


def _cell(value, ratio, width=10):
    return f"{_num(value):>{width}}{ratio:>7.2f}"


def format_table(workload, results):
    """The results of one workload as a text table: time (or memory) and, beside each, the
    ratio chainrule / library (so chainrule is 1.00 and a faster or leaner library is above
    1; the first library where chainrule did not run), then the targets met or missed and
    whether the libraries agree."""
    wl = WORKLOADS[workload]
    memory = wl.kind == "memory"
    done = [r for r in results if ("peak_mb" if memory else "time") in r]
    lines = [f"{workload}: {wl.description}"]
    base = next((r for r in done if r["library"] == "chainrule"), done[0] if done else None)
    if done:
        r0 = done[0]
        params = ", ".join(f"{k}={v}" for k, v in r0["params"].items())
        if memory:
            lines.append(f"  {params}; peak RSS growth during one call, MiB (median of "
                         f"{len(r0['rounds_mb'])} processes); ratio = chainrule / library")
        else:
            unit = f"{r0['ops']} ops per call; µs per op" if r0["ops"] else "ms per call"
            lines.append(f"  {params}: {unit}; {r0['repeats']} samples per library and gc "
                         "mode; ratio = chainrule / library")
    if memory:
        head = (f"{'peak MiB':>10}{'ratio':>7}{'min MiB':>10}{'max MiB':>10}{'s/call':>9}")
    else:
        head = "".join(f"{t:>17}" for t in ("median, gc off", "median, gc on",
                                             "best, gc off")) + f"{'paired':>8}{'ms/call':>10}"
    lines.append(f"  {'library':<19}{'version':<12}{head}")
    for r in results:
        name = r["library"]
        if r not in done:
            lines.append(f"  {name:<19}{r.get('skipped') or 'error: ' + r.get('error', '?')}")
            continue
        version = str(r.get("version") or "")[:11]
        if memory:
            ratio = base["peak_mb"] / r["peak_mb"] if base and r["peak_mb"] > 0 else math.nan
            cells = (_cell(r["peak_mb"], ratio) + f"{_num(min(r['rounds_mb'])):>10}"
                     f"{_num(max(r['rounds_mb'])):>10}{r['seconds']:>9.2f}")
        else:
            cells = ""
            for key, mode in (("time", "off"), ("time", "on"), ("best", "off")):
                ratio = base[key][mode] / r[key][mode] if base else math.nan
                cells += _cell(r[key][mode], ratio)
            paired = _paired_ratio(base, r) if base else math.nan
            ms = statistics.median(r["samples_s"]["on"]) * 1e3
            cells += f"{paired:>8.2f}{ms:>10.3f}"
        lines.append(f"  {name:<19}{version:<12}{cells}")
    for lib, note in wl.notes.items():
        if any(r["library"] == lib for r in results):
            lines.append(f"  note, {lib}: {note}")
    for t in wl.targets:
        r = next((r for r in done if r["library"] == t.library), None)
        b = next((r for r in done if r["library"] == t.base), None)
        if b is None or r is None:
            continue
        if t.max_ms is not None:      # an absolute time: only at the workload's own sizes
            if b.get("params") != wl.params:
                continue
            ms = statistics.median(b["samples_s"]["on"]) * 1e3
            lines.append(f"  target: {t.text}: {t.base} = {ms:.1f} ms per call (median, gc "
                         f"on), needs <= {t.max_ms:.0f}: "
                         f"{'met' if ms <= t.max_ms else 'MISSED'}")
            continue
        if memory:
            ratio = b["peak_mb"] / r["peak_mb"] if r["peak_mb"] > 0 else math.nan
        else:
            ratio = _paired_ratio(b, r)
        how = "" if memory else " (paired, gc on)"
        lines.append(f"  target: {t.text}: {t.base} / {t.library} = {ratio:.2f}{how}, "
                     f"needs <= {t.max_ratio:.2f}: {'met' if ratio <= t.max_ratio else 'MISSED'}")
    bad = _agree(workload, done)
    if bad is not None:
        lines.append("  results agree with numpy's: " +
                     ("yes" if not bad else "NO, they differ for " + ", ".join(bad)))
    return "\n".join(lines)


def _machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"Python {platform.python_version()}, NumPy {np.__version__}, {cpu}, "
            f"{os.cpu_count()} cpus, {platform.system()} {platform.release()}")


def _commit():
    """' at <commit>' of this checkout, with '+changes' if the work tree differs."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, text=True, capture_output=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f" at {head}{' +changes' if dirty else ''}"


def _parse_set(items):
    params = {}
    for item in items or ():
        key, sep, val = item.partition("=")
        if not sep:
            raise ValueError(f"--set takes KEY=VALUE, got {item!r}")
        try:
            params[key] = int(val)
        except ValueError:
            params[key] = float(val)
    return params


def _default_cpu():
    """The CPU the measuring processes are pinned to: the last one this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(os.sched_getaffinity(0))
    return None


def _epilog():
    lines = ["workloads (parameters and their defaults; libraries):"]
    for name, wl in WORKLOADS.items():
        params = " ".join(f"{k}={v}" for k, v in wl.params.items())
        lines.append(f"  {name:<9} {wl.description}")
        lines.append(f"  {'':<9} {params}; {' '.join(wl.libraries)}")
    lines += [
        "",
        "libraries: chainrule (this checkout's src/), numpy (gradients written by hand: the",
        "floor), torch (PyTorch eager), torch-func (torch.func transforms), jax (no jit),",
        "jax-jit (compiled before timing), autograd (HIPS autograd), mygrad. On the gpu-*",
        "workloads chainrule runs on CuPy arrays, cupy is the hand-written floor and numpy",
        "the CPU reference. A library that is not installed (or, on gpu-*, finds no GPU)",
        "shows as skipped. Install the peers with pip install -e '.[bench]'.",
        "",
        "ratio = chainrule / library, from the same run: above 1 the library is faster (or",
        "uses less memory); 'paired' is the median over rounds of the per-round ratios.",
        "",
        "examples:",
        "  python -m benchmarks                                   all, defaults (~10 min)",
        "  python -m benchmarks --quick                           all, tiny sizes (~1 min)",
        "  python -m benchmarks --workloads deep --set steps=500000 --libraries chainrule numpy",
        "  python -m benchmarks --workloads overhead mlp --libraries chainrule numpy torch",
        "  python -m benchmarks --workloads gpu-overhead gpu-mlp    needs CuPy and a GPU",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time chainrule (and measure its peak memory) against gradients written "
                    "by hand in NumPy and against PyTorch, JAX, HIPS autograd and MyGrad, "
                    "where installed. Each library runs in its own processes, pinned to one "
                    "CPU with one thread.",
        epilog=_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", nargs="+",
                        default=[n for n, wl in WORKLOADS.items() if wl.device == "cpu"],
                        choices=list(WORKLOADS), metavar="NAME",
                        help="default: all but the GPU ones (gpu-*), which run when named")
    parser.add_argument("--libraries", nargs="+", default=None, metavar="NAME",
                        help="default: every library each workload has; a workload without "
                             "one of these just leaves it out")
    parser.add_argument("--repeats", type=int, default=None,
                        help="samples per gc mode and library, over all rounds "
                             "(default: the workload's, 30 for the small ones)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="processes per library, interleaved with the other libraries' "
                             "(default: the workload's, 5 for the small ones)")
    parser.add_argument("--min-time", type=float, default=None,
                        help="seconds that one sample lasts at least (default 0.05)")
    parser.add_argument("--set", nargs="*", metavar="KEY=VALUE",
                        help="override workload parameters, e.g. --set steps=10 (applies "
                             "to each workload that has the parameter)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes (each workload's 'small' parameters), one process "
                             "and 4 samples per library: checks that everything runs and "
                             "agrees, in about a minute; the times mean little")
    parser.add_argument("--cpu", default="auto",
                        help="CPU to pin the measuring processes to (default: the last one "
                             "available), or 'none' to leave them unpinned")
    parser.add_argument("--json", metavar="PATH", help="also write all results here")
    parser.add_argument("--plot", metavar="PNG", help="also draw the ratios as a figure "
                        "(matplotlib) in this file")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress on stderr (a tqdm bar, or one line per process)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(json.loads(args.child))
        return 0
    try:
        params = _parse_set(args.set)
    except ValueError as e:
        parser.error(str(e))
    chosen = [WORKLOADS[name] for name in args.workloads]
    unused = [k for k in params if not any(k in wl.params for wl in chosen)]
    if unused:
        parser.error(f"no chosen workload has the parameter(s) {', '.join(unused)}")
    if args.libraries:
        known = {lib for wl in chosen for lib in wl.libraries}
        unknown = [lib for lib in args.libraries if lib not in known]
        if unknown:
            parser.error(f"no chosen workload has the library {', '.join(unknown)}; they "
                         f"have {', '.join(sorted(known))}")
    cpu = (None if args.cpu == "none" else _default_cpu() if args.cpu == "auto"
           else int(args.cpu))
    print(_machine())
    pin = f"pinned to CPU {cpu}" if cpu is not None else "not pinned"
    print(f"each library in its own processes, {pin}, {', '.join(THREAD_VARS[:3])}... = 1")
    everything = []
    plan = []
    for name in args.workloads:
        wl = WORKLOADS[name]
        libs = [lib for lib in (args.libraries or wl.libraries) if lib in wl.libraries]
        if libs:
            quick = QUICK if args.quick else {}
            plan.append((name, libs, args.rounds or quick.get("rounds") or wl.rounds))
    progress = Progress(sum(len(libs) * rounds for _, libs, rounds in plan),
                        enabled=not args.no_progress)
    for name, libs, rounds in plan:
        wl = WORKLOADS[name]
        p = {**(wl.small if args.quick else {}), **params}
        quick = QUICK if args.quick else {}
        repeats = args.repeats or quick.get("repeats") or wl.repeats
        min_time = (args.min_time if args.min_time is not None
                    else quick.get("min_time", 0.05))
        results = run_rounds(name, libs, p, repeats, min_time, rounds, cpu, progress)
        path = next((r.get("path") for r in results if r.get("path")), None)
        print()
        print(format_table(name, results), flush=True)
        if path:
            print(f"  chainrule from {path}{_commit()}")
        everything.extend(results)
    progress.close()
    if args.plot:
        print(f"\nfigure: {plot_figure(everything, args.plot, _paired_ratio)}")
    if args.json:
        commit = _commit().replace(" at ", "", 1)
        Path(args.json).write_text(json.dumps({"machine": _machine(), "commit": commit,
                                               "results": everything}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
