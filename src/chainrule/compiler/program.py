"""From a trace to a program: optimization passes and the generated Python source.

The passes work on the steps of a :class:`~chainrule.compiler.tracing.Trace`:

- *folding*: a step whose inputs are all constants (or that reads only shapes, as
  ``np.ones_like``) becomes the constant it computed;
- *identities*: steps that return their input unchanged for the traced shapes and dtypes
  (a reshape to the same shape, ``x * 1``, ``astype`` to the same dtype) disappear;
- *common subexpressions*: a step that repeats an earlier one uses its result;
- *dead code*: steps whose results reach no output and no guard are dropped;
- *buffer reuse*: an elementwise ufunc writes into an input buffer that is not needed
  afterwards (``out=``), and big intermediates are released after their last use, so the
  program holds no more memory at once than the eager run.

Values written in place (and everything sharing their memory) take part in none of the
first three passes.
"""
import builtins
import keyword
import math
import numbers
import operator
import re
import time

import numpy as np

from .tracing import SHAPE_ONLY, Var, Op, GETITEM, copy_array, var_numbers

__all__ = ["Program", "GuardMiss", "finite", "transposed_product_wins"]


class GuardMiss(Exception):
    """Raised by a program when a guard does not hold (the dispatcher tries the next)."""


# ops that return their (first) argument unchanged when the result has its shape and dtype
_IDENTITY_IF_SAME = {np.reshape, np.broadcast_to, np.squeeze, np.ascontiguousarray,
                     np.real, np.conj, np.conjugate, np.atleast_1d, np.ravel}
_IDENTITY_METHODS = {"reshape", "astype", "squeeze", "ravel", "conj", "conjugate"}
_IDENTITY_UFUNCS = {np.positive, np.conjugate}
_IDENTITY_CANDIDATES = (_IDENTITY_IF_SAME | _IDENTITY_UFUNCS |
                        {np.power, np.multiply, np.true_divide, np.add, np.subtract, np.where})
_FRESH_LIMIT = 4096        # bytes: smaller intermediates are not released early


class Program:
    """An optimized program for one path through a function.

    Parameters
    ----------
    trace : Trace
        The recorded steps and the traced values.
    ninputs : int
        Variables ``0 .. ninputs-1`` are the inputs, in order.
    output : tree
        The result template (Var leaves, constants elsewhere).
    names : list of str
        Names for the inputs in the source.
    notes : dict, optional
        Step index -> comment (what primitive made it), when annotated.
    """

    def __init__(self, trace, ninputs, output, names, notes=None, tune=True):
        self.trace = trace
        self.tune = tune
        self.ninputs = ninputs
        self.output = output
        self.names = names
        self.notes = notes or {}
        self.values = trace.values
        self.meta = trace.meta
        self.layout = trace.layout
        self._optimize()
        self.source = self._emit()
        if not self.guard_kinds:          # nothing can miss: write straight into them
            self.writes_inputs = ()
        self.missed = None
        namespace = dict(self.consts)
        namespace.update(np=np, _Miss=GuardMiss, _finite=finite)
        code = compile(self.source, "<cr.compile>", "exec")
        exec(code, namespace)
        self.fn = namespace["_program"]
        # the traced values are no longer needed: drop them so the program holds only its
        # constants
        self.trace = self.values = self.meta = self.steps = self.uses = self.known = None
        self.layout = None

    # ------------------------------------------------------------------ optimization
    def _resolve(self, n):
        alias = self.alias
        while n in alias:
            n = alias[n]
        return n

    def _optimize(self):
        steps = self.trace.steps
        self.uses = uses = [_vars(st[2]) + _vars(st[3]) if st[3] else _vars(st[2])
                            for st in steps]
        values = self.values
        meta = self.meta
        written = self.trace.writes
        constant = self.trace.constant
        mutable = set()
        if written:
            mutable = {v for v, m in meta.items() if m[4] in written}
        self.mutable = mutable
        # inputs the program writes into (a guard miss must not leave them half-written)
        self.writes_inputs = tuple(i for i in range(self.ninputs)
                                   if i in written and meta[i][0] is np.ndarray)
        self.alias = alias = {}
        known = {}               # var -> constant value
        seen = {}                # CSE key -> out
        kept = []
        resolve = self._resolve
        for i, step in enumerate(steps):
            kind, op, args, kwargs, out = step
            if kind == "guard":
                if self._resolve(args[0].n) in known:
                    continue
                kept.append((i, step))
                continue
            if out is None or kind == "setitem":
                kept.append((i, step))
                continue
            outs = out if type(out) is tuple else (out,)
            if mutable and any(o in mutable for o in outs):
                kept.append((i, step))
                continue
            used = uses[i]
            rused = [resolve(u) for u in used] if alias else used
            if (out in constant if type(out) is int else all(o in constant for o in outs)) and (
                    all(u in known for u in rused) and not any(u in mutable for u in used)
                    or kind == "call" and op in SHAPE_ONLY):
                for o in outs:
                    known[o] = values[o]
                continue
            fn = op.key if type(op) is Op else op
            if (fn is np.logical_or or fn is np.logical_and) and self._absorbed(step, known):
                typ, shape, dtype = self.meta[out][:3]
                fill = op.key is np.logical_or
                known[out] = np.full(shape, fill, dtype) if typ is np.ndarray else \
                    dtype.type(fill)
                continue
            if (fn in _IDENTITY_CANDIDATES if kind == "call" else
                    kind == "method" and op in _IDENTITY_METHODS) and not (
                    fn in _ARITHMETIC and _no_unit(args, known, resolve)):
                target = self._identity(step, rused, known)
                if target is not None:
                    alias[out] = target
                    continue
            key = _cse_key(step, resolve, known)
            if key is not None and not (mutable and any(u in mutable for u in rused)):
                prev = seen.get(key)
                if prev is not None:
                    for o, p in zip(outs, prev if isinstance(prev, tuple) else (prev,)):
                        alias[o] = p
                    continue
                seen[key] = out
            kept.append((i, step))
        self.known = known
        # dead code: walk back from the outputs, guards and in-place writes
        live = {self._resolve(v) for v in _vars(self.output)}
        final = []
        for i, step in reversed(kept):
            kind, op, args, kwargs, out = step
            outs = () if out is None else out if isinstance(out, tuple) else (out,)
            if kind in ("guard", "setitem") or out is None or any(o in live for o in outs) \
                    or any(o in mutable for o in outs):
                final.append((i, step))
                live.update(self._resolve(v) for v in uses[i])
        final.reverse()
        if any(st[1] is np.broadcast_to for _, st in final):
            final = self._drop_broadcasts(final)
        self.steps = self._peephole(final)

    def _peephole(self, steps):
        """Rewrites of a few step patterns into the fewer, cheaper calls a person writes,
        each with the same numbers:

        - ``np.isfinite(u)``, ``.all()`` and a guard on it: one guard step on ``u``
          (kind ``'finite'``, written as one line by :meth:`_step_text`);
        - ``a.sum(axis=k)`` then a reshape that puts the summed axes back as 1: one sum
          with ``keepdims=True``;
        - an elementwise ufunc of an array and a constant array whose entries are all
          equal, where the other operand alone has the result's shape: the constant as
          a NumPy scalar of its dtype (the same value, and NEP 50 gives the same result
          dtype), read without a memory pass over the constant.
        """
        resolve, meta, known = self._resolve, self.meta, self.known
        uses = self.uses
        arrays = [v for v, c in known.items() if type(c) is np.ndarray and c.size > 1]
        if not any(st[0] == "guard" or st[1] is np.reshape for _, st in steps) and not (
                arrays and any(resolve(v) in arrays for i, _ in steps for v in uses[i])):
            return steps            # nothing to rewrite (a long elementwise chain)
        outputs = {resolve(v) for v in _vars(self.output)}
        count = {}
        for i, _ in steps:
            for v in uses[i]:
                v = resolve(v)
                count[v] = count.get(v, 0) + 1
        made = {}
        for k, (i, step) in enumerate(steps):
            out = step[4]
            if step[0] != "guard" and type(out) is int:
                made[out] = k

        def single(v):
            """The step index that made ``v``, when ``v`` has one use (the step asking)."""
            v = resolve(v)
            if count.get(v) != 1 or v in outputs or v in self.mutable or v in known:
                return None
            return made.get(v)

        drop = set()
        new = list(steps)
        for k, (i, step) in enumerate(steps):
            kind, op, args, kwargs, out = step
            if kind == "guard" and op == "bool" and out is True and type(args[0]) is Var:
                ka = single(args[0].n)
                if ka is None or ka in drop:
                    continue
                ia, sa = steps[ka]
                if sa[0] != "method" or sa[1] != "all" or sa[3] or len(sa[2]) != 1 or \
                        type(sa[2][0]) is not Var:
                    continue
                kf = single(sa[2][0].n)
                if kf is None:
                    continue
                i_f, sf = steps[kf]
                if sf[0] != "call" or type(sf[1]) is not Op or sf[1].key is not np.isfinite \
                        or sf[3] or len(sf[2]) != 1 or type(sf[2][0]) is not Var:
                    continue
                u = resolve(sf[2][0].n)      # tested at the guard's place: not written between
                if u in known or u in self.mutable or \
                        not issubclass(meta[u][0], (np.ndarray, np.generic)):
                    continue
                drop.update((ka, kf))
                self.uses[i] = [u]
                new[k] = (i, ("guard", "finite", (Var(u),), None, True))
            elif kind == "call" and op is np.reshape and len(args) == 2 and not kwargs and \
                    type(args[0]) is Var and type(out) is int:
                ks = single(args[0].n)
                if ks is None or ks in drop:
                    continue
                i_s, ss = steps[ks]
                if not (ss[0] == "call" and ss[1] is np.sum and len(ss[2]) == 1 and
                        type(ss[2][0]) is Var and ss[3] and set(ss[3]) <= {"axis", "dtype"} and
                        type(ss[4]) is int):
                    continue
                x = resolve(ss[2][0].n)
                axis = ss[3]["axis"]
                shape = meta[x][1]
                if type(axis) is int:
                    axis = (axis,)
                if not isinstance(axis, tuple) or meta[x][0] is not np.ndarray or \
                        x in self.mutable:       # summed at the reshape's place
                    continue
                kept_shape = tuple(1 if d in axis or d - len(shape) in axis else n
                                   for d, n in enumerate(shape))
                if meta[out][1] != kept_shape or meta[out][2] != meta[ss[4]][2]:
                    continue
                drop.add(ks)
                m = meta[out]
                meta[out] = m[:4] + (out,)     # a fresh array now, not a view of the sum
                new[k] = (i, ("call", np.sum, ss[2], dict(ss[3], keepdims=True), out))
                self.uses[i] = self.uses[i_s]
            elif kind == "call" and type(op) is Op and type(op.key) is np.ufunc and \
                    op.key.nin == 2 and op.key.nout == 1 and op.key.signature is None and \
                    not kwargs and len(args) == 2 and type(out) is int and \
                    all(type(a) is Var for a in args):
                a, b = (resolve(v.n) for v in args)
                for this, other in ((a, b), (b, a)):
                    c = known.get(this)
                    if type(c) is np.ndarray and c.size > 1 and other not in known and \
                            meta[other][0] is np.ndarray and meta[other][1] == meta[out][1] \
                            and c.dtype.kind in "biuf":
                        first = c.flat[0]
                        scalar = c.dtype.type(first)
                        if first == first and (c == first).all() and \
                                (np.signbit(c) == np.signbit(first)).all() and \
                                np.result_type(scalar, meta[other][2]) == meta[out][2]:
                            args = tuple(scalar if type(t) is Var and resolve(t.n) == this
                                         else t for t in args)
                            new[k] = (i, (kind, op, args, kwargs, out))
                            self.uses[i] = [other]
                            break
        return [st for k, st in enumerate(new) if k not in drop]

    def _drop_broadcasts(self, steps):
        """``np.broadcast_to(a, shape)`` whose every use is an elementwise ufunc with a result
        of that shape: the ufunc broadcasts ``a`` itself (the same numbers), so the view (a
        Python-level call of ~5 µs, made by every sum's backward pass) is dropped."""
        resolve, meta = self._resolve, self.meta
        outputs = {resolve(v) for v in _vars(self.output)}
        users = {}
        for i, step in steps:
            for v in self.uses[i]:
                users.setdefault(resolve(v), []).append(step)
        kept = []
        for i, step in steps:
            kind, op, args, kwargs, out = step
            if op is np.broadcast_to and kind == "call" and type(out) is int and args and \
                    type(args[0]) is Var and out not in outputs and out not in self.mutable:
                shape = meta[out][1]
                uses = users.get(out, ())
                if uses and all(
                        u[0] == "call" and type(u[1]) is Op and type(u[1].key) is np.ufunc
                        and u[1].key.signature is None and not u[3] and type(u[4]) is int
                        and meta[u[4]][1] == shape for u in uses):
                    self.alias[out] = resolve(args[0].n)
                    continue
            kept.append((i, step))
        return kept

    def _absorbed(self, step, known):
        """True for ``logical_or(True, x)`` / ``logical_and(False, x)``: a constant."""
        op, args = step[1], step[2]
        if not isinstance(op, Op) or op.key not in (np.logical_or, np.logical_and) or \
                len(args) != 2 or isinstance(step[4], tuple):
            return False
        absorbing = op.key is np.logical_or
        for a in args:
            if isinstance(a, Var):
                n = self._resolve(a.n)
                if n not in known:
                    continue
                a = known[n]
            if isinstance(a, (bool, np.bool_, np.ndarray)) and np.size(a) and \
                    np.shape(a) == self.meta[step[4]][1] or isinstance(a, bool):
                if bool(np.all(a)) if absorbing else not bool(np.any(a)):
                    return True
        return False

    def _identity(self, step, rused, known):
        """The variable a step returns unchanged, or None."""
        kind, op, args, kwargs, out = step
        if isinstance(out, tuple):
            return None
        meta = self.meta
        res = meta[out]
        if not issubclass(res[0], (np.ndarray, np.generic)):
            return None

        def same(v):
            x = meta[v]
            if x[1] != res[1] or x[2] != res[2]:
                return False
            # a NumPy scalar and a 0-d array hold the same value (results leave through
            # np.asarray, and no write goes in place into a variable that is not fresh)
            return x[0] is res[0] or res[1] == () and issubclass(x[0], _SCALAR_OR_ARRAY)

        first = args[0] if args else None
        if kind == "method" and op in _IDENTITY_METHODS:
            v = args[0].n
            if same(v) and (op != "astype" or not kwargs or kwargs.get("copy") is not True):
                return v
            return None
        if kind != "call":
            return None
        if isinstance(op, Op):
            f = op.key
            if f in _IDENTITY_UFUNCS and isinstance(first, Var) and not kwargs and \
                    same(first.n) and (f is np.positive or res[2].kind != "c"):
                return first.n
            if f is np.power and len(args) == 2 and not kwargs and isinstance(first, Var) \
                    and same(first.n) and _is_const(args[1], 1, known, self._resolve, res):
                return first.n
            if f in (np.multiply, np.true_divide, np.add, np.subtract) and len(args) == 2 \
                    and not kwargs:
                unit = 1 if f in (np.multiply, np.true_divide) else 0
                a, b = args
                for x, c in ((a, b), (b, a)) if f in (np.multiply, np.add) else ((a, b),):
                    if isinstance(x, Var) and same(x.n) and _is_const(c, unit, known,
                                                                       self._resolve, res):
                        return x.n
            return None
        if op is np.where and len(args) == 3 and not kwargs:
            cond = args[0]
            if isinstance(cond, Var) and self._resolve(cond.n) in known:
                cond = known[self._resolve(cond.n)]
            if isinstance(cond, (np.ndarray, np.generic, bool)) and np.size(cond):
                pick = args[1] if np.all(cond) else args[2] if not np.any(cond) else None
                if isinstance(pick, Var) and same(pick.n):
                    return pick.n
            return None
        if op in _IDENTITY_IF_SAME and isinstance(first, Var) and same(first.n):
            if op in (np.real, np.conj, np.conjugate) and res[2].kind == "c":
                return None
            return first.n
        return None

    # ------------------------------------------------------------------ emission
    def _emit(self):
        self.inline = {}
        self.consts = {}
        self._const_ids = {}
        self.guard_kinds = []
        values_shape = {}
        steps = self.steps
        # names: inputs by their parameter names, others v<n>
        self.varname = {n: self.names[n] for n in range(self.ninputs)}
        fresh = set()     # variables holding a fresh ufunc result (safe to overwrite)
        last = {}         # buffer root name -> index of last use
        root = {}         # var -> var whose buffer it views (for release / reuse)
        nbytes = {}
        ndarray = np.ndarray
        big = False       # any array of _FRESH_LIMIT bytes (else no reuse, no release)
        for v, (typ, shape, dtype, size, owner) in self.meta.items():
            values_shape[v] = (shape, dtype, typ is ndarray)
            nbytes[v] = size
            if size >= _FRESH_LIMIT:
                big = True
            if owner != v:
                root[v] = owner
        lines = []
        out_vars = {self._resolve(v) for v in _vars(self.output)}

        def buf(v):
            v = self._resolve(v)
            while v in root and root[v] != v:
                v = root[v]
            return v

        nuse = {}
        for k, (i, step) in enumerate(steps):
            for v in self.uses[i]:
                last[buf(v)] = k
                v = self._resolve(v)
                nuse[v] = nuse.get(v, 0) + 1
            if step[0] == "guard":
                last[buf(step[2][0].n)] = k
        for v in out_vars:
            last[buf(v)] = len(steps)
        # a transpose used once is written where it is used (``a @ w.T``), as by hand
        self.inline = inline = {}
        for k, (i, step) in enumerate(steps):
            kind, op, args, kwargs, out = step
            if op is np.transpose and kind == "call" and nuse.get(out) == 1 and \
                    out not in out_vars and out not in self.mutable and \
                    self._transposed(args, kwargs) is not None:
                inline[out] = None
                a = buf(args[0].n)
                last[a] = max(last.get(a, k), last.get(buf(out), k))
        # NumPy's error state where the trace ran under another one than at its start
        errstates = self.trace.errstates
        state = entry = self._state = self.trace.entry_errstate
        changes = sorted(errstates)
        indent = "    "
        for k, (i, step) in enumerate(steps):
            if changes and changes[0] <= i:
                while changes and changes[0] <= i:
                    new = errstates[changes.pop(0)]
                if new != state:
                    state = self._state = new
                    if state == entry:
                        indent = "    "
                    else:
                        modes = set(state.values())
                        lines.append(("    ", "with np.errstate(" + (
                            f"all={modes.pop()!r}" if len(modes) == 1 else ", ".join(
                                f"{k_}={v!r}" for k_, v in sorted(state.items()))) + "):",
                            None))
                        indent = "        "
            kind, op, args, kwargs, out = step
            reuse = None
            if (big and kind == "call" and type(op) is Op and type(op.key) is np.ufunc
                    and op.key.signature is None and op.key.nout == 1 and not kwargs
                    and isinstance(out, int) and out not in self.mutable):
                shape, dtype, isarr = values_shape[out]
                if isarr and nbytes[out] >= _FRESH_LIMIT:
                    for a in args:
                        if isinstance(a, Var):
                            r = self._resolve(a.n)
                            if (r in fresh and buf(r) == r and last.get(r) == k
                                    and values_shape[r] == (shape, dtype, True)
                                    and r not in out_vars):
                                reuse = r
                                break
            if out in self.inline if type(out) is int else False:
                self.inline[out] = self._transposed(args, kwargs)
                continue
            text = self._step_text(step, reuse)
            lines.append((indent, text, self._note(self.notes.get(i))))
            if reuse is not None:
                self.alias[out] = reuse
                last[reuse] = max(last.get(reuse, k), last.get(out, k))
                root[out] = reuse          # views of the result now view the reused buffer
            elif (big and kind == "call" and type(op) is Op and type(op.key) is np.ufunc
                  and type(out) is int and values_shape[out][2] and not kwargs):
                fresh.add(out)
            if not big:
                continue
            # release big intermediates after their last use
            dead = []
            for v in self.uses[i]:
                r = buf(v)
                if (last.get(r) == k and r >= self.ninputs and r not in self.known
                        and r not in out_vars and values_shape[r][2]
                        and nbytes[r] >= _FRESH_LIMIT and r != reuse):
                    name = self.varname.get(r)
                    if name is not None and name not in dead:
                        dead.append(name)
            if dead:
                lines.append((indent, "del " + ", ".join(dead), None))
        ret = self._render(self.output, ret=True)
        lines.append(("    ", f"return {ret}", None))
        params = ", ".join(self.names[:self.ninputs])
        return f"def _program({params}):\n" + _reuse_names(lines)

    def _note(self, note):
        """('mul, backward of sin', 'v3') from a trace note: the comment, and the name of
        the forward value it differentiates (None if that is a constant or unknown)."""
        if not note:
            return None
        fwd, bwd, var = note
        parts = [fwd] if fwd else []
        at = None
        if bwd:
            if var is not None:
                n = self._resolve(var)
                at = self.varname.get(n) or f"v{n}" if n not in self.known else None
            parts.append(f"backward of {bwd}")
        return ", ".join(parts), at

    def _guard_no(self, kind):
        """A number for the next guard; ``guard_kinds[number]`` says what it tests."""
        self.guard_kinds.append(kind)
        return len(self.guard_kinds) - 1

    def _transposed_is_faster(self, args):
        """Whether the matrix product ``a @ b`` of these traced matrices is better written
        ``(b.T @ a.T).T`` (see :func:`transposed_product_wins`)."""
        if not self.tune or type(args[0]) is not Var or type(args[1]) is not Var:
            return False
        na, nb = self._resolve(args[0].n), self._resolve(args[1].n)
        ma, mb = self.meta[na], self.meta[nb]
        if ma[0] is not np.ndarray or mb[0] is not np.ndarray or len(ma[1]) != 2 or \
                len(mb[1]) != 2 or ma[2] != mb[2] or ma[2].kind not in "fc":
            return False
        (m, k), n = ma[1], mb[1][1]
        la, lb = self.layout.get(na), self.layout.get(nb)
        if m * k * n < _TUNED_PRODUCT or la is None or lb is None:
            return False
        return transposed_product_wins(ma[1], la, mb[1], lb, ma[2])

    def _transposed(self, args, kwargs):
        """``a.T`` for ``np.transpose(a)`` of an ndarray with its axes reversed, else None."""
        if kwargs or not args or type(args[0]) is not Var:
            return None
        m = self.meta[self._resolve(args[0].n)]
        if m[0] is np.ndarray and (len(args) == 1 or len(args) == 2 and isinstance(
                args[1], tuple) and args[1] == tuple(range(len(m[1]) - 1, -1, -1))):
            return f"{self._render(args[0])}.T"
        return None

    def _name(self, n):
        n = self._resolve(n)
        if n in self.known:
            return self._const(self.known[n])
        text = self.inline.get(n)
        if text is not None:
            return text
        name = self.varname.get(n)
        if name is None:
            name = self.varname[n] = f"v{n}"
        return name

    def _define(self, out):
        if isinstance(out, tuple):
            names = [self._name(o) for o in out]
            return ", ".join(names) + ("," if len(names) == 1 else "")
        return self._name(out)

    def _const(self, value, ret=False):
        if value is None or isinstance(value, (bool, str)) or type(value) is int:
            return repr(value)
        if type(value) is float and np.isfinite(value):
            return repr(value)
        if isinstance(value, type) and value.__module__ == "builtins":
            return value.__name__
        if isinstance(value, type) and getattr(np, value.__name__, None) is value:
            return f"np.{value.__name__}"
        if isinstance(value, np.dtype) and value.fields is None:
            return f"np.dtype({value.str!r})"
        if value is Ellipsis:
            return "..."
        key = id(value)
        name = self._const_ids.get(key)
        if name is None:
            name = self._const_ids[key] = f"c{len(self._const_ids)}"
            self.consts[name] = value
        if ret and isinstance(value, np.ndarray):
            return f"{name}.copy()"
        return name

    def _render(self, t, index=False, ret=False):
        if type(t) is Var or isinstance(t, Var):
            return self._name(t.n)
        if isinstance(t, tuple) and not hasattr(t, "_fields"):
            if index and t:
                return ", ".join(self._render(x, index=True, ret=ret) for x in t)
            items = [self._render(x, ret=ret) for x in t]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if isinstance(t, list):
            return "[" + ", ".join(self._render(x, ret=ret) for x in t) + "]"
        if isinstance(t, dict) and type(t) is dict:
            return "{" + ", ".join(f"{k!r}: {self._render(v, ret=ret)}" for k, v in t.items()
                                   if _literal_key(k)) + "}" if all(
                _literal_key(k) for k in t) else self._const(t)
        if isinstance(t, slice):
            parts = [("" if x is None else self._render(x)) for x in (t.start, t.stop, t.step)]
            if index:
                return ":".join(parts[:2]) + (f":{parts[2]}" if t.step is not None else "")
            return "slice(" + ", ".join(p or "None" for p in parts) + ")"
        if hasattr(t, "_fields") and isinstance(t, tuple):
            return self._const(type(t)) + "(" + ", ".join(self._render(x, ret=ret)
                                                          for x in t) + ")"
        return self._const(t, ret=ret)

    def _operand(self, t):
        text = self._name(t.n) if type(t) is Var else self._render(t)
        return f"({text})" if text.startswith("-") else text

    def _call_args(self, args, kwargs):
        parts = [self._render(a) for a in args]
        parts += [f"{k}={self._render(v)}" for k, v in (kwargs or {}).items()]
        return ", ".join(parts)

    def _fn_text(self, op):
        if isinstance(op, Op):
            op = op.key
        if isinstance(op, tuple):
            return f"{self._fn_text(op[0])}.{op[1]}"
        if op is copy_array:
            return "np.copy"
        name = getattr(op, "__name__", None)
        if name:
            for prefix, mod in (("np", np), ("np.linalg", np.linalg), ("np.fft", np.fft)):
                if getattr(mod, name, None) is op:
                    return f"{prefix}.{name}"
            # another function (a host call such as SciPy's expm): by its own name where
            # that name is free in the program
            if name.isidentifier() and not keyword.iskeyword(name) and \
                    not hasattr(builtins, name) and name not in self.names and \
                    name not in ("np", "_Miss", "_finite", "operator_index") and \
                    not _GENERATED.fullmatch(name) and self.consts.get(name, op) is op:
                self.consts[name] = op
                return name
        return self._const(op)

    def _step_text(self, step, reuse=None):
        kind, op, args, kwargs, out = step
        if kind == "guard":
            v = self._name(args[0].n)
            expected = out
            if op == "bool":
                return f"if {'not ' if expected else ''}{v}: raise _Miss({self._guard_no(op)})"
            if op == "finite":
                no = self._guard_no(op)
                if self.meta[self._resolve(args[0].n)][2].kind == "f" and \
                        self._state.get("over") == "ignore" and \
                        self._state.get("invalid") == "ignore":
                    # one pass and no temporary array in the common case (see _finite)
                    return f"if not _finite({v}): raise _Miss({no})"
                return f"if not np.isfinite({v}).all(): raise _Miss({no})"
            if op == "shape":
                return f"if {v}.shape != {expected!r}: raise _Miss({self._guard_no(op)})"
            conv = {"float": "float", "int": "int", "index": "operator_index",
                    "complex": "complex"}.get(op)
            if conv == "operator_index":
                self.consts["operator_index"] = operator.index
            expr = f"{conv}({v})" if conv else f"{v}.item()" if op == "item" else \
                f"{v}.tolist()" if op == "tolist" else v
            if isinstance(expected, float) and expected != expected:
                return f"if {expr} == {expr}: raise _Miss({self._guard_no(op)})"
            return f"if {expr} != {self._const(expected)}: raise _Miss({self._guard_no(op)})"
        if kind == "setitem":
            target, idx, val = args
            return f"{self._render(target)}[{self._render(idx, index=True)}] = " \
                   f"{self._render(val)}"
        if kind == "attr":
            return f"{self._define(out)} = {self._render(args[0])}.{op}"
        if kind == "method":
            call = f"{self._render(args[0])}.{op}({self._call_args(args[1:], kwargs)})"
        elif op is GETITEM:
            call = f"{self._render(args[0])}[{self._render(args[1], index=True)}]"
        else:
            if reuse is None and type(op) is Op and op.key is np.matmul and not kwargs and \
                    len(args) == 2 and out not in self.mutable and \
                    self._transposed_is_faster(args):
                a, b = (self._render(x) for x in args)
                return f"{self._define(out)} = ({_transpose_text(b)} @ {_transpose_text(a)}).T"
            sym = _OPERATORS.get(op.key) if isinstance(op, Op) and not kwargs else None
            if sym is not None and len(args) == 2 and all(_plain_operand(x) for x in args):
                a, b = (self._operand(x) for x in args)
                if reuse is not None and isinstance(args[0], Var) and \
                        self._resolve(args[0].n) == reuse:
                    self.alias[out] = reuse
                    return f"{a} {sym}= {b}"
                if reuse is None:
                    return f"{self._define(out)} = {a} {sym} {b}"
            if op is not None and isinstance(op, Op) and op.key is np.negative and \
                    not kwargs and reuse is None and _plain_operand(args[0]):
                return f"{self._define(out)} = -{self._operand(args[0])}"
            extra = ""
            if reuse is not None:
                extra = f", out={self._name(reuse)}"
            if op is np.transpose and reuse is None:
                text = self._transposed(args, kwargs)
                if text is not None:
                    return f"{self._define(out)} = {text}"
            method = _METHODS.get(op) if type(op) is not Op else None
            if method is not None and args and type(args[0]) is Var and \
                    self.meta[self._resolve(args[0].n)][0] is np.ndarray and \
                    (not kwargs or kwargs.keys() <= method[1]) and len(args) <= method[2]:
                # a.sum(axis=1) rather than np.sum(a, axis=1): the same ndarray method,
                # without the function's Python-level dispatch
                call = f"{self._render(args[0])}.{method[0]}(" \
                       f"{self._call_args(args[1:], kwargs)})"
            else:
                call = f"{self._fn_text(op)}({self._call_args(args, kwargs)}{extra})"
        if out is None:
            return call
        if reuse is not None:
            self.alias[out] = reuse
            return call
        return f"{self._define(out)} = {call}"


_TUNED_PRODUCT = 1 << 20     # multiply-adds: smaller products are not timed
_PRODUCT_FORMS = {}          # (shapes, layouts, dtype) -> does (b.T @ a.T).T win


def transposed_product_wins(shape_a, layout_a, shape_b, layout_b, dtype):
    """Whether ``(b.T @ a.T).T`` computes the matrix product ``a @ b`` of matrices of these
    shapes, memory layouts ("C" or "F") and dtype faster than ``a @ b`` on this machine,
    with the same numbers.

    The two forms make the same BLAS call with the operands' roles swapped, which the BLAS
    library may run with different kernels: for ``X.T @ d`` (784x64 by 64x256, a dense
    layer's weight gradient) the transposed form takes 13% less time with single-threaded
    OpenBLAS, and 20% more with two threads, so the answer is measured, not assumed.  Both
    forms run once on random matrices, which must agree bit for bit, then each is timed
    (best of 7, interleaved); the transposed form wins only if it is at least 5% faster.
    The answer is kept per shapes, layouts and dtype for the process (a later change of
    BLAS threads can make it stale: a matter of speed, never of numbers).  Its result is
    the transpose of a C-ordered array (Fortran order).
    """
    key = (shape_a, layout_a, shape_b, layout_b, dtype)
    wins = _PRODUCT_FORMS.get(key)
    if wins is None:
        rng = np.random.default_rng(0)
        order = {"C": np.ascontiguousarray, "F": np.asfortranarray}
        a, b = (order[lay]((rng.standard_normal(shape) + (
                    1j * rng.standard_normal(shape) if dtype.kind == "c" else 0)).astype(dtype))
                for shape, lay in ((shape_a, layout_a), (shape_b, layout_b)))
        wins = False
        if np.array_equal(a @ b, (b.T @ a.T).T):
            plain = swapped = float("inf")
            for _ in range(7):
                t0 = time.perf_counter()
                a @ b
                t1 = time.perf_counter()
                (b.T @ a.T).T
                t2 = time.perf_counter()
                plain, swapped = min(plain, t1 - t0), min(swapped, t2 - t1)
            wins = swapped < 0.95 * plain
        _PRODUCT_FORMS[key] = wins
    return wins


def _transpose_text(text):
    """The source of the transpose of the expression ``text`` (``x.T`` -> ``x``)."""
    if text.endswith(".T") and text[:-2].isidentifier():
        return text[:-2]
    return f"{text}.T" if text.isidentifier() else f"({text}).T"


def finite(a):
    """True if every entry of the real floating-point array ``a`` is finite.

    The sum of finite numbers is finite unless it overflows, and a NaN or infinity makes the
    sum NaN or infinite: so one pass with no temporary array decides the common case, and
    the exact ``np.isfinite(a).all()`` runs only when the sum is not finite (an overflow of
    finite numbers then still answers True).  Programs call it where NumPy's overflow and
    invalid warnings are off (the backward pass's error state).
    """
    return _isfinite(_add_reduce(a, None)) or bool(np.isfinite(a).all())


_isfinite = math.isfinite      # (C functions: ``a.sum()`` would add a Python-level frame)
_add_reduce = np.add.reduce


# ufuncs written as Python operators (the same ufunc call for arrays, NumPy's fast scalar
# path for 0-d values)
_OPERATORS = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/",
              np.power: "**", np.matmul: "@", np.floor_divide: "//", np.remainder: "%",
              np.less: "<", np.less_equal: "<=", np.greater: ">", np.greater_equal: ">=",
              np.equal: "==", np.not_equal: "!=", np.bitwise_or: "|", np.bitwise_and: "&",
              np.bitwise_xor: "^"}


# NumPy functions written as the ndarray method they call: (method, keywords that mean the
# same there, most positional arguments)
_REDUCE_KW = frozenset(("axis", "keepdims", "dtype"))
_METHODS = {np.sum: ("sum", _REDUCE_KW, 3), np.prod: ("prod", _REDUCE_KW, 3),
            np.mean: ("mean", _REDUCE_KW, 3), np.max: ("max", frozenset(("axis", "keepdims")), 2),
            np.min: ("min", frozenset(("axis", "keepdims")), 2),
            np.any: ("any", frozenset(("axis", "keepdims")), 2),
            np.all: ("all", frozenset(("axis", "keepdims")), 2),
            np.reshape: ("reshape", frozenset(), 2), np.transpose: ("transpose", frozenset(), 2)}


def _plain_operand(t):
    """An operand that is safe on either side of a Python operator: a traced value, an
    array or NumPy scalar constant, or a number (no lists, which Python would concatenate)."""
    tt = type(t)
    if tt is Var or tt is float or tt is int:
        return True
    return isinstance(t, (Var, np.ndarray, np.generic)) or (
        isinstance(t, (int, float, complex)) and not isinstance(t, bool))


_NAME = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\bv\d+\b")
_GENERATED = re.compile(r"[vc]\d+")
_NAMES = re.compile(r"\b(v\d+)\b")
_DEFINES = re.compile(r"(v\d+(?:, v\d+)*)(,?) = ")


def _reuse_names(lines):
    """The body's source, with each intermediate's name reused once its value is dead.

    ``lines`` are ``(indent, code, note)``, the code naming intermediates ``v<n>`` (each
    defined once).  A name whose value has had its last use is taken by the next value
    defined, as code written by hand rebinds ``y``: the dead array is freed at once, and
    NumPy's small-array cache gives its memory to the next result (a program of 8-element
    arrays that kept every intermediate alive ran about 25% slower).  A note's forward
    value is named only while that name still holds it.
    """
    last = {}
    parsed = []
    for k, (indent, code, note) in enumerate(lines):
        m = _DEFINES.match(code)
        defs = m.group(1).split(", ") if m else ()
        cut = m.end() if m else 0
        rhs = code[cut:]
        if "'" in rhs or '"' in rhs:          # names only outside string literals
            parts = _split_names(rhs)
        else:
            parts = _NAMES.split(rhs)         # text, name, text, name, ..., text
        for t in parts[1::2]:
            last[t] = k
        for t in defs:
            last.setdefault(t, k)
        parsed.append((defs, parts, m is not None and m.group(2) == ","))
    slot = {}           # original name -> the name it is written under now
    born = {}
    free = []
    out = []
    for k, ((indent, code, note), (defs, parts, comma)) in enumerate(zip(lines, parsed)):
        at = note[1] if note else None
        if at is not None and at[0] == "v" and at[1:].isdigit():
            at = slot.get(at) if born.get(at, k) < k <= last.get(at, -1) else None
        if len(parts) > 1:
            names = parts[1::2]
            parts[1::2] = [slot.get(t, t) for t in names]
            for t in names:
                if last[t] == k and t in slot:
                    free.append(slot.pop(t))
        rhs = "".join(parts)
        if defs:
            new = []
            for t in defs:
                slot[t] = free.pop() if free else t
                born[t] = k
                new.append(slot[t])
            code = ", ".join(new) + ("," if comma else "") + " = " + rhs
            for t in defs:
                if last[t] == k:              # never used (a tuple's unused part)
                    free.append(slot.pop(t))
        else:
            code = rhs
        if note:
            code = f"{code}    # {note[0]}" + (f" at {at}" if at is not None else "")
        out.append(indent + code)
    return "\n".join(out) + "\n"


def _split_names(text):
    """``text`` as [text, name, text, ..., text] with the ``v<n>`` names outside string
    literals at the odd places."""
    parts, pos = [""], 0
    for m in _NAME.finditer(text):
        tok = m.group()
        parts[-1] += text[pos:m.start()]
        if tok[0] == "v":
            parts += [tok, ""]
        else:
            parts[-1] += tok
        pos = m.end()
    parts[-1] += text[pos:]
    return parts


def _literal_key(k):
    return isinstance(k, (str, int)) and not isinstance(k, bool)



def _vars(t):
    """The variable numbers in a template, in order."""
    return var_numbers(t)


def _is_const(t, unit, known, resolve, res):
    """True if template ``t`` is a constant equal to ``unit`` everywhere that does not change
    the result's (``res``: type, shape, dtype) shape or dtype."""
    shape, dtype = res[1], res[2]
    if isinstance(t, Var):
        n = resolve(t.n)
        if n not in known:
            return False
        t = known[n]
    if isinstance(t, numbers.Number) and not isinstance(t, bool):
        return t == unit and (isinstance(t, (int, float)) or
                              np.result_type(t, dtype) == dtype)
    if isinstance(t, (np.ndarray, np.generic)):
        return (np.result_type(t.dtype, dtype) == dtype and t.size > 0
                and np.broadcast_shapes(np.shape(t), shape) == shape
                and bool(np.all(t == unit)))
    return False


_ARITHMETIC = frozenset((np.multiply, np.true_divide, np.add, np.subtract, np.power))
_SCALAR_OR_ARRAY = (np.ndarray, np.generic)


def _no_unit(args, known, resolve):
    """True when no argument can be a 0 or 1 constant (then ``x * a`` is no identity)."""
    for a in args:
        ta = type(a)
        if ta is Var:
            if resolve(a.n) in known:
                return False
        elif ta is float or ta is int:
            if a == 0 or a == 1:
                return False
        else:
            return False
    return True


def _cse_key(step, resolve, known):
    kind, op, args, kwargs, out = step
    if not kwargs:          # the common step: traced values and Python numbers
        key = []
        for a in args:
            ta = type(a)
            if ta is Var:
                n = resolve(a.n)
                key.append(("c", id(known[n])) if n in known else n)
            elif (ta is float or ta is int) and a == a:
                key.append((ta, a))
            else:
                break
        else:
            return (kind, op if type(op) is not Op else op.key, (False, tuple(key)),
                    None if kwargs is None else ("d",))
    try:
        return (kind, op if not isinstance(op, Op) else op.key, _freeze(args, resolve, known),
                _freeze(kwargs, resolve, known))
    except TypeError:
        return None


def _freeze(t, resolve, known):
    tt = type(t)
    if tt is Var:
        n = resolve(t.n)
        return ("c", id(known[n])) if n in known else n
    if tt is float or tt is int or tt is str or t is None or tt is bool:
        return (tt, t) if t == t else ("nan",)
    if tt is tuple or tt is list:
        return (tt is list, tuple([_freeze(x, resolve, known) for x in t]))
    if tt is dict:
        return ("d",) + tuple([(k, _freeze(v, resolve, known)) for k, v in t.items()])
    if tt is slice:
        return ("s", _freeze((t.start, t.stop, t.step), resolve, known))
    if isinstance(t, (np.ndarray, np.generic)):
        return ("a", id(t))
    if isinstance(t, float) and t != t:
        return ("nan",)
    hash(t)
    return (tt, t)
