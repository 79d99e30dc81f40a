"""numpy backend: the reference executor, and the fallback where WebGL2 is missing."""

from ...graph import PIPELINE, Graph, optimize
from .executor import CpuExecutor

PASSES = PIPELINE


def compile(graph: Graph) -> CpuExecutor:
    """Optimise the graph with this backend's passes and ready it to run."""
    return CpuExecutor(optimize(graph, PASSES))


__all__ = ["CpuExecutor", "PASSES", "compile"]
