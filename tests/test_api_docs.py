"""Every public name is documented: a docstring with a runnable example (the examples run
in tests/test_docstrings.py) for each name exported by chainrule and its public modules, and
a docstring for every public Tensor method and property (``help(x.exp)`` says something)."""
import inspect

import pytest

import chainrule as cr

MODULES = [cr, cr.autograd, cr.optim, cr.pytree]
NAMES = [(m.__name__, n) for m in MODULES for n in m.__all__
         if not inspect.ismodule(getattr(m, n))]


@pytest.mark.parametrize("module,name", NAMES, ids=[f"{m}.{n}" for m, n in NAMES])
def test_public_name_has_a_docstring_with_an_example(module, name):
    obj = getattr(__import__(module, fromlist=["_"]), name)
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{module}.{name} has no docstring"
    assert ">>>" in doc, f"{module}.{name}'s docstring has no example"


def _tensor_public():
    for name in dir(cr.Tensor):
        if name.startswith("_") or name in ("data", "grad"):   # slots: documented on Tensor
            continue
        yield name


@pytest.mark.parametrize("name", sorted(_tensor_public()))
def test_tensor_method_has_a_docstring(name):
    attr = inspect.getattr_static(cr.Tensor, name)
    doc = getattr(attr, "__doc__", None) or ""
    assert doc.strip(), f"Tensor.{name} has no docstring"


def test_grad_help_describes_argnums_and_has_aux():
    doc = inspect.getdoc(cr.grad)
    for word in ("argnums", "has_aux", "Returns", "Raises", ">>>"):
        assert word in doc
