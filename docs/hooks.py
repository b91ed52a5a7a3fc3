"""mkdocs hooks: leave out of the menu the pages that are listed but not (yet) written."""
import os
import re


def _prune(items, docs_dir):
    kept = []
    for item in items:
        if isinstance(item, dict):
            (title, value), = item.items()
            if isinstance(value, list):
                value = _prune(value, docs_dir)
                if value:
                    kept.append({title: value})
            elif value.startswith(("http://", "https://")) or os.path.exists(
                    os.path.join(docs_dir, value)):
                kept.append(item)
        elif os.path.exists(os.path.join(docs_dir, item)):
            kept.append(item)
    return kept


def on_config(config):
    if config.get("nav"):
        config["nav"] = _prune(config["nav"], config["docs_dir"])
    return config


_ROLE = re.compile(r":(?:func|class|mod|meth|data|attr|exc):(?=<code)")


def on_page_content(html, **kwargs):
    """Docstrings use Sphinx roles (:func:`grad`) for Python's help(); show just the name."""
    return _ROLE.sub("", html)


_DIRECTIVE = re.compile(r"^::: (chainrule[\w.]*)[ \t]*$", re.M)


def _exported(match):
    """``::: module`` with no options shows what the module exports (its ``__all__``), not
    the names it imports (the API pages read docstrings by importing the modules)."""
    import importlib
    name = match.group(1)
    try:
        names = importlib.import_module(name).__all__
    except (ImportError, AttributeError):
        return match.group(0)
    return f"::: {name}\n    options:\n      members: [{', '.join(names)}]"


def on_page_markdown(markdown, **kwargs):
    return _DIRECTIVE.sub(_exported, markdown)
