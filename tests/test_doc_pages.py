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


@pytest.mark.parametrize("page", [p for p in PAGES if (ROOT / p).exists()])
def test_page_code_runs_without_runtime_warnings(page, monkeypatch, tmp_path):
    blocks = _blocks(page)
    if not blocks:
        pytest.skip(f"{page} has no Python blocks")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__doc_page__"}
    for code, after in blocks:
        if "GradientTape" in code and not hasattr(cr, "GradientTape"):
            continue                    # the TensorFlow idiom, where it has not landed
        if "scipy" in code:
            pytest.importorskip("scipy")
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            try:
                exec(compile(code, f"{page} block", "exec"), namespace)
            except Exception as e:      # a page may show an error on purpose: it says which
                if isinstance(e, RuntimeWarning) or type(e).__name__ not in after:
                    raise


def test_masked_gradient_is_quiet():
    """np.where picks the safe branch; the other branch's inf * 0 must not warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        g = cr.grad(lambda x: np.sum(np.where(x > 0, np.sqrt(x), 0.0)))(np.array([0.0, 4.0]))
        x = cr.tensor(np.array([0.0, 4.0]), requires_grad=True)
        np.where(x > 0, np.sqrt(x), 0.0).sum().backward()
    np.testing.assert_array_equal(g, [0.0, 0.25])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.25])
