"""Pytrees: nested tuples, lists, dicts, named tuples and dataclasses of arrays.

The transforms and the optimizers take parameters as such trees.  :func:`tree_flatten`
takes a tree apart into its leaves and a rebuilder; :func:`tree_map` applies a function
leaf by leaf to one or more trees of the same structure.

Dict keys are visited in sorted order (where they sort), so two dicts with the same keys
flatten alike whatever order they were built in.  A dataclass instance contributes the
fields it takes in ``__init__``, in declaration order, and is rebuilt with
:func:`dataclasses.replace`.  Anything else (arrays, numbers, tensors, ``None``) is a leaf.

Examples
--------
>>> import numpy as np
>>> from chainrule.pytree import tree_flatten, tree_map
>>> leaves, rebuild = tree_flatten({"w": np.ones(2), "b": 0.5})
>>> leaves
[0.5, array([1., 1.])]
>>> rebuild([1.0, np.zeros(2)])
{'b': 1.0, 'w': array([0., 0.])}
>>> tree_map(lambda a, b: a + b, (1.0, [2.0]), (10.0, [20.0]))
(11.0, [22.0])
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Hashable, List, Optional, Sequence, Tuple

__all__ = ["tree_flatten", "tree_leaves", "tree_map", "tree_paths", "tree_structure"]


def _is_dataclass_instance(x: Any) -> bool:
    return dataclasses.is_dataclass(x) and not isinstance(x, type)


def _dict_keys(d: dict) -> list:
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def _children(tree: Any) -> Any:
    """``(kind, children, rebuild)`` for a container node, ``None`` for a leaf.  ``None``
    itself is a node with no children (an empty subtree, as in JAX)."""
    if tree is None:
        return "none", [], lambda items: None
    if isinstance(tree, (tuple, list)):
        kind = type(tree)
        if kind in (tuple, list):
            return kind.__name__, list(tree), kind
        return kind.__name__, list(tree), lambda items: kind(*items)   # named tuples
    if isinstance(tree, dict):
        keys = _dict_keys(tree)
        return ("dict", tuple(keys)), [tree[k] for k in keys], lambda items: dict(zip(keys, items))
    if _is_dataclass_instance(tree):
        names = [f.name for f in dataclasses.fields(tree) if f.init]
        return ((type(tree), tuple(names)), [getattr(tree, n) for n in names],
                lambda items: dataclasses.replace(tree, **dict(zip(names, items))))
    return None


def tree_flatten(tree: Any, is_leaf: Optional[Callable[[Any], bool]] = None
                 ) -> Tuple[List[Any], Callable[[Sequence[Any]], Any]]:
    """Split ``tree`` into its leaves and a function that rebuilds a tree from new leaves.

    Parameters
    ----------
    tree : pytree
        Nested tuples, lists, dicts, named tuples and dataclass instances; everything
        else is a leaf.  ``None`` is an empty subtree (no leaves), as in JAX.
    is_leaf : callable, optional
        ``is_leaf(node)`` true makes ``node`` a leaf even if it is a container (or ``None``).

    Returns
    -------
    leaves : list
        The leaves, depth first (dict keys sorted, dataclass fields in declaration order).
    rebuild : callable
        ``rebuild(new_leaves)`` returns a tree of the same structure holding ``new_leaves``.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Layer:
    ...     w: float
    ...     b: float
    >>> leaves, rebuild = tree_flatten([Layer(1.0, 2.0), 3.0])
    >>> leaves
    [1.0, 2.0, 3.0]
    >>> rebuild([4.0, 5.0, 6.0])
    [Layer(w=4.0, b=5.0), 6.0]
    """
    node = None if is_leaf is not None and is_leaf(tree) else _children(tree)
    if node is None:
        return [tree], lambda leaves: leaves[0]
    _, children, make = node
    parts = [tree_flatten(c, is_leaf) for c in children]
    leaves = [leaf for sub, _ in parts for leaf in sub]

    def rebuild(new_leaves: Sequence[Any]) -> Any:
        new_leaves = list(new_leaves)
        if len(new_leaves) != len(leaves):
            raise ValueError(f"rebuilding a tree of {len(leaves)} leaves from "
                             f"{len(new_leaves)} values")
        items, i = [], 0
        for sub, sub_rebuild in parts:
            items.append(sub_rebuild(new_leaves[i:i + len(sub)]))
            i += len(sub)
        return make(items)
    return leaves, rebuild


def tree_leaves(tree: Any) -> List[Any]:
    """The leaves of ``tree`` as a list (the first half of :func:`tree_flatten`).

    Examples
    --------
    >>> tree_leaves({"a": (1, 2), "b": [3]})
    [1, 2, 3]
    """
    return tree_flatten(tree)[0]


def tree_paths(tree: Any) -> List[str]:
    """Where each leaf of ``tree`` sits, in :func:`tree_flatten`'s order, as Python would
    index it: ``[0]``, ``['w']``, ``.b`` (a dataclass field); ``""`` for a bare leaf.

    Examples
    --------
    >>> tree_paths({"w": [1.0, 2.0], "b": 3.0})
    ["['b']", "['w'][0]", "['w'][1]"]
    """
    node = _children(tree)
    if node is None:
        return [""]
    kind, children, _ = node
    if isinstance(tree, dict):
        steps = [f"[{k!r}]" for k in kind[1]]
    elif _is_dataclass_instance(tree):
        steps = [f".{n}" for n in kind[1]]
    else:
        steps = [f"[{i}]" for i in range(len(children))]
    return [step + sub for step, c in zip(steps, children) for sub in tree_paths(c)]


def tree_structure(tree: Any, sequences_alike: bool = False) -> Hashable:
    """A hashable description of ``tree`` without its leaves; equal for equal structures.

    Tuples and lists count as different kinds (unless ``sequences_alike``, when tuples,
    lists and named tuples all count as sequences), as do dicts with different keys and
    dataclasses of different types.

    Examples
    --------
    >>> tree_structure((1.0, {"a": 2.0})) == tree_structure((5.0, {"a": 7.0}))
    True
    >>> tree_structure((1.0, 2.0)) == tree_structure([1.0, 2.0])
    False
    """
    node = _children(tree)
    if node is None:
        return "*"
    kind, children, _ = node
    if sequences_alike and isinstance(tree, (tuple, list)):
        kind = "seq"
    return (kind, tuple(tree_structure(c, sequences_alike) for c in children))


def tree_map(fn: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    """``fn`` applied leaf by leaf: ``fn(leaf, *corresponding_leaves_of_rest)``.

    Parameters
    ----------
    fn : callable
        Called with one leaf from ``tree`` and the matching leaf of each tree in ``rest``.
    tree : pytree
        Gives the structure of the result.
    *rest : pytree
        Trees with the same structure as ``tree``.

    Returns
    -------
    pytree
        A tree shaped like ``tree`` holding ``fn``'s results.

    Raises
    ------
    ValueError
        If a tree in ``rest`` is shaped differently from ``tree``.

    Examples
    --------
    >>> import numpy as np
    >>> tree_map(lambda p, g: p - 0.1 * g, {"w": np.ones(2)}, {"w": np.ones(2)})
    {'w': array([0.9, 0.9])}
    """
    leaves, rebuild = tree_flatten(tree)
    others = []
    for i, other in enumerate(rest):
        if tree_structure(other) != tree_structure(tree):
            raise ValueError(
                f"tree_map: tree {i + 1} of rest is shaped differently from the first tree "
                f"({_short(tree_structure(other))} vs {_short(tree_structure(tree))}); pass "
                "trees with the same nesting, keys and fields")
        others.append(tree_flatten(other)[0])
    return rebuild([fn(*args) for args in zip(leaves, *others)])


def _short(structure: Any) -> str:
    text = repr(structure)
    return text if len(text) < 160 else text[:160] + "..."
