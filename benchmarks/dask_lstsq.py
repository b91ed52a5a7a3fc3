"""Gradient of a least-squares loss over a chunked Dask array, on a local distributed cluster.

``loss(w) = sum((X @ w - y) ** 2) / 2`` with ``X`` an ``(n / d, d)`` Dask array of ``n``
float64 entries (random, made chunk by chunk on the workers, so it never exists whole
anywhere) and ``w`` a small NumPy vector.  chainrule's ``cr.grad(loss)(w, X, y)`` builds a
lazy Dask graph; the same gradient written by hand in Dask is ``X.T @ (X @ w - y)``.  Both
are computed on a ``dask.distributed.LocalCluster`` (worker processes on loopback), in
alternating pairs; each worker samples its own resident memory every few milliseconds, so
the peak per worker is measured, not estimated.

    python -m benchmarks.dask_lstsq                   # 10^8 entries (800 MB), 2 workers
    python -m benchmarks.dask_lstsq --n 1e6 --pairs 1 # a quick check

Results and how to read them: docs/scale.md.
"""
import argparse
import statistics
import threading
import time

import numpy as np


def _sampler_start(dask_worker, interval=0.005):
    """Run on a worker: sample this process's RSS in a thread; keep the peak."""
    import psutil
    w = dask_worker
    proc = psutil.Process()
    state = {"peak": proc.memory_info().rss, "stop": False}

    def loop():
        while not state["stop"]:
            rss = proc.memory_info().rss
            if rss > state["peak"]:
                state["peak"] = rss
            time.sleep(interval)
    threading.Thread(target=loop, daemon=True).start()
    w._chainrule_rss = state
    return state["peak"]


def _sampler_reset(dask_worker):
    import gc
    import psutil
    gc.collect()
    state = dask_worker._chainrule_rss
    state["peak"] = psutil.Process().memory_info().rss
    return state["peak"]


def _sampler_peak(dask_worker):
    return dask_worker._chainrule_rss["peak"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=float, default=1e8, help="entries of X (default 1e8)")
    ap.add_argument("--d", type=int, default=10, help="columns of X (default 10)")
    ap.add_argument("--chunk-mb", type=float, default=8.0, help="MB per chunk of X")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pairs", type=int, default=3, help="alternating timed pairs")
    ap.add_argument("--memory-limit", default="4GB", help="per worker")
    args = ap.parse_args(argv)

    import dask.array as da
    import distributed

    import chainrule as cr

    n, d = int(args.n), args.d
    rows = n // d
    chunk_rows = max(1, int(args.chunk_mb * 2 ** 20 / 8 / d))
    X = da.random.default_rng(0).random((rows, d), chunks=(chunk_rows, d))
    y = da.random.default_rng(1).random(rows, chunks=chunk_rows)
    w = np.linspace(-1.0, 1.0, d)
    array_mb = rows * d * 8 / 1e6

    def loss(w, X, y):
        r = X @ w - y
        return np.sum(r * r) / 2

    graphs = {
        "chainrule": lambda: cr.grad(loss)(w, X, y),
        "hand-written Dask": lambda: X.T @ (X @ w - y),
    }
    with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                  processes=True, host="127.0.0.1", dashboard_address=None,
                                  memory_limit=args.memory_limit) as cluster, \
            distributed.Client(cluster) as client:
        client.run(_sampler_start)
        results = {k: [] for k in graphs}
        values = {}
        for i in range(args.pairs + 1):          # pair 0 warms the workers up
            for name, make in graphs.items():
                base = client.run(_sampler_reset)
                t0 = time.perf_counter()
                g = make()
                lazy = isinstance(g, da.Array)
                val = g.compute()
                dt = time.perf_counter() - t0
                peaks = client.run(_sampler_peak)
                rise = max(peaks[a] - base[a] for a in peaks) / 1e6
                top = max(peaks.values()) / 1e6
                values[name] = val
                if i:
                    results[name].append((dt, rise, top, lazy))
        np.testing.assert_allclose(values["chainrule"], values["hand-written Dask"],
                                   rtol=1e-9)
    print(f"X: {rows} x {d} float64 = {array_mb:.0f} MB in chunks of {chunk_rows} rows "
          f"({chunk_rows * d * 8 / 1e6:.1f} MB); {args.workers} worker processes, 1 thread each")
    for name, rs in results.items():
        print(f"{name:18s} time median {statistics.median(r[0] for r in rs):7.2f} s   "
              f"peak RSS per worker {max(r[2] for r in rs):7.0f} MB "
              f"(rise during the run {max(r[1] for r in rs):6.0f} MB = "
              f"{max(r[1] for r in rs) / array_mb:.3f} of the array)   "
              f"lazy until compute: {all(r[3] for r in rs)}")
    ratios = [a[0] / b[0] for a, b in zip(results["chainrule"], results["hand-written Dask"])]
    print(f"time ratio chainrule / hand-written (paired): median {statistics.median(ratios):.3f}"
          f" ({', '.join(f'{r:.3f}' for r in ratios)})")


if __name__ == "__main__":
    main()
