"""pyapp: run TensorFlow.js graph models from Python, in CPython (numpy) and in the browser (Pyodide)."""

__version__ = "0.1.0"


def __getattr__(name: str):
    # Lazy, so importing pyapp (server, CLI) does not load the numpy kernels.
    if name in ("load_graph_model", "GraphModel"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'pyapp' has no attribute {name!r}")
