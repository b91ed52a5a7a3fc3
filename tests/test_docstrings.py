"""The examples in chainrule's docstrings run and print what they show."""
import doctest
import importlib
import pkgutil

import pytest

import chainrule

MODULES = sorted(
    ["chainrule"] + [m.name for m in pkgutil.walk_packages(chainrule.__path__, "chainrule.")
                     if not m.name.endswith("__main__")])


# modules whose examples need an optional package (skipped cleanly without it)
NEEDS = {"chainrule.visual.plot": "matplotlib"}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    if name.startswith("chainrule.scipy") or name == "chainrule.rules.special":
        pytest.importorskip("scipy")        # these modules exist for SciPy's functions
    module = importlib.import_module(name)
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
