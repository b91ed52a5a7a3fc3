"""The package's layers import each other in one direction only.

The import graph (read from the source with ``ast``) has no cycle, no module imports another
module's private names, and ``import chainrule`` works whatever the order of the imports in
``__init__.py`` and whichever submodule a fresh process imports first.
"""
import ast
import itertools
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import chainrule as cr

PKG = pathlib.Path(cr.__file__).parent


def _module_name(path):
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(mod, node):
    """The absolute module an ``ImportFrom`` in ``mod`` names (``None`` if outside)."""
    if node.level == 0:
        return node.module if (node.module or "").startswith("chainrule") else None
    pkg = mod.split(".")
    is_pkg = (PKG.parent / pathlib.Path(*pkg) / "__init__.py").exists()
    base = pkg if is_pkg else pkg[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _modules():
    return {_module_name(p): p for p in PKG.rglob("*.py")}


def _imports(top_level_only):
    """module -> set of chainrule modules it imports (and the ImportFrom nodes)."""
    mods = _modules()
    graph = {}
    froms = []
    for mod, path in mods.items():
        tree = ast.parse(path.read_text())
        nodes = tree.body if top_level_only else list(ast.walk(tree))
        deps = set()
        for node in nodes:
            if isinstance(node, ast.ImportFrom):
                target = _resolve(mod, node)
                if target is None:
                    continue
                froms.append((mod, target, node))
                for a in node.names:     # "from . import engine" names a module
                    sub = f"{target}.{a.name}"
                    deps.add(sub if sub in mods else target)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("chainrule"))
        graph[mod] = {d for d in deps if d in mods and d != mod}
    return graph, froms


def _cycle(graph):
    """A cycle of the graph as a list of modules, or None."""
    state = {}

    def visit(m, stack):
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            # a package's __init__ runs before its submodules: importing the package from a
            # submodule is not a cycle of module bodies
            if m.startswith(d + "."):
                continue
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state:
                found = visit(d, stack)
                if found:
                    return found
        stack.pop()
        state[m] = 2
        return None
    for m in sorted(graph):
        if m not in state:
            found = visit(m, [])
            if found:
                return found
    return None


def test_the_module_level_import_graph_has_no_cycle():
    graph, _ = _imports(top_level_only=True)
    assert "chainrule.rules.api" in graph and graph["chainrule.tensor"]
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_cycle_check_can_fail():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_another_modules_private_names():
    _, froms = _imports(top_level_only=False)
    bad = [f"{mod}: from {target} import {a.name}" for mod, target, node in froms
           for a in node.names
           if a.name.startswith("_") and not a.name.startswith("__")]
    assert not bad, "\n".join(bad)


def test_the_lower_layers_do_not_import_the_upper_ones():
    graph, _ = _imports(top_level_only=True)
    for low in ("chainrule.engine", "chainrule.dispatch"):
        assert not {d for d in graph[low] if d != "chainrule"}, (low, graph[low])
    assert not any(d.startswith("chainrule.rules") for d in graph["chainrule.tensor"])
    assert not any(d.startswith("chainrule.rules") for d in graph["chainrule.numpy_bridge"])
    # the NumPy-API layer sits on the rule tables; nothing below it imports it
    for low in ("chainrule.tensor", "chainrule.numpy_bridge", "chainrule.engine"):
        assert not any(d.startswith("chainrule.numpy_api") for d in graph[low]), low
    full, _ = _imports(top_level_only=False)
    assert not {(m, d) for m, deps in full.items() if m.startswith("chainrule.rules")
                for d in deps if d.startswith("chainrule.numpy_api")}


def _implements_calls(source):
    """Line numbers of ``implements(...)`` calls (decorators included) in ``source``."""
    return [n.lineno for n in ast.walk(ast.parse(source))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            and n.func.id == "implements"]


def test_the_rule_tables_hold_no_numpy_api_handlers():
    """``rules/`` is the calculus; NumPy's argument handling lives in ``numpy_api/``."""
    assert _implements_calls("@implements(np.sum)\ndef _sum(a): pass") == [1]
    assert _implements_calls("implements(np.max, np.amax)(h)") == [1]
    found = [f"{mod}:{line}" for mod, path in _modules().items()
             if mod.startswith("chainrule.rules")
             for line in _implements_calls(path.read_text())]
    assert not found, "NumPy-API handlers in the rule tables (move them to numpy_api/): " + \
        ", ".join(found)


def test_every_numpy_function_reaches_a_handler_of_the_numpy_api_layer():
    import numpy as np
    from chainrule import dispatch
    assert len(dispatch.FUNCTIONS) > 100
    outside = {f"{getattr(f, '__name__', f)}: {h.__module__}"
               for f, h in dispatch.FUNCTIONS.items()
               if not h.__module__.startswith("chainrule.numpy_api.")
               and f not in (np.shape, np.ndim, np.size)}     # the bridge's own three
    assert not outside, outside


_SMOKE = ("import numpy as np, chainrule as cr; "
          "assert abs(float(cr.grad(lambda x: np.sum(np.sin(x) * x))(1.0)) - 1.3817732906760363)"
          " < 1e-12; x = cr.tensor([1.0, 2.0], requires_grad=True); (x * x + 1).sum().backward();"
          " assert x.grad.tolist() == [2.0, 4.0]")


def _run(code, path):
    env = dict(os.environ, PYTHONPATH=str(path))
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]


@pytest.mark.parametrize("first", ["chainrule.rules.api", "chainrule.numpy_bridge",
                                   "chainrule.transforms", "chainrule.rules.linalg",
                                   "chainrule.tensor", "chainrule.extend",
                                   "chainrule.numpy_api.linalg.solve"])
def test_any_submodule_can_be_imported_first(first):
    _run(f"import {first}; " + _SMOKE, PKG.parent)


def test_the_order_of_imports_in_init_does_not_matter(tmp_path):
    """Copies of the package with the import statements of ``__init__.py`` reordered."""
    src = (PKG / "__init__.py").read_text()
    tree = ast.parse(src)
    lines = src.splitlines(keepends=True)
    spans = [(n.lineno - 1, n.end_lineno) for n in tree.body
             if isinstance(n, (ast.Import, ast.ImportFrom))]
    stmts = ["".join(lines[a:b]) for a, b in spans]
    assert len(stmts) >= 5
    # reversed, and rotations: each import statement comes first once
    orders = [stmts[::-1]] + [stmts[k:] + stmts[:k] for k in range(1, len(stmts))]
    code = "; ".join(["import chainrule", _SMOKE])
    for k, order in enumerate(itertools.islice(orders, 4)):
        root = tmp_path / str(k)
        shutil.copytree(PKG, root / "chainrule",
                        ignore=shutil.ignore_patterns("__pycache__"))
        # the imports go to the top, in the new order; the rest stays where it was
        kept = [ln for i, ln in enumerate(lines) if not any(a <= i < b for a, b in spans)]
        doc_end = tree.body[0].end_lineno if isinstance(tree.body[0], ast.Expr) else 0
        new = "".join(lines[:doc_end]) + "".join(order) + "".join(kept[doc_end:])
        (root / "chainrule" / "__init__.py").write_text(new)
        _run(code, root)
