"""pytest settings for examples/.

``examples/flows/`` holds the flows-as-code that ``flowbuilder plan``/``apply`` read. Its modules
are not tests and hold no doctests; pytest's doctest collection would import them under their
bare names, and ``flows/order_routing.py`` would then clash with ``order_routing.py`` here.
``tests/test_examples.py`` runs every one of them instead.
"""

collect_ignore_glob = ["flows/*"]
