"""Benchmark runner: ``python benchmarks/run.py`` or ``python -m benchmarks`` (not part of CI).

Each (workload, library) pair runs in its own subprocesses, with one thread for every math
library (OMP/MKL/OpenBLAS...), so that libraries do not disturb each other's caches, JITs or
allocators.  In a subprocess, :func:`measure` warms up, picks how many calls make one sample
(at least ``--min-time`` seconds), then takes samples with Python's garbage collector off and
on, alternating.  Each library gets ``--rounds`` such processes, interleaved with the other
libraries' (see :func:`run_rounds`), and the table gives the median and the best of all its
samples, in microseconds per operation of the workload (one call's time / the workload's op
count), with the ratio chainrule / library from the same run.

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
    } | _summary(samples, ops)


def _summary(samples, ops):
    """Median (and best) µs per op of each gc mode's samples."""
    return {"us_per_op": {m: statistics.median(s) / ops * 1e6 for m, s in samples.items()},
            "best_us_per_op": {m: min(s) / ops * 1e6 for m, s in samples.items()}}


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


def run_rounds(workload, libraries, params, repeats, min_time, rounds):
    """Measure each library in ``rounds`` separate processes, interleaved in time (the order
    rotates each round), and pool their samples: a machine whose load changes during the run
    then slows every library alike, and the ratios stay meaningful."""
    per_round = max(1, math.ceil(repeats / rounds))
    pooled = {}
    for r in range(rounds):
        k = r % len(libraries)
        for lib in libraries[k:] + libraries[:k]:
            res = run_isolated({"workload": workload, "library": lib, "params": params,
                                "repeats": per_round, "min_time": min_time})
            prev = pooled.get(lib)
            if prev is None or "samples_s" not in prev or "samples_s" not in res:
                pooled.setdefault(lib, res)
                continue
            for m, s in res["samples_s"].items():
                prev["samples_s"][m].extend(s)
            prev["repeats"] += res["repeats"]
    results = [pooled[lib] for lib in libraries]
    for res in results:
        if "samples_s" in res:
            res.update(_summary(res["samples_s"], res["ops"]))
    return results


def _agree(results, reference="numpy"):
    """Whether every library's loss and gradient match the reference library's."""
    ref = next((r for r in results if r["library"] == reference and "grad" in r), None)
    if ref is None:
        return None
    return all(np.allclose(r["grad"], ref["grad"], rtol=1e-9, atol=1e-12)
               and np.isclose(r["loss"], ref["loss"], rtol=1e-9)
               for r in results if "grad" in r)


COLUMNS = [("median, gc off", "us_per_op", "off"), ("median, gc on", "us_per_op", "on"),
           ("best, gc off", "best_us_per_op", "off")]


def format_table(workload, results):
    """The results of one workload as a text table: µs per op and, beside each, the ratio
    chainrule time / library time (so chainrule is 1.00 and a faster library is above 1)."""
    wl = WORKLOADS[workload]
    done = [r for r in results if "us_per_op" in r]
    lines = [f"{workload}: {wl.description}"]
    if done:
        r0 = done[0]
        params = ", ".join(f"{k}={v}" for k, v in r0["params"].items())
        lines.append(f"  {params}: {r0['ops']} ops per call; {r0['repeats']} samples per "
                     "library; µs per op, ratio = chainrule / library")
    base = next((r for r in done if r["library"] == "chainrule"), None)
    lines.append(f"  {'library':<12}{'version':<13}"
                 + "".join(f"{title:>22}" for title, _, _ in COLUMNS) + f"{'ms/call':>10}")
    for r in results:
        name = r["library"]
        if "us_per_op" not in r:
            lines.append(f"  {name:<12}{r.get('skipped') or 'error: ' + r.get('error', '?')}")
            continue
        cells = ""
        for _, key, mode in COLUMNS:
            us = r[key][mode]
            ratio = base[key][mode] / us if base else float("nan")
            cells += f"{us:>14.2f}{ratio:>8.2f}"
        ms = statistics.median(r["samples_s"]["off"]) * 1e3
        lines.append(f"  {name:<12}{str(r.get('version') or ''):<13}{cells}{ms:>10.3f}")
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
    parser.add_argument("--repeats", type=int, default=30,
                        help="samples per gc mode and library, over all rounds")
    parser.add_argument("--rounds", type=int, default=5,
                        help="processes per library, interleaved with the other libraries'")
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
    for name in args.workloads:
        unknown = [lib for lib in args.libraries or () if lib not in WORKLOADS[name].libraries]
        if unknown:
            parser.error(f"workload {name!r} has no {', '.join(unknown)}; it has "
                         f"{', '.join(WORKLOADS[name].libraries)}")
    print(_machine())
    print(f"each library in its own process, {', '.join(THREAD_VARS[:3])}... = 1")
    everything = []
    for name in args.workloads:
        libs = args.libraries or list(WORKLOADS[name].libraries)
        results = run_rounds(name, libs, params, args.repeats, args.min_time, args.rounds)
        path = next((r.get("path") for r in results if r.get("path")), None)
        print()
        print(format_table(name, results))
        if path:
            print(f"  chainrule from {path}{_commit()}")
        everything.extend(results)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": _machine(), "results": everything},
                                              indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
