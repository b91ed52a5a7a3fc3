"""Every primitive of the rule tables is exercised by the test tables, in both modes.

The tables check rules against finite differences, so a rule that no table entry reaches is
untested.  Here every table entry runs once (a fixed draw, the same checks as the table
tests) while each rule of each primitive logs its calls; a VJP rule must have run (reverse
mode) and a JVP rule must have run (forward mode) for every argument that has one.
Primitives marked ``nondiff`` carry no derivative and are left out.  The checks go to second
order, so rules reached only through other rules (``slice`` inside cumsum's VJP) count: their
result was compared with finite differences there too.
"""
import contextlib
import warnings

import numpy as np

import chainrule as cr
from chainrule import rules
from rulecheck import Case, check_case, fixed_draw
import test_rules_elementwise
import test_rules_fft
import test_rules_linalg
import test_rules_reductions
import test_rules_shape

TABLES = (test_rules_elementwise.CASES + test_rules_reductions.CASES +
          test_rules_shape.INDEXING + test_rules_shape.SETITEM + test_rules_shape.SHAPES +
          test_rules_linalg.CASES + test_rules_fft.CASES)
try:                                    # SciPy's special functions, when SciPy is installed
    import scipy.special  # noqa: F401
except ImportError:
    pass
else:
    import test_rules_special
    TABLES = TABLES + test_rules_special.CASES

# forward mode of in-place writes and of views runs through these helpers (tensor.py calls
# them), not through a JVP rule of the primitive
_TANGENT_HELPERS = {"setitem_tangent": "setitem", "index_tangent": "getitem"}
# what Primitive.defvjp derives from the keep declarations (the wrappers must not change it)
_ANALYSIS = ("needs", "uses_ans", "keep1", "keep_a", "keep_b", "keep_ab")


def _logged(rule, seen, key):
    def logged(*args, **kwargs):
        seen.add(key)
        return rule(*args, **kwargs)
    return logged


def _rule_keys(prim, rules_, mode):
    """(name, mode, argument) for each rule; '*' for a rule shared by all arguments.  A rule
    marked ``refuses`` only raises, saying why there is none (the tests that it does are
    beside the tables)."""
    if prim.nary:
        return [(prim.name, mode, "*")] if rules_ and rules_[0] is not None else []
    return [(prim.name, mode, i) for i, r in enumerate(rules_)
            if r is not None and not getattr(r, "refuses", False)]


def expected():
    """Every (primitive, mode, argument) that has a rule."""
    keys = set()
    for p in rules.all_primitives():
        if p.nondiff:
            continue
        keys.update(_rule_keys(p, p.vjps, "rev"))
        if p.jvp_joint is not None:
            keys.add((p.name, "fwd", "*"))
        else:
            keys.update(_rule_keys(p, p.jvps, "fwd"))
    for helper, name in _TANGENT_HELPERS.items():
        keys.add((name, "fwd", helper))
    return keys


@contextlib.contextmanager
def logging_rules():
    """Wrap every rule so that calling it adds its key to the yielded set; undo on exit."""
    seen = set()
    saved = []
    try:
        for p in rules.all_primitives():
            if p.nondiff:
                continue
            saved.append((p, p.vjps, p.jvps, p.jvp_joint))
            # through defvjp, so the engine's precomputed pullbacks call the logged rules;
            # what the declarations say the rules read (which inputs the nodes keep) stays
            analysis = {a: getattr(p, a) for a in _ANALYSIS}
            p.defvjp(*[None if r is None else _logged(r, seen, k) for r, k in
                       zip(p.vjps, [(p.name, "rev", "*" if p.nary else i)
                                    for i in range(len(p.vjps))])])
            for a, v in analysis.items():
                setattr(p, a, v)
            p.jvps = [None if r is None else _logged(r, seen, k) for r, k in
                      zip(p.jvps, [(p.name, "fwd", "*" if p.nary else i)
                                   for i in range(len(p.jvps))])]
            if p.jvp_joint is not None:
                p.jvp_joint = _logged(p.jvp_joint, seen, (p.name, "fwd", "*"))
        for helper, name in _TANGENT_HELPERS.items():
            setattr(rules, helper, _logged(getattr(rules, helper), seen, (name, "fwd", helper)))
        yield seen
    finally:
        for p, vjps, jvps, joint in saved:
            p.defvjp(*vjps)
            p.jvps, p.jvp_joint = jvps, joint
        for helper in _TANGENT_HELPERS:
            setattr(rules, helper, getattr(rules.shape, helper))


def exercised(cases):
    """The rule keys that running ``cases`` (one fixed draw each) reaches."""
    with logging_rules() as seen, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in cases:
            check_case(case, *fixed_draw(case))
    return set(seen)


def test_every_rule_is_exercised_by_the_tables():
    missing = expected() - exercised(TABLES)
    assert not missing, (
        "rules that no test table reaches (add a line to a tests/test_rules_*.py table): " +
        ", ".join(f"{name} {mode}{'' if arg == '*' else f' (argument {arg})'}"
                  for name, mode, arg in sorted(missing, key=str)))


def test_the_coverage_check_can_fail():
    """With one table entry, the check names what the others cover: it is not vacuous."""
    seen = exercised([Case("sin", np.sin)])
    assert {("sin", "rev", 0), ("sin", "fwd", 0)} <= seen
    missing = expected() - seen
    assert ("cos", "rev", 0) not in missing      # sin's second derivative goes through cos
    assert {("matmul", "rev", 1), ("setitem", "fwd", "setitem_tangent"),
            ("remainder", "fwd", 1)} <= missing


def test_logging_is_undone():
    def state():
        return [(p.vjps, p.jvps, p.jvp_joint) + tuple(getattr(p, a) for a in _ANALYSIS)
                for p in rules.all_primitives()]
    before = state()
    with logging_rules():
        pass
    assert before == state()
    assert rules.setitem_tangent is rules.shape.setitem_tangent
    np.testing.assert_allclose(cr.grad(np.sin)(0.0), 1.0)
