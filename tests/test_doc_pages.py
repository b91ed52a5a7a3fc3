"""The code in the README and on the documentation pages runs, with RuntimeWarnings as
errors (a correct program must not print "invalid value encountered" from the backward
pass), each page's blocks in order in one namespace."""
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["README.md"] + sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")) if (ROOT / "docs").exists() \
    else ["README.md"]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks(page):
    """``(code, what_the_page_says_after_it)`` for each Python block."""
    text = (ROOT / page).read_text(encoding="utf-8")
    if page == "README.md":             # after "## Layout" come fragments of rule tables
        text = text.split("\n## Layout", 1)[0]
    return [(m.group(1), text[m.end():m.end() + 600]) for m in _BLOCK.finditer(text)]


_RUNNER = """
import sys
import chainrule as cr
blocks = {blocks!r}
namespace = {{"__name__": "__doc_page__"}}
for i, (code, after) in enumerate(blocks):
    if "GradientTape" in code and not hasattr(cr, "GradientTape"):
        continue                    # the TensorFlow idiom, where it has not landed
    try:
        exec(compile(code, "{page} block %d" % (i + 1), "exec"), namespace)
    except Exception as e:          # a page may show an error on purpose: it says which
        if isinstance(e, Warning) or type(e).__name__ not in after:
            if isinstance(e, cr.GraphvizMissing):      # the page draws a graph: no Graphviz
                print({marker!r}, i + 1, e, file=sys.stderr)
                sys.exit({exit_code})
            raise
"""
# how the runner says that a page stopped where it renders a graph and Graphviz is missing
GRAPHVIZ_MISSING, GRAPHVIZ_MISSING_EXIT = "GRAPHVIZ-MISSING block", 75


def _run(group, page, path):
    """Run ``group`` (blocks of ``page``) in a fresh ``python -W error::RuntimeWarning``: fail
    on any error but one, a graph rendered without Graphviz installed, for which it stops
    there and returns why."""
    import os
    import subprocess
    import sys
    path.write_text(_RUNNER.format(blocks=group, page=page, marker=GRAPHVIZ_MISSING,
                                   exit_code=GRAPHVIZ_MISSING_EXIT))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
               MPLBACKEND="Agg")
    res = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", str(path)],
                         cwd=path.parent, env=env, capture_output=True, text=True,
                         timeout=300, stdin=subprocess.DEVNULL)
    if res.returncode == GRAPHVIZ_MISSING_EXIT and GRAPHVIZ_MISSING in res.stderr:
        return (f"{page} renders a graph and Graphviz is not installed: "
                f"{res.stderr.strip().splitlines()[-1]}")
    assert res.returncode == 0, res.stderr[-3000:]
    return None


@pytest.mark.parametrize("page", [p for p in PAGES if (ROOT / p).exists()])
def test_page_code_runs_without_runtime_warnings(page, tmp_path):
    """Each page in a fresh ``python -W error::RuntimeWarning`` (a page may set up the
    environment, e.g. SCIPY_ARRAY_API before SciPy is imported).  Without Graphviz, a page
    runs up to the graph it renders, and is then skipped."""
    blocks = _blocks(page)
    if not blocks:
        pytest.skip(f"{page} has no Python blocks")
    for code, _ in blocks:
        for module in ("scipy", "dask", "xarray", "matplotlib", "sklearn"):
            if f"import {module}" in code or f"from {module}" in code:
                pytest.importorskip(module)
    # a block that sets the environment (os.environ[...] before an import) starts afresh
    groups = [[]]
    for block in blocks:
        if "os.environ[" in block[0] and groups[-1]:
            groups.append([])
        groups[-1].append(block)
    missing = [_run(group, page, tmp_path / f"page{i}.py") for i, group in enumerate(groups)]
    if any(missing):
        pytest.skip(next(m for m in missing if m))


@pytest.mark.parametrize("code, skips", [
    ("import sys\nsys.modules['graphviz'] = None      # as if not installed\n"
     "cr.graph(cr.tensor(2.0, requires_grad=True) * 3).render('g.svg')", True),
    ("raise ValueError('a page that is wrong')", False),
    ("raise cr.GraphvizMissing('shown on purpose')", False),     # the text names it: runs on
], ids=["graphviz-missing", "other-error", "graphviz-error-shown"])
def test_a_page_skips_only_for_missing_graphviz(code, skips, tmp_path):
    after = "GraphvizMissing" if "on purpose" in code else ""
    group = [("import chainrule as cr\n" + code, after),
             ("print('the blocks after it ran')", "")]
    if skips:
        assert "Graphviz is not installed" in _run(group, "test page", tmp_path / "page.py")
    elif after:
        assert _run(group, "test page", tmp_path / "page.py") is None
    else:
        with pytest.raises(AssertionError, match="a page that is wrong"):
            _run(group, "test page", tmp_path / "page.py")
