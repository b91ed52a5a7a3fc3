"""Benchmark runner: ``python benchmarks/run.py`` or ``python -m benchmarks`` (not part of CI).

Each (workload, library) pair runs in its own subprocess, with one thread for every math
library (OMP/MKL/OpenBLAS...), so that libraries do not disturb each other's caches, JITs or
allocators.  In the subprocess, :func:`measure` warms up, picks how many calls make one
sample (at least ``--min-time`` seconds), then takes ``--repeats`` samples with Python's
garbage collector off and on, alternating, and reports the median of each.  Times are given
in microseconds per operation of the workload (one call's time / the workload's op count),
and as the ratio chainrule / library from the same run.

Workloads live in :mod:`benchmarks.workloads`; the chainrule measured is the one in this
checkout's ``src/`` (put first on the subprocesses' ``PYTHONPATH``).
"""
import argparse
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):          # run as a script: make the package importable
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.workloads import WORKLOADS  # noqa: E402

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS")
GC_MODES = ("off", "on")


# ---------------------------------------------------------------------- in one process
def _library_version(library):
    mod = sys.modules.get(library)
    return getattr(mod, "__version__", None) if mod else None


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


def measure(workload, library, params=None, repeats=15, min_time=0.05, warmup=3,
            gc_modes=GC_MODES):
    """Time ``library`` on ``workload`` in this process; returns a dict of results.

    ``us_per_op[mode]`` is the median over the samples of one call's time divided by the
    workload's op count, in microseconds, for each gc mode ('off', 'on').
    """
    wl = WORKLOADS[workload]
    p = {**wl.params, **(params or {})}
    ops = wl.ops(**p)
    call = wl.libraries[library](**p)
    t0 = time.perf_counter()
    loss, grad = call()
    one = time.perf_counter() - t0
    for _ in range(warmup):
        t0 = time.perf_counter()
        call()
        one = min(one, time.perf_counter() - t0)
    number = max(1, math.ceil(min_time / max(one, 1e-9))) if min_time > 0 else 1
    samples = _take_samples(call, number, repeats, gc_modes)
    return {
        "workload": workload, "library": library, "version": _library_version(library),
        "params": p, "ops": ops, "number": number, "repeats": repeats,
        "loss": float(loss), "grad": np.asarray(grad, dtype=float).tolist(),
        "samples_s": samples,
        "us_per_op": {m: statistics.median(s) / ops * 1e6 for m, s in samples.items()},
    }


def _child(spec):
    """Subprocess entry: measure one (workload, library), print the result as JSON."""
    try:
        res = measure(**spec)
    except ImportError as e:
        res = {"workload": spec["workload"], "library": spec["library"],
               "skipped": f"not installed ({e})"}
    if spec["library"] == "chainrule":
        import chainrule
        res["path"] = str(Path(chainrule.__file__).parent)
    print(json.dumps(res))


# ---------------------------------------------------------------------- the runner
def _env():
    env = dict(os.environ)
    for v in THREAD_VARS:
        env[v] = "1"
    paths = [str(ROOT / "src"), str(ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def run_isolated(spec, timeout=900):
    """Run :func:`measure` for ``spec`` in a fresh interpreter; returns its result dict."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--child", json.dumps(spec)],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"workload": spec["workload"], "library": spec["library"],
                "error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(lines[-1])


def _agree(results, reference="numpy"):
    """Whether every library's loss and gradient match the reference library's."""
    ref = next((r for r in results if r["library"] == reference and "grad" in r), None)
    if ref is None:
        return None
    return all(np.allclose(r["grad"], ref["grad"], rtol=1e-9, atol=1e-12)
               and np.isclose(r["loss"], ref["loss"], rtol=1e-9)
               for r in results if "grad" in r)


def format_table(workload, results):
    """The results of one workload as a text table (µs per op, ratios vs chainrule)."""
    wl = WORKLOADS[workload]
    done = [r for r in results if "us_per_op" in r]
    lines = []
    if done:
        r0 = done[0]
        params = ", ".join(f"{k}={v}" for k, v in r0["params"].items())
        lines.append(f"{workload}: {wl.description}")
        lines.append(f"  ({params}; {r0['ops']} ops per call; median of {r0['repeats']} "
                     "samples; ratio = chainrule time / library time)")
    else:
        lines.append(f"{workload}: {wl.description}")
    base = next((r for r in done if r["library"] == "chainrule"), None)
    head = (f"  {'library':<12}{'version':<14}{'µs/op gc off':>14}{'ratio':>8}"
            f"{'µs/op gc on':>14}{'ratio':>8}{'ms/call':>10}")
    lines.append(head)
    for r in results:
        name = r["library"]
        if "us_per_op" not in r:
            lines.append(f"  {name:<12}{r.get('skipped') or 'error: ' + r.get('error', '?')}")
            continue
        cells = []
        for m in GC_MODES:
            us = r["us_per_op"][m]
            ratio = base["us_per_op"][m] / us if base else float("nan")
            cells.append(f"{us:>14.3f}{ratio:>8.2f}")
        ms = statistics.median(r["samples_s"]["off"]) * 1e3
        lines.append(f"  {name:<12}{str(r.get('version') or ''):<14}{''.join(cells)}"
                     f"{ms:>10.3f}")
    ok = _agree(done)
    if ok is not None:
        lines.append(f"  losses and gradients agree with numpy's: {'yes' if ok else 'NO'}")
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


def _parse_set(items):
    params = {}
    for item in items or ():
        key, _, val = item.partition("=")
        params[key] = int(val) if val.lstrip("-").isdigit() else float(val)
    return params


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time chainrule against hand-written NumPy and PyTorch (if installed).")
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS),
                        choices=list(WORKLOADS), help="default: all")
    parser.add_argument("--libraries", nargs="+", default=None,
                        help="default: every library the workload has")
    parser.add_argument("--repeats", type=int, default=15, help="samples per gc mode")
    parser.add_argument("--min-time", type=float, default=0.05,
                        help="seconds that one sample lasts at least")
    parser.add_argument("--set", nargs="*", metavar="KEY=VALUE",
                        help="override workload parameters, e.g. --set steps=10")
    parser.add_argument("--json", metavar="PATH", help="also write all results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(json.loads(args.child))
        return 0
    params = _parse_set(args.set)
    print(_machine())
    print(f"each library in its own process, {', '.join(THREAD_VARS[:3])}... = 1")
    everything = []
    for name in args.workloads:
        libs = args.libraries or list(WORKLOADS[name].libraries)
        results = []
        for lib in libs:
            if lib not in WORKLOADS[name].libraries:
                results.append({"workload": name, "library": lib,
                                "skipped": "no implementation for this workload"})
                continue
            results.append(run_isolated({"workload": name, "library": lib, "params": params,
                                         "repeats": args.repeats,
                                         "min_time": args.min_time}))
        path = next((r.get("path") for r in results if r.get("path")), None)
        print()
        print(format_table(name, results))
        if path:
            print(f"  chainrule from {path}")
        everything.extend(results)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": _machine(), "results": everything},
                                              indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
