import numpy as np
import pytest

from pyapp.ops.fused import Fused, apply_fused, parse_fused


@pytest.mark.parametrize(
    "fused, want",
    [
        ([], [-3, 1, 8]),
        (["BiasAdd"], [-2, 3, 11]),
        (["BiasAdd", "Relu"], [0, 3, 11]),
        (["BiasAdd", "Relu6"], [0, 3, 6]),
        (["BiasAdd", "LeakyRelu"], [-0.4, 3, 11]),
        (["BiasAdd", "Prelu"], [-1, 3, 11]),
        (["BiasAdd", "Sigmoid"], 1 / (1 + np.exp(-np.array([-2, 3, 11])))),
    ],
)
def test_fused_ops_run_in_order(fused, want):
    y = np.array([-3, 1, 8], np.float32)
    args = (np.array([1, 2, 3], np.float32), np.array([0.5, 0.5, 0.5], np.float32))
    np.testing.assert_allclose(apply_fused(parse_fused({"fused_ops": fused}), y, args), want, rtol=1e-6)


def test_the_record_names_bias_activation_and_alpha():
    f = parse_fused({"fused_ops": ["BiasAdd", "LeakyRelu"], "leakyrelu_alpha": 0.1})
    assert f == Fused(bias=True, activation="LeakyRelu", alpha=0.1)
    assert parse_fused({}) == Fused() == parse_fused({"fused_ops": []})
    assert parse_fused({"fused_ops": [b"BiasAdd", b"Relu"]}).activation == "Relu"  # bytes as pyapp.model may leave them


@pytest.mark.parametrize("fused", [["FusedBatchNorm"], ["Relu"], ["BiasAdd", "Gelu"], ["BiasAdd", "Relu", "Relu6"]])
def test_fused_ops_it_cannot_run_are_refused_at_parse(fused):
    with pytest.raises(ValueError, match="not supported"):
        parse_fused({"fused_ops": fused})
