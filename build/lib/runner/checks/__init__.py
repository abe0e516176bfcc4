"""Check kinds: one module per kind, each with a pure `evaluate(spec, observed) -> Result`.

The cluster edge (runner/cluster/observe.py) gathers what each kind observes.
"""
