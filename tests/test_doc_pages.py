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
            raise
"""


@pytest.mark.parametrize("page", [p for p in PAGES if (ROOT / p).exists()])
def test_page_code_runs_without_runtime_warnings(page, tmp_path):
    """Each page in a fresh ``python -W error::RuntimeWarning`` (a page may set up the
    environment, e.g. SCIPY_ARRAY_API before SciPy is imported)."""
    import os
    import subprocess
    import sys
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
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
               MPLBACKEND="Agg")
    for i, group in enumerate(groups):
        script = tmp_path / f"page{i}.py"
        script.write_text(_RUNNER.format(blocks=group, page=page))
        res = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", str(script)],
                             cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=300, stdin=subprocess.DEVNULL)
        assert res.returncode == 0, res.stderr[-3000:]


def test_masked_gradient_is_quiet():
    """np.where picks the safe branch; the other branch's inf * 0 must not warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        g = cr.grad(lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0)))(np.array([0.0, 4.0]))
        x = cr.tensor(np.array([0.0, 4.0]), requires_grad=True)
        np.where(x > 0, np.sqrt(x), 0.0).sum().backward()
    np.testing.assert_array_equal(g, [0.0, 0.25])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.25])
