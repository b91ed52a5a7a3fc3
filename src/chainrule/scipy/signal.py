"""``scipy.signal.convolve`` for tensors.

SciPy's ``convolve`` turns its inputs into ndarrays, so it cannot see a tensor.  This one has
SciPy's signature and results (``mode`` ``'full'``, ``'valid'`` or ``'same'``) and is built
from NumPy calls chainrule differentiates (padding, a gather of sliding windows, ``einsum``),
so derivatives of every order exist in both modes, complex included.  It computes directly
(no FFT), with memory proportional to the output's size times the kernel's.  Without a tensor
among the inputs it is SciPy's own function.

As in HIPS autograd, ``axes=(axes_1, axes_2)`` picks the axes of each input that are
convolved (pairwise) and ``dot_axes=(dots_1, dots_2)`` axes that are summed over as in
``np.tensordot``; the remaining axes of ``in1`` and then of ``in2`` come first in the
result, the convolved axes last.

Examples
--------
>>> import numpy as np, chainrule as cr
>>> from chainrule.scipy.signal import convolve
>>> convolve(cr.tensor([1.0, 2.0]), np.array([1.0, 1.0, 1.0]))
Tensor([1., 3., 3., 2.])
>>> cr.grad(lambda a: convolve(a, np.array([1.0, -1.0]), mode="valid").sum())(np.ones(3))
array([-1.,  0.,  1.])
"""
import numpy as np

from ..numpy.lists import contains_tensor

__all__ = ["convolve"]

_MODES = ("full", "valid", "same")

# what docs/coverage.md says: reverse, forward, 2nd order, complex, notes
COVERAGE = {"convolve": ("composite", "composite", "yes", "yes", "also HIPS's axes/dot_axes")}


def _windows(x, axis, size, count):
    """``x`` with ``axis`` replaced by two axes: ``count`` windows of ``size`` along it."""
    idx = np.arange(count)[:, None] + np.arange(size)[None, :]
    return np.moveaxis(np.take(x, idx, axis=axis), (axis, axis + 1), (-2, -1))


def _full(a, b, conv, dots):
    """The full convolution along the pairs ``conv``, summed over the pairs ``dots``; axes
    in the result: the others of ``a``, the others of ``b``, then the convolved ones."""
    (ca, cb), (da, db) = conv, dots
    ia = [i for i in range(np.ndim(a)) if i not in ca and i not in da]
    ib = [i for i in range(np.ndim(b)) if i not in cb and i not in db]
    # pad ``a`` by len(b) - 1 on both sides of each convolved axis, then correlate with the
    # flipped ``b``: full[m] = sum_j a_pad[m + j] * b[len(b) - 1 - j]
    pad = [(0, 0)] * np.ndim(a)
    for i, j in zip(ca, cb):
        pad[i] = (np.shape(b)[j] - 1,) * 2
    a = np.pad(a, pad)
    b = b[tuple(slice(None, None, -1) if j in cb else slice(None) for j in range(np.ndim(b)))]
    # move a's axes to (ignore, dot, conv...) and window each convolved axis
    a = np.transpose(a, ia + list(da) + list(ca))
    base = len(ia) + len(da)
    for k, (i, j) in enumerate(zip(ca, cb)):
        size = np.shape(b)[j]
        count = np.shape(a)[base] - size + 1
        a = _windows(a, base, size, count)      # moves the (count, size) pair to the end
    # a's axes now: ignore, dot, then (count_k, size_k) for each k
    n_ia, n_ib, n_d, n_c = len(ia), len(ib), len(da), len(ca)
    lab_ia = list(range(n_ia))                          # einsum labels, all below 52
    lab_ib = [n_ia + k for k in range(n_ib)]
    lab_d = [n_ia + n_ib + k for k in range(n_d)]
    lab_count = [n_ia + n_ib + n_d + k for k in range(n_c)]
    lab_size = [n_ia + n_ib + n_d + n_c + k for k in range(n_c)]
    a_lbl = lab_ia + lab_d + [lab for pair in zip(lab_count, lab_size) for lab in pair]
    b_lbl = [0] * np.ndim(b)
    for labels, axes_b in ((lab_ib, ib), (lab_d, db), (lab_size, cb)):
        for lab, j in zip(labels, axes_b):
            b_lbl[j] = lab
    out = lab_ia + lab_ib + lab_count
    return np.einsum(a, a_lbl, b, b_lbl, out)


def _axes(ndim1, ndim2, axes, dot_axes):
    da, db = (tuple(int(d) for d in dot_axes[0]), tuple(int(d) for d in dot_axes[1]))
    if axes is None:
        ca = tuple(i for i in range(ndim1) if i not in da)
        cb = tuple(i for i in range(ndim2) if i not in db)
        if len(ca) != len(cb):
            raise ValueError(f"convolve: in1 and in2 should have the same dimensionality "
                             f"(got {ndim1} and {ndim2}); pass axes= to pick the axes to "
                             "convolve")
    else:
        ca, cb = (tuple(int(i) for i in axes[0]), tuple(int(i) for i in axes[1]))
    ca = tuple(i % ndim1 for i in ca) if ndim1 else ca
    cb = tuple(i % ndim2 for i in cb) if ndim2 else cb
    da = tuple(i % ndim1 for i in da) if ndim1 else da
    db = tuple(i % ndim2 for i in db) if ndim2 else db
    if len(ca) != len(cb) or len(da) != len(db):
        raise ValueError(f"convolve: axes {axes} and dot_axes {dot_axes} must pair as many "
                         "axes of in1 as of in2")
    return (ca, cb), (da, db)


def convolve(in1, in2, mode="full", method="auto", *, axes=None, dot_axes=((), ())):
    """Convolve two N-dimensional arrays (``scipy.signal.convolve``), on tensors too.

    Parameters
    ----------
    in1, in2 : array_like or Tensor
        The inputs; without ``axes``, of the same number of dimensions.
    mode : {'full', 'valid', 'same'}
        As in SciPy: the full discrete linear convolution, only the part computed without
        zero padding (one input must be at least as large as the other along every
        convolved axis), or the part centered on the full result with ``in1``'s size.
    method : str
        SciPy's choice of algorithm; used only when no input is a tensor.
    axes, dot_axes : pair of sequences of ints, optional
        HIPS autograd's generalization (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> convolve(np.ones((2, 2)), np.ones((2, 2)), mode="same")
    array([[1., 2.],
           [2., 4.]])
    """
    if mode not in _MODES:
        raise ValueError(f"convolve: mode must be 'full', 'valid' or 'same', not {mode!r}")
    general = axes is not None or any(len(d) for d in dot_axes)
    if not general and not contains_tensor((in1, in2)):
        import scipy.signal
        return scipy.signal.convolve(in1, in2, mode=mode, method=method)
    from ..numpy import asarray
    a, b = asarray(in1), asarray(in2)
    if np.ndim(a) == np.ndim(b) == 0 and not general:
        return a * b                    # as SciPy: the product of two scalars
    conv, dots = _axes(np.ndim(a), np.ndim(b), axes, dot_axes)
    size_a = [np.shape(a)[i] for i in conv[0]]
    size_b = [np.shape(b)[j] for j in conv[1]]
    if mode == "valid" and not (all(m >= n for m, n in zip(size_a, size_b)) or
                                all(n >= m for m, n in zip(size_a, size_b))):
        raise ValueError("convolve: for 'valid' mode, one must be at least as large as the "
                         "other in every convolved dimension")
    if 0 in size_a or 0 in size_b:
        raise ValueError("convolve: inputs cannot be empty along a convolved axis")
    full = _full(a, b, conv, dots)
    if mode == "full":
        return full
    lead = np.ndim(full) - len(size_a)
    if mode == "valid":
        cut = [slice(min(m, n) - 1, max(m, n)) for m, n in zip(size_a, size_b)]
    else:
        cut = [slice((n - 1) // 2, (n - 1) // 2 + m) for m, n in zip(size_a, size_b)]
    return full[(slice(None),) * lead + tuple(cut)]
