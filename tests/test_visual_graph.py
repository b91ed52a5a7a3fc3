"""cr.graph: the structure, the DOT text, a real SVG through Graphviz, the text drawing,
big graphs collapsed, and the error when Graphviz is missing."""
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import chainrule as cr


def exercise(x):
    return np.log(x ** 2) * np.sin(x) + 1 / x


def parse_dot(text):
    """Nodes {id: label text without markup} and edges [(a, b)] of a DOT text."""
    nodes, edges = {}, []
    for line in text.splitlines():
        m = re.match(r"\s*(n\w+) \[label=<(.*)>, .*\];$", line)
        if m:
            nodes[m.group(1)] = re.sub(r"<[^>]+>", " ", m.group(2)).replace("&lt;", "<")
            continue
        m = re.match(r"\s*(n\w+) -> (n\w+)( \[.*\])?;$", line)
        if m:
            edges.append((m.group(1), m.group(2)))
    return nodes, edges


def titles(nodes):
    return {k: v.split()[0] for k, v in nodes.items()}


def test_dot_text_has_the_exercise_structure():
    text = cr.graph(exercise, 2.0).to_dot()
    assert text.startswith("digraph chainrule {") and text.rstrip().endswith("}")
    nodes, edges = parse_dot(text)
    name = titles(nodes)
    assert sorted(name.values()) == sorted(
        ["x", "2", "power", "log", "sin", "multiply", "1", "divide", "add"])
    by = {v: k for k, v in name.items()}
    flow = {(name[a], name[b]) for a, b in edges}
    assert flow == {("x", "power"), ("2", "power"), ("power", "log"), ("x", "sin"),
                    ("log", "multiply"), ("sin", "multiply"), ("1", "divide"),
                    ("x", "divide"), ("multiply", "add"), ("divide", "add")}
    assert "v5 = 1 / x" in nodes[by["divide"]]
    assert "v1 = x ** 2" in nodes[by["power"]]
    assert "scalar float64" in nodes[by["log"]]
    assert "peripheries=2" in [ln for ln in text.splitlines() if by["add"] + " [" in ln][0]


def test_graph_nodes_carry_name_shape_dtype_and_kind():
    g = cr.graph(lambda x: np.sum(np.exp(x) * 3.0), np.ones((2, 3), dtype=np.float32))
    kinds = [(n.kind, n.name, n.shape, str(n.dtype)) for n in g.nodes]
    assert kinds == [("input", "x", (2, 3), "float32"), ("op", "exp", (2, 3), "float32"),
                     ("const", "3", (), "float64"), ("op", "multiply", (2, 3), "float32"),
                     ("op", "sum", (), "float32")]
    assert g.output.name == "sum" and [n.name for n in g.inputs] == ["x"]


def test_graph_of_a_result_tensor_matches_the_traced_graph():
    x = cr.tensor(2.0, requires_grad=True)
    from_tensor = cr.graph(exercise(x))
    traced = cr.graph(exercise, 2.0)
    assert [(n.kind, n.name, n.inputs) for n in from_tensor.nodes] == \
        [(n.kind, n.name, n.inputs) for n in traced.nodes]
    assert str(from_tensor) == str(traced)


def test_graph_of_a_tensor_shows_constants_the_engine_did_not_keep():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    g = cr.graph(np.exp(x) + 1)
    assert [n.name for n in g.nodes] == ["x", "exp", "const", "add"]
    assert "v2 = v1 + const" in str(g)


def test_graph_argument_errors():
    with pytest.raises(ValueError, match="no recorded graph"):
        cr.graph(cr.tensor(1.0))
    with pytest.raises(TypeError, match="result tensor or a function"):
        cr.graph(3.0)
    with pytest.raises(TypeError, match="float argument"):
        cr.graph(lambda s: s, "text")


def test_text_drawing_of_the_exercise():
    lines = str(cr.graph(exercise, 2.0)).splitlines()
    left = [re.sub(r"\s{2,}[^\s│├└][^│├└]*$", "", ln) for ln in lines]
    assert left == [
        "f = v6 = v4 + v5 (add)", "├── v4 = v2 * v3 (multiply)", "│   ├── v2 = log(v1)",
        "│   │   └── v1 = x ** 2 (power)", "│   │       ├── x", "│   │       └── 2",
        "│   └── v3 = sin(x)", "│       └── x", "└── v5 = 1 / x (divide)", "    ├── 1",
        "    └── x"]
    assert lines[4].endswith("input, scalar float64")


def test_shared_subexpressions_are_drawn_once():
    def f(x):
        s = np.sin(x)
        return s * s + s
    text = str(cr.graph(f, 1.0))
    assert text.count("v1 = sin(x)") == 1
    assert "v1  (drawn above)" in text


def test_values_and_grads_in_the_drawings():
    g = cr.graph(exercise, 2.0, values=True, grads=True)
    x_line = [ln for ln in str(g).splitlines() if "input" in ln][0]
    grad = float(cr.grad(exercise)(2.0))
    assert f"df/dx = {grad:.4g}" in x_line and "value 2" in x_line
    assert f"df/dx = {grad:.4g}" in g.to_dot()
    with pytest.raises(ValueError, match="did not keep"):
        x = cr.tensor([1.0], requires_grad=True)
        cr.graph(np.exp(x) + 1, grads=True)


def test_big_graphs_collapse_repeated_chains():
    def net(x):
        for _ in range(100):
            x = np.tanh(x * 0.9 + 0.1)
        return x
    g = cr.graph(net, 0.5)
    assert len(g.ops) == 300
    boxes, edges = g.boxes()
    assert len(boxes) == 2 and edges == [(boxes[0].key, boxes[1].key, None)]
    assert "(multiply → add → tanh) × 100" in str(g)
    assert "(multiply → add → tanh) × 100" in g.to_dot()


def test_big_graphs_summarise_the_middle():
    def waves(x):
        s = 0.0
        for k in range(1, 60):
            s = s + np.sin(k * x) / k
        return s
    g = cr.graph(waves, 0.5, limit=40)
    boxes, edges = g.boxes()
    assert len(boxes) <= 40
    summary = [b for b in boxes if b.kind == "summary"]
    assert len(summary) == 1 and "more operations" in summary[0].title
    lines = str(g).splitlines()
    assert len(lines) < 40 and any("more operations" in ln for ln in lines)
    assert lines[-1].startswith("f = v236 = v232 + v235")
    nodes, es = parse_dot(g.to_dot())
    assert len(nodes) == len(boxes) and len(es) == len(edges)
    small = cr.graph(waves, 0.5, limit=10_000)
    assert len(small.boxes()[0]) == len(small.nodes)


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` missing")


@needs_dot
def test_render_svg_through_graphviz(tmp_path):
    pytest.importorskip("graphviz")
    path = cr.graph(exercise, 2.0).render(tmp_path / "g.svg")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    texts = [t.text for t in root.iter() if t.tag.endswith("text") and t.text]
    for label in ("log", "sin", "power", "divide", "multiply", "add", "x", "v5 = 1 / x"):
        assert any(label in t for t in texts), (label, texts)
    assert len([t for t in texts if t in ("log", "sin", "power", "divide")]) == 4


@needs_dot
def test_render_png_and_repr_svg(tmp_path):
    pytest.importorskip("graphviz")
    g = cr.graph(exercise, 2.0)
    with open(g.render(str(tmp_path / "g.png")), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert g._repr_svg_().lstrip().startswith(("<?xml", "<svg", "<!--"))
    with pytest.raises(ValueError, match=".svg, .png"):
        g.render(tmp_path / "g.jpeg")


def test_missing_dot_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))         # no `dot` anywhere on PATH
    g = cr.graph(exercise, 2.0)
    with pytest.raises(cr.GraphvizMissing) as err:
        g.render(tmp_path / "g.svg")
    msg = str(err.value)
    assert "apt-get install graphviz" in msg and "to_dot()" in msg and "pip install" in msg
    assert g._repr_svg_() is None
    assert open(g.render(tmp_path / "g.dot")).read() == g.to_dot()


def test_missing_graphviz_package_says_how_to_install(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "graphviz", None)   # import graphviz -> ImportError
    with pytest.raises(cr.GraphvizMissing, match="pip install graphviz"):
        cr.graph(exercise, 2.0).render(tmp_path / "g.png")


def test_several_inputs_ints_stay_constants_and_indexing_reads_as_python():
    g = cr.graph(lambda x, y, n: np.sum(x[1:] * y ** n), np.ones(3), 2.0, 3)
    assert [n.label for n in g.inputs] == ["x", "y"]
    text = str(g)
    assert "v2 = y ** 3" in text and "v1 = x[1:]" in text
    assert "3   " in text and "constant" in text


def test_partials_label_the_arrows():
    g = cr.graph(exercise, 2.0, partials=True)
    nodes, _ = parse_dot(g.to_dot())
    name = titles(nodes)
    labels = {}
    for line in g.to_dot().splitlines():
        m = re.match(r"\s*(n\w+) -> (n\w+) \[label=<.*>(.*)</font>>\];$", line)
        if m:
            labels[(name[m.group(1)], name[m.group(2)])] = m.group(3)
    assert labels == {("x", "power"): "∂v1/∂x = 4", ("power", "log"): "∂v2/∂v1 = 0.25",
                      ("x", "sin"): "∂v3/∂x = -0.4161", ("log", "multiply"): "∂v4/∂v2 = 0.9093",
                      ("sin", "multiply"): "∂v4/∂v3 = 1.386", ("x", "divide"): "∂v5/∂x = -0.25",
                      ("multiply", "add"): "∂v6/∂v4 = 1", ("divide", "add"): "∂v6/∂v5 = 1"}
    # the chain rule: the derivative is the sum over paths of the products along them
    paths = 4 * 0.25 * np.sin(2.0) + np.cos(2.0) * np.log(4.0) - 0.25
    assert paths == pytest.approx(float(cr.grad(exercise)(2.0)))


def test_several_outputs_are_each_drawn():
    g = cr.graph(lambda x: (x * 2, np.sin(x)), 1.0)
    assert [n.name for n in g.nodes if n.output] == ["multiply", "sin"]
    lines = str(g).splitlines()
    assert lines[0].startswith("f[0] = v1 = x * 2") and lines[3].startswith("f[1] = v2 = sin(x)")
    assert g.to_dot().count("peripheries=2") == 2


def test_graph_after_backward_keeps_its_structure():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (np.sin(x) * 3 + 1).sum()
    y.backward()
    assert [n.name for n in cr.graph(y).ops] == ["sin", "multiply", "add", "sum"]
