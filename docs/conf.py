"""Sphinx configuration of tinyio's documentation. Build: ``sphinx-build -W -b html docs docs/_build/html``."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(ROOT))  # document the tinyio of this checkout, installed or not

import tinyio  # noqa: E402

project = "tinyio"
author = "the tinyio developers"
copyright = "the tinyio developers"
release = version = getattr(tinyio, "__version__", "0.5.0.dev0")

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "tinyio_rules",
    "tinyio_examples",
]

# spec/ (the normative rules, owned by the spec) is part of the site through the symlink docs/spec -> ../spec; every
# spec/*.rst is picked up by the glob in reference/spec.rst, so a new spec file needs no change here.
exclude_patterns = ["_build", "spec/*.md", ".venv"]
root_doc = "index"
default_role = "py:obj"
nitpicky = False  # typing internals (Generator[Any, Any, T], ParamSpec) have no page to link to without intersphinx

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": False}
autodoc_preserve_defaults = True
add_module_names = True
python_use_unqualified_type_names = True

html_theme = "furo"
html_title = "tinyio"
html_static_path = ["_static"]
html_css_files = ["tinyio.css"]
html_theme_options = {"navigation_with_keys": True}
html_show_sourcelink = False
pygments_style = "sphinx"
