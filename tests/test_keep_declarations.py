"""Rules declare what they keep, and the declarations are checked, not trusted.

A node saves only the inputs (and the output) that its primitive's ``keep`` / ``keep_ans``
declare.  Here every rule of the rule tables runs (one fixed draw of every table entry, both
modes, second order) with each input it did not declare replaced by a sentinel that records
any use: a rule that reads an undeclared input fails the test, instead of failing some user's
backward pass with ``'NoneType'`` arithmetic.  Nothing inspects bytecode to find out what a
rule reads: ``dis`` is imported nowhere in the package.
"""
import ast
import contextlib
import pathlib
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import rules
from chainrule.rules.registry import defprim
from rulecheck import Case, check_case, fixed_draw
from test_rules_coverage import TABLES

SRC = pathlib.Path(cr.__file__).parent


class _Unkept:
    """Stands for an input a rule did not declare: any use records the rule and raises."""

    __slots__ = ("who", "reads")

    def __init__(self, who, reads):
        object.__setattr__(self, "who", who)
        object.__setattr__(self, "reads", reads)

    def _read(self, *args, **kwargs):
        reads = object.__getattribute__(self, "reads")
        who = object.__getattribute__(self, "who")
        reads.add(who)
        raise LookupError(f"{who} read an input it did not declare in keep=")

    def __getattribute__(self, name):
        _Unkept._read(self)


for _name in ("__array__", "__array_ufunc__", "__array_function__", "__len__", "__iter__",
              "__bool__", "__index__", "__int__", "__float__", "__complex__", "__getitem__",
              "__neg__", "__pos__", "__abs__", "__invert__", "__eq__", "__ne__", "__lt__",
              "__le__", "__gt__", "__ge__", "__hash__", "__call__", "__contains__",
              *(f"__{p}{op}__" for op in ("add", "sub", "mul", "truediv", "floordiv", "mod",
                                          "pow", "matmul", "and", "or", "xor")
                for p in ("", "r"))):
    setattr(_Unkept, _name, _Unkept._read)


def _guarded(prim, i, rule, reads):
    """Rule ``i`` of ``prim`` seeing only what the declarations keep for it."""
    need = prim.needs[i] if i < len(prim.needs) else None
    uses_ans = prim.uses_ans
    who = f"{prim.name} (rule for argument {i})"

    def guarded(g, ans, *args, **kwargs):
        if need is not None:
            args = [a if j in need else _Unkept(who, reads) for j, a in enumerate(args)]
        if not uses_ans:
            ans = _Unkept(who + " (the output)", reads)
        return rule(g, ans, *args, **kwargs)
    return guarded


@contextlib.contextmanager
def sentinel_rules(prims):
    """Each rule sees a sentinel for what it did not declare (nodes keep what they declare:
    keeping more would trip the in-place checks of the tables' setitem cases)."""
    reads = set()
    saved = []
    try:
        for p in prims:
            if p.nondiff or p.nary or not p.vjps:
                continue
            saved.append((p, list(p.vjps)))
            p.defvjp(*[None if r is None else _guarded(p, i, r, reads)
                       for i, r in enumerate(p.vjps)])
        yield reads
    finally:
        for p, vjps in saved:
            p.defvjp(*vjps)


def _run(cases):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in cases:
            try:
                check_case(case, *fixed_draw(case))
            except LookupError:
                pass            # recorded in the reads; go on to name every culprit
            except AssertionError:
                pass            # a sentinel's use can show as a wrong number too


def test_no_rule_reads_an_input_it_did_not_declare():
    with sentinel_rules(rules.all_primitives()) as reads:
        _run(TABLES)
    assert not reads, ("rules that read inputs their primitive does not keep (add them to "
                       "keep= / keep_ans=True): " + ", ".join(sorted(reads)))


def test_the_declaration_check_can_fail():
    wrong = defprim(np.sin, name="sin_declared_wrong", elementwise=True,
                    vjp=(lambda g, ans, x: g * np.cos(x),), keep=(), keep_ans=False)
    x = np.linspace(-1, 1, 3)
    with sentinel_rules([wrong]) as reads:
        with pytest.raises(LookupError, match="did not declare"):
            cr.grad(lambda a: np.sum(wrong(a)))(x)
    assert reads == {"sin_declared_wrong (rule for argument 0)"}
    # outside the check, the node keeps nothing, so the rule fails on the missing input
    with pytest.raises(TypeError):
        cr.grad(lambda a: np.sum(wrong(a)))(x)


def test_declarations_are_undone():
    before = [(p.vjps, p.needs, p.uses_ans) for p in rules.all_primitives()]
    with sentinel_rules(rules.all_primitives()):
        pass
    assert before == [(p.vjps, p.needs, p.uses_ans) for p in rules.all_primitives()]


def test_nodes_keep_what_the_declarations_say():
    x = cr.tensor(np.linspace(0.5, 1.0, 4), requires_grad=True)
    assert np.sin(x).grad_fn.raws[0] is x.data            # keep=("x",)
    assert np.exp(x).grad_fn.raws == (None,)              # keep=(), keep_ans=True
    assert np.exp(x).grad_fn.ans is not None
    y = x * 2.0                                            # bilinear: x's rule reads only y
    assert y.grad_fn.raws == (None, 2.0)


def test_declarations_name_inputs_the_rules_have():
    with pytest.raises(ValueError, match="no input named 'z'"):
        defprim(np.sin, name="bad", vjp=(lambda g, ans, x: g,), keep=("z",))


def test_nothing_inspects_bytecode():
    """``dis`` is imported nowhere (what a rule reads is declared), and gradients work."""
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert all(a.name != "dis" for a in node.names), path
            elif isinstance(node, ast.ImportFrom):
                assert node.module != "dis", path
            elif isinstance(node, ast.Name):
                assert node.id != "dis", path
    np.testing.assert_allclose(cr.grad(lambda x: np.sum(np.sin(x) * x))(np.ones(3)),
                               np.cos(1.0) + np.sin(1.0))


def test_a_case_with_one_primitive_runs_under_the_check():
    with sentinel_rules(rules.all_primitives()) as reads:
        _run([Case("sin", np.sin)])
    assert not reads


# rules that genuinely differ between the modes (the transpose of a real-linear map of a
# complex input is not the map itself)
# for complex input the VJP of a real-valued function is not its JVP (docs/complex.md): |z|
# pulls back g to g conj(z) / |z| but pushes t forward to Re(conj(z) t) / |z|
_DIFFER_BY_MODE = {"real", "imag", "absolute", "sign"}


def test_each_elementwise_derivative_is_stated_once():
    """For every elementwise primitive, one rule object serves as VJP and JVP (from ``d=``,
    ``linear=``, ``bilinear=`` or ``both=``): no table repeats a VJP as a JVP.  That these
    rules are right in both modes, to second order, is what the rule tables check
    (``tests/test_rules_coverage.py`` makes sure every one of them runs there)."""
    repeated = [p.name for p in rules.all_primitives()
                if p.elementwise and not p.nondiff and p.vjps and p.name not in _DIFFER_BY_MODE
                and not p.multiple_results     # a tuple of cotangents in, of tangents out
                and [id(r) for r in p.vjps] != [id(r) for r in p.jvps]]
    assert not repeated, repeated
    assert rules.sin_p.vjps[0] is rules.sin_p.jvps[0]


def test_a_local_derivative_gives_both_modes():
    from chainrule.rules.api import defufunc
    cube = defufunc(np.cbrt, d=lambda ans, x: 3 * x * x, keep=("x",), keep_ans=False,
                    fn=lambda x: x ** 3, name="cube")
    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(cr.grad(lambda a: np.sum(cube(a)))(x), 3 * x * x)
    np.testing.assert_allclose(cr.jvp(cube, (x,), (np.ones(3),))[1], 3 * x * x)
    cr.check_grads(cube, x, modes=("fwd", "rev"), order=2)
    from chainrule.dispatch import register_ufunc
    register_ufunc(np.cbrt, rules.cbrt_p)          # give np.cbrt its own primitive back


def test_primitives_have_no_instance_dict():
    """Primitive declares its fields (``__slots__``): a typo such as ``p.kep = ...`` fails."""
    assert not hasattr(rules.sin_p, "__dict__")
    with pytest.raises(AttributeError):
        rules.sin_p.kep = ("x",)
