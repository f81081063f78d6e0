"""Sphinx configuration of the documentation site: the guides in docs/*.md (MyST) and an API
reference built from the docstrings (docs/api/*.rst, one page per layer).

    .venv/bin/python -m sphinx -W -b html docs docs/_build/html

``tests/test_docs.py`` builds it with warnings as errors.
"""

project = "gamedyn"
author = "the gamedyn developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# api.md is the one-page summary docs/make_api.py writes for readers of the repository; the
# site has the full reference under api/
exclude_patterns = ["_build", "api.md"]
autodoc_member_order = "bysource"
napoleon_numpy_docstring = True
napoleon_use_ivar = True  # a NamedTuple's fields once, as fields of its class
# the docstrings write "name : what it is" where numpydoc puts a type; Sphinx would try to
# resolve those words as Python objects
suppress_warnings = ["ref.python"]
myst_heading_anchors = 3
html_theme = "alabaster"
