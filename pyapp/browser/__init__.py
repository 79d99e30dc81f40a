"""The browser boundary: the only part of pyapp that imports `js` or `pyodide`.

Everything else in pyapp imports in plain CPython; code here runs in the Pyodide worker.
"""
