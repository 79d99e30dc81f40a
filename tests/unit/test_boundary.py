"""Only pyapp/browser/ may import `js` or `pyodide`; everything else imports in plain CPython."""

import ast
import importlib
import pkgutil
import sys
from pathlib import Path

import pyapp

PACKAGE = Path(pyapp.__file__).parent
BROWSER_ONLY = ("js", "pyodide")


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_only_the_browser_package_imports_js_or_pyodide():
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if not p.is_relative_to(PACKAGE / "browser")
                 and imported_roots(p) & set(BROWSER_ONLY)]
    assert offenders == []
    assert imported_roots(PACKAGE / "browser" / "gl.py") >= {"js", "pyodide"}


def test_every_other_module_imports_in_cpython():
    names = [m.name for m in pkgutil.walk_packages([str(PACKAGE)], "pyapp.")
             if not m.name.startswith("pyapp.browser.") and m.name != "pyapp.__main__"]
    assert "pyapp.server.app" in names
    for name in names:
        importlib.import_module(name)
    assert not set(BROWSER_ONLY) & set(sys.modules)


def test_nothing_outside_the_browser_package_reaches_into_it():
    """The browser side hands the backends what they need (gl, host); they never import it, not even
    by name through importlib."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.is_relative_to(PACKAGE / "browser"):
            continue
        package = ".".join(("pyapp", *path.relative_to(PACKAGE).parent.parts))
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                base = package.rsplit(".", node.level - 1)[0] if node.level else ""
                names = [f"{base}.{node.module or ''}".strip(".")] + [f"{base}.{a.name}" for a in node.names if not node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("pyapp.browser"):
                names = [node.value]  # importlib.import_module("pyapp.browser...")
            else:
                continue
            offenders += [f"{path.relative_to(PACKAGE)}: {n}" for n in names if n == "pyapp.browser" or n.startswith("pyapp.browser.")]
    assert offenders == []
