"""Op table: every TF op pyapp can run, with attribute parsing, shape inference and a numpy kernel."""

from . import array, conv, elementwise, image, matmul, pooling, reduce, slicing  # noqa: F401  (they fill OPS)
from .registry import OPS, Info, Op, parse_placeholder

# Graph-level ops the executor handles itself: no kernel, never run.
STRUCTURAL = frozenset({"Const", "Placeholder", "NoOp"})


def supported_ops() -> set[str]:
    return set(OPS) | STRUCTURAL


__all__ = ["OPS", "Info", "Op", "STRUCTURAL", "parse_placeholder", "supported_ops"]
