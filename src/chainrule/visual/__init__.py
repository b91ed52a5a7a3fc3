"""Seeing what the engine does: graphs, the chain rule step by step, plots and costs.

``graph`` (:mod:`.graph`), ``explain`` (:mod:`.explain`), ``plot`` (:mod:`.plot`) and
``cost`` (:mod:`.cost`) stand on :mod:`.sweeps` (the chain rule's terms, computed by the
engine) and :mod:`.text` (labels and tables), and read the engine only through
:mod:`.record`.  Matplotlib and Graphviz
are optional: they are imported when a picture is drawn.
"""
from .graph import Graph, GraphvizMissing, graph
from .explain import Explanation, explain
from .plot import plot
from .cost import CostReport, cost

__all__ = ["graph", "Graph", "GraphvizMissing", "explain", "Explanation", "plot", "cost",
           "CostReport"]
