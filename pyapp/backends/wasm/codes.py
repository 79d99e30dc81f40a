"""Codes the kernels take for activations and binary ops (kernels/simd.h, kernels/elementwise.c)."""

ACTIVATIONS = {None: 0, "Relu": 1, "Relu6": 2, "Sigmoid": 3, "Tanh": 4, "Abs": 5, "Neg": 6, "Square": 7, "Exp": 8}
BINARY_OPS = {"Add": 0, "AddV2": 0, "BiasAdd": 0, "Sub": 1, "Mul": 2, "RealDiv": 3, "Maximum": 4, "Minimum": 5, "SquaredDifference": 6}
