"""Elementwise ops as GLSL expressions over vec4s: the epilogue of a pass (a producer's fused ops and
the elementwise nodes that join it), or a pass of their own."""

from __future__ import annotations

from ....graph import Node
from ....ops.fused import Fused
from ..kernel import Arg, EpilogueStep

UNARY: dict[str, str] = {
    "Relu": "max({0}, 0.0)",
    "Relu6": "clamp({0}, 0.0, 6.0)",
    "Elu": "mix(exp(min({0}, 0.0)) - 1.0, {0}, greaterThan({0}, vec4(0.0)))",
    "Selu": "1.0507009873554805 * mix(1.6732632423543772 * (exp(min({0}, 0.0)) - 1.0), {0}, greaterThan({0}, vec4(0.0)))",
    "Sigmoid": "1.0 / (1.0 + exp(-{0}))",
    "HardSigmoid": "clamp({0} * 0.2 + 0.5, 0.0, 1.0)",
    "Tanh": "tanh({0})",
    "Softplus": "max({0}, 0.0) + log(1.0 + exp(-abs({0})))",
    "Sqrt": "sqrt({0})",
    "Rsqrt": "inversesqrt({0})",
    "Square": "({0} * {0})",
    "Abs": "abs({0})",
    "Neg": "(-{0})",
    "Exp": "exp({0})",
    "Log": "log({0})",
    "Floor": "floor({0})",
    "Ceil": "ceil({0})",
    "Reciprocal": "(1.0 / {0})",
}
BINARY: dict[str, str] = {
    "Add": "({0} + {1})",
    "AddV2": "({0} + {1})",
    "BiasAdd": "({0} + {1})",
    "Sub": "({0} - {1})",
    "Mul": "({0} * {1})",
    "RealDiv": "({0} / {1})",
    "Div": "({0} / {1})",
    "FloorDiv": "floor({0} / {1})",
    "FloorMod": "({0} - {1} * floor({0} / {1}))",
    "Maximum": "max({0}, {1})",
    "Minimum": "min({0}, {1})",
    "SquaredDifference": "(({0} - {1}) * ({0} - {1}))",
    "Prelu": "mix({0} * {1}, {0}, greaterThan({0}, vec4(0.0)))",
    "LeakyRelu": "mix({0} * {1}, {0}, greaterThan({0}, vec4(0.0)))",  # {1}: alpha, a scalar uniform
}
OPS = frozenset(UNARY) | frozenset(BINARY) | {"AddN"}  # the elementwise nodes that run on the GPU


def expression(op: str, args: list[str]) -> str:
    if op == "AddN":
        return "(" + " + ".join(args) + ")"
    return (UNARY[op] if op in UNARY else BINARY[op]).format(*args)


def arguments(node: Node) -> tuple[Arg, ...]:
    """An elementwise node's operands: its inputs; LeakyRelu's alpha (an attribute) as a scalar."""
    return (node.inputs[0], float(node.attrs)) if node.op == "LeakyRelu" else node.inputs


def fused_steps(fused: Fused, extra: tuple[Arg, ...]) -> tuple[EpilogueStep, ...] | None:
    """A conv / matmul node's fused bias and activation as epilogue steps (extra: its inputs after
    the filter); None if the activation has no expression."""
    steps: list[EpilogueStep] = [("BiasAdd", (extra[0],))] if fused.bias else []
    if fused.activation == "Prelu":
        steps.append(("Prelu", (extra[1],)))
    elif fused.activation == "LeakyRelu":
        steps.append(("LeakyRelu", (fused.alpha,)))
    elif fused.activation in UNARY:
        steps.append((fused.activation, ()))
    elif fused.activation is not None:
        return None
    return tuple(steps)
