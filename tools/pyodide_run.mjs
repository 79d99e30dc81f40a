// Runs a Python file in the pinned Pyodide under Node, offline: `node tools/pyodide_run.mjs
// PYODIDE_DIR FOLDER SCRIPT.py ARGS...`. FOLDER (holding the script and its files) is mounted at
// the same path inside Pyodide. Used at setup to write .pyc with Pyodide's own CPython.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, folder, script, ...args] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: pyodideDir + path.sep, stdout: console.log, stderr: console.error });
pyodide.FS.mkdirTree(folder);
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: folder }, folder);
pyodide.globals.set("argv", pyodide.toPy([script, ...args]));
pyodide.runPython("import runpy, sys\nsys.argv = list(argv)\nrunpy.run_path(sys.argv[0], run_name='__main__')");
