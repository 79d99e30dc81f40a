"""TF.js reference ("golden") outputs: inputs prepared in Python, run by TF.js 4.22 in Node (CPU backend)."""

from tools.golden.generate import ensure, golden_dir
from tools.golden.inputs import CASES, MODELS, make_input

__all__ = ["CASES", "MODELS", "ensure", "golden_dir", "make_input"]
