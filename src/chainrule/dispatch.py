"""The dispatch tables: which primitive or handler NumPy's functions reach on tensors.

A leaf module (it imports nothing of chainrule), so that the tensor, the NumPy bridge and
the rule tables can all use the tables without importing each other.  The rule tables fill
them (:func:`register_ufunc`, :func:`implements`, :func:`nondiff`); the tensor's NumPy
protocols and :mod:`chainrule.numpy_bridge` read them.
"""

UFUNCS = {}        # ufunc -> Primitive
FUNCTIONS = {}     # NumPy function -> handler(*args, **kwargs)
NONDIFF = set()    # NumPy functions and ufuncs whose results carry no gradient


def implements(*funcs):
    """Register a handler for NumPy functions (used by the rule tables)."""
    def deco(handler):
        for f in funcs:
            FUNCTIONS[f] = handler
        return handler
    return deco


def register_ufunc(ufunc, prim):
    """Make ``prim`` what ``ufunc`` computes on tensors."""
    UFUNCS[ufunc] = prim
    return prim


def nondiff(*funcs):
    """Mark NumPy functions whose results carry no gradient (they run on plain values)."""
    NONDIFF.update(funcs)


__all__ = ["UFUNCS", "FUNCTIONS", "NONDIFF", "implements", "register_ufunc", "nondiff"]
