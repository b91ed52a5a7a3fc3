"""The coverage table (``docs/coverage.md``): what chainrule differentiates, read from the
registry (the dispatch tables and the primitives' rules), so it cannot drift from the code.

``python -m chainrule.coverage`` prints it; ``tests/test_coverage_doc.py`` fails when the
file is stale.  SciPy's special functions are listed when SciPy is installed, and so are the
functions of ``chainrule.numpy`` and ``chainrule.scipy.*`` that NumPy cannot dispatch (each
of those modules declares its rows in ``COVERAGE``).

>>> from chainrule import coverage
>>> [r for r in coverage.rows() if r[0] == "np.sin"][0][1:5]
('rule', 'rule', 'yes', 'yes')
"""
import numpy as np

from . import dispatch
from .rules import complex as _complex_rules, registry

__all__ = ["rows", "table"]

_HEAD = """# Coverage

Generated from chainrule's registry by `python -m chainrule.coverage > docs/coverage.md`;
`tests/test_coverage_doc.py` fails when this file is out of date.

Columns: **reverse** / **forward**: `rule` (a primitive with its own derivative rule),
`composite` (built from primitives, so its derivative is theirs), `values` (runs on values,
carries no gradient). **2nd order**: the rules are written with primitives, so they
differentiate again (the rule tables check every rule to second order). **complex**: `yes`
(complex input wherever NumPy or SciPy takes it, in JAX's convention, see
[complex.md](complex.md); the rule tables check every case NumPy computes on complex input),
`TypeError` (chainrule refuses complex input rather than give a wrong derivative),
`NumPy refuses` / `SciPy refuses` (the function has no complex version), `-` (no derivative).

| function | reverse | forward | 2nd order | complex | notes |
|---|---|---|---|---|---|
"""


def _name(f):
    """``np.sin``, ``np.linalg.inv``, ``np.fft.fft``, ``scipy.special.expit``."""
    name = f.__name__
    if getattr(np, name, None) is f:
        return f"np.{name}"
    for sub in ("linalg", "fft"):
        if getattr(getattr(np, sub), name, None) is f:
            return f"np.{sub}.{name}"
    mod = getattr(f, "__module__", None) or ""
    if isinstance(f, np.ufunc) or mod.startswith("scipy"):
        return f"scipy.special.{name}"
    return f"{mod}.{name}"


def _first_line(doc):
    line = (doc or "").strip().split("\n\n")[0].replace("\n", " ")
    return " ".join(line.split())


def _complex(f, takes_complex):
    if f in _complex_rules.REAL_ONLY:
        return "TypeError"
    if takes_complex:
        return "yes"
    return "SciPy refuses" if _name(f).startswith("scipy") else "NumPy refuses"


def _ufunc_row(f, prim):
    has_complex = any("D" in t.split("->")[0] or "F" in t.split("->")[0] for t in f.types)
    if prim.nondiff:
        return (_name(f), "values", "values", "-", "-", "")
    rev = "rule" if any(r is not None for r in prim.vjps) else "none"
    fwd = "rule" if prim.jvp_joint is not None or any(r is not None for r in prim.jvps) \
        else "none"
    return (_name(f), rev, fwd, "yes" if rev == "rule" else "-", _complex(f, has_complex),
            _complex_rules.REAL_ONLY.get(f, ""))


def rows():
    """One ``(function, reverse, forward, 2nd order, complex, notes)`` per NumPy function."""
    registry.scipy_rules(load=True)
    out = []
    for f, prim in dispatch.UFUNCS.items():
        if f not in dispatch.FUNCTIONS:
            out.append(_ufunc_row(f, prim))
    for f, handler in dispatch.FUNCTIONS.items():
        if f in (np.shape, np.ndim, np.size):
            continue
        out.append((_name(f), "composite", "composite", "yes", _complex(f, True),
                    _complex_rules.REAL_ONLY.get(f) or _first_line(handler.__doc__)))
    for f in dispatch.NONDIFF:
        if f not in dispatch.UFUNCS and f not in dispatch.FUNCTIONS:
            out.append((_name(f), "values", "values", "-", "-", ""))
    for module in _namespaces():
        out.extend((f"{module.__name__}.{name}",) + row for name, row in module.COVERAGE.items())
    return sorted(set(out))


def _namespaces():
    """The modules whose functions are not in the dispatch tables (``chainrule.numpy``,
    ``chainrule.scipy.*``): each declares its rows in ``COVERAGE``."""
    import importlib
    names = ["chainrule.numpy"]
    try:
        import scipy  # noqa: F401
        names += ["chainrule.scipy.linalg", "chainrule.scipy.signal", "chainrule.scipy.integrate"]
    except ImportError:
        pass
    return [importlib.import_module(n) for n in names]


def table():
    """``docs/coverage.md`` as a string."""
    return _HEAD + "".join(f"| `{r[0]}` | " + " | ".join(c.replace("|", "\\|") for c in r[1:])
                           + " |\n" for r in rows())


if __name__ == "__main__":
    print(table(), end="")
