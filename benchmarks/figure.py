"""The results table as a matplotlib figure: one panel per workload, a bar per library
showing how many times faster (or leaner) it is than chainrule (the paired ratio
chainrule / library, on a log scale: right of 1 the library wins, left of 1 chainrule does),
with the workload's targets marked."""
import math

from benchmarks.workloads import WORKLOADS


def ratios(workload, results, paired_ratio):
    """``[(library, ratio)]`` for the libraries that ran, chainrule / library."""
    memory = WORKLOADS[workload].kind == "memory"
    key = "peak_mb" if memory else "time"
    done = [r for r in results if key in r]
    base = next((r for r in done if r["library"] == "chainrule"), None)
    if base is None:
        return []
    out = []
    for r in done:
        if memory:
            ratio = base["peak_mb"] / r["peak_mb"] if r["peak_mb"] > 0 else math.nan
        else:
            ratio = paired_ratio(base, r)
        if math.isfinite(ratio) and ratio > 0:
            out.append((r["library"], ratio))
    return out


def plot(results, path, paired_ratio, title=None):
    """Write the figure of ``results`` (the runner's list, all workloads) to ``path``."""
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [w for w in dict.fromkeys(r["workload"] for r in results)]
    panels = [(w, ratios(w, [r for r in results if r["workload"] == w], paired_ratio))
              for w in names]
    panels = [(w, rs) for w, rs in panels if rs]
    if not panels:
        raise ValueError("no workload has results for chainrule and another library to plot")
    heights = [0.5 + 0.32 * len(rs) for _, rs in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, sum(heights) + 0.8),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (w, rs) in zip(axes[:, 0], panels):
        libs = [lib for lib, _ in rs][::-1]
        vals = [v for _, v in rs][::-1]
        # green: chainrule is faster (or leaner) than that library; red: slower
        colors = ["#4c72b0" if lib == "chainrule" else "#999999" if abs(math.log(v)) < 0.05
                  else "#55a868" if v < 1 else "#c44e52" for lib, v in zip(libs, vals)]
        ax.barh(libs, [v - 1 for v in vals], left=1, color=colors, height=0.6)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}"))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.axvline(1.0, color="black", linewidth=0.8)
        for t in WORKLOADS[w].targets:
            if t.library in libs:
                y = libs.index(t.library)
                ax.plot([t.max_ratio], [y], marker="|", markersize=14, color="black")
        for y, v in enumerate(vals):
            ax.annotate(f"{v:.2g}", (v, y), xytext=(3 if v >= 1 else -3, 0),
                        textcoords="offset points", va="center", fontsize=7,
                        ha="left" if v >= 1 else "right")
        kind = "peak memory" if WORKLOADS[w].kind == "memory" else "time"
        ax.set_title(f"{w}: {kind}", fontsize=9, loc="left")
        ax.tick_params(labelsize=8)
        lo, hi = min(vals + [1.0]), max(vals + [1.0])
        ax.set_xlim(lo / 2.5, hi * 2.5)
    axes[-1, 0].set_xlabel("chainrule / library, paired (right of 1: the library is faster "
                           "or leaner; left: chainrule is; | marks a target)", fontsize=8)
    fig.suptitle(title or "chainrule against NumPy by hand and the peers", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
