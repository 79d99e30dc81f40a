"""Graph IR built from a ModelSpec: refs, nodes, passes, execution plan, static shapes."""

from .build import build_graph, check_supported
from .fuse import fuse_conv_epilogue
from .ir import Graph, Node, Ref, parse_ref, ref_name
from .passes import PIPELINE, Pass, fold_constants, optimize, remove_dead, strip_identity
from .plan import Plan, make_plan, topo_order
from .shapes import infer_shapes

__all__ = [
    "Graph", "Node", "Pass", "PIPELINE", "Plan", "Ref", "build_graph", "check_supported", "fold_constants",
    "fuse_conv_epilogue",
    "infer_shapes", "make_plan", "optimize", "parse_ref", "ref_name", "remove_dead", "strip_identity", "topo_order",
]
