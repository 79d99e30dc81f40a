"""pyapp: run TensorFlow.js graph models from Python, in CPython (numpy) and in the browser (Pyodide)."""

__version__ = "0.1.0"
