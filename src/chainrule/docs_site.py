"""``python -m chainrule docs``: build (or serve) this documentation site with mkdocs.

The site's sources (``mkdocs.yml``, ``docs/``) live in a checkout of chainrule, not in the
installed package: the command looks for ``mkdocs.yml`` in the current directory and its
parents, then beside the package (an editable install).
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

__all__ = ["find_config", "build"]


def find_config(start: str | None = None) -> str | None:
    """The path of the checkout's ``mkdocs.yml``, or ``None`` when there is none.

    >>> path = find_config()
    >>> path is None or path.endswith("mkdocs.yml")
    True
    """
    here = os.path.dirname(os.path.abspath(__file__))
    for base in (os.path.abspath(start or os.getcwd()), here):
        d = base
        while True:
            cand = os.path.join(d, "mkdocs.yml")
            if os.path.isfile(cand) and os.path.isdir(os.path.join(d, "docs")):
                return cand
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent
    return None


def build(serve: bool = False, site_dir: str | None = None, config: str | None = None) -> int:
    """Build the site strictly (a broken reference fails), or serve it with live reload.

    Parameters
    ----------
    serve : bool
        Run ``mkdocs serve`` (http://127.0.0.1:8000) instead of ``mkdocs build``.
    site_dir : str, optional
        Where ``build`` writes the HTML (default: ``site/`` in the checkout).
    config : str, optional
        The ``mkdocs.yml`` to use (default: :func:`find_config`).

    Returns
    -------
    int
        mkdocs' exit status (0 when the site built).

    Raises
    ------
    RuntimeError
        If mkdocs is not installed or no ``mkdocs.yml`` is found; the message says what to
        install or where to run the command.
    """
    if importlib.util.find_spec("mkdocs") is None:
        raise RuntimeError("building the docs needs mkdocs, mkdocs-material and mkdocstrings: "
                           "pip install -e '.[docs]' in a checkout of chainrule")
    config = config or find_config()
    if config is None:
        raise RuntimeError("no mkdocs.yml found here or above: run `python -m chainrule docs` "
                           "inside a checkout of chainrule (the site's sources are not in the "
                           "installed package)")
    cmd = [sys.executable, "-m", "mkdocs", "serve" if serve else "build", "-f", config]
    if not serve:
        cmd.append("--strict")
        if site_dir:
            cmd += ["--site-dir", os.path.abspath(site_dir)]
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return subprocess.call(cmd, env=env, cwd=os.path.dirname(config))
