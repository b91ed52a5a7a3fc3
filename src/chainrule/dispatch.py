"""The dispatch tables: which primitive or handler NumPy's functions reach on tensors.

A leaf module (it imports nothing of chainrule), so that the tensor, the NumPy bridge and
the rule tables can all use the tables without importing each other.  The rule tables fill
:data:`UFUNCS` and :data:`NONDIFF` (:func:`register_ufunc`, :func:`nondiff`), the NumPy-API
layer (:mod:`chainrule.numpy_api`) fills :data:`FUNCTIONS` (:func:`implements`); the
tensor's NumPy protocols and :mod:`chainrule.numpy_bridge` read them.
"""

UFUNCS = {}        # ufunc -> Primitive
LATE_LOADERS = []  # loaders of rule tables that wait for their library (SciPy's special)
FUNCTIONS = {}     # NumPy function -> handler(*args, **kwargs)
NONDIFF = set()    # NumPy functions and ufuncs whose results carry no gradient


def implements(*funcs):
    """Register a handler for NumPy functions (used by :mod:`chainrule.numpy_api`)."""
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


def load_late_rules():
    """Run the loaders of rule tables that wait for their library; True if one added rules
    (the bridge asks when a ufunc without a rule meets a tensor).  A loader returns True
    once it has loaded its table, and is then dropped."""
    done = [load for load in LATE_LOADERS if load()]
    for load in done:
        LATE_LOADERS.remove(load)
    return bool(done)


__all__ = ["UFUNCS", "FUNCTIONS", "NONDIFF", "LATE_LOADERS", "implements", "register_ufunc",
           "nondiff", "load_late_rules"]
