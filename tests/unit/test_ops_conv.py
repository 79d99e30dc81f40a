import numpy as np
import pytest
from specs import run_op

from pyapp.ops import OPS
from pyapp.ops.registry import Info

RNG = np.random.default_rng(7)


def tf_pads(size, k, s, d, padding, explicit=(0, 0)):
    """TF's documented rule: SAME gives ceil(size / s) outputs, the odd pad pixel goes after."""
    eff = (k - 1) * d + 1
    if padding == "SAME":
        out = -(-size // s)
        total = max((out - 1) * s + eff - size, 0)
        return total // 2, total - total // 2
    return explicit if padding == "EXPLICIT" else (0, 0)


def naive_conv(x, w, stride, dil, padding, explicit=((0, 0), (0, 0)), depthwise=False):
    """Output pixel by output pixel, straight from the definition."""
    n, h, wd, c = x.shape
    kh, kw = w.shape[:2]
    (pt, pb), (pl, pr) = tf_pads(h, kh, stride[0], dil[0], padding, explicit[0]), tf_pads(wd, kw, stride[1], dil[1], padding, explicit[1])
    xp = np.pad(x.astype(np.float64), ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    ho = (h + pt + pb - (kh - 1) * dil[0] - 1) // stride[0] + 1
    wo = (wd + pl + pr - (kw - 1) * dil[1] - 1) // stride[1] + 1
    co = c * w.shape[3] if depthwise else w.shape[3]
    out = np.zeros((n, ho, wo, co))
    for i in range(ho):
        for j in range(wo):
            for a in range(kh):
                for b in range(kw):
                    px = xp[:, i * stride[0] + a * dil[0], j * stride[1] + b * dil[1], :]  # (n, c)
                    if depthwise:
                        out[:, i, j, :] += (px[:, :, None] * w[a, b][None]).reshape(n, co)
                    else:
                        out[:, i, j, :] += px @ w[a, b]
    return out


def conv_attrs(stride=(1, 1), dil=(1, 1), padding="SAME", explicit=None, **extra):
    attrs = {"strides": [1, *stride, 1], "dilations": [1, *dil, 1], "padding": padding, "data_format": "NHWC", **extra}
    if explicit:
        attrs["explicit_paddings"] = [0, 0, *explicit[0], *explicit[1], 0, 0]
    return attrs


def test_same_padding_puts_the_odd_pixel_after():
    # 1x6 row, 1x3 box filter, stride 2: windows [0,1,2], [2,3,4], [4,5,pad]
    x = np.arange(6, dtype=np.float32).reshape(1, 1, 6, 1)
    w = np.ones((1, 3, 1, 1), np.float32)
    assert run_op("Conv2D", conv_attrs((2, 2)), x, w).ravel().tolist() == [3, 9, 9]
    # 1x5 row: one pad pixel on each side: [pad,0,1], [1,2,3], [3,4,pad]
    x5 = np.arange(5, dtype=np.float32).reshape(1, 1, 5, 1)
    assert run_op("Conv2D", conv_attrs((2, 2)), x5, w).ravel().tolist() == [1, 6, 7]
    assert run_op("Conv2D", conv_attrs((2, 2), padding="VALID"), x5, w).ravel().tolist() == [3, 9]


CASES = [
    dict(shape=(1, 7, 9, 3), k=(3, 3), stride=(2, 2), dil=(1, 1), padding="SAME"),
    dict(shape=(2, 8, 8, 4), k=(3, 3), stride=(1, 1), dil=(1, 1), padding="SAME"),
    dict(shape=(1, 9, 7, 2), k=(3, 2), stride=(2, 1), dil=(1, 1), padding="VALID"),
    dict(shape=(1, 10, 11, 3), k=(3, 3), stride=(1, 1), dil=(2, 3), padding="SAME"),
    dict(shape=(1, 6, 6, 2), k=(2, 3), stride=(2, 2), dil=(1, 1), padding="EXPLICIT", explicit=((1, 2), (0, 3))),
    dict(shape=(1, 5, 5, 8), k=(1, 1), stride=(1, 1), dil=(1, 1), padding="VALID"),
    dict(shape=(1, 5, 5, 8), k=(1, 1), stride=(2, 2), dil=(1, 1), padding="SAME"),
]


@pytest.mark.parametrize("case", CASES)
def test_conv2d_matches_definition(case):
    x = RNG.standard_normal(case["shape"]).astype(np.float32)
    w = RNG.standard_normal((*case["k"], case["shape"][3], 5)).astype(np.float32)
    explicit = case.get("explicit")
    attrs = conv_attrs(case["stride"], case["dil"], case["padding"], explicit)
    out = run_op("Conv2D", attrs, x, w)
    want = naive_conv(x, w, case["stride"], case["dil"], case["padding"], explicit or ((0, 0), (0, 0)))
    assert out.dtype == np.float32 and out.shape == want.shape
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4)
    info = OPS["Conv2D"].infer(OPS["Conv2D"].parse(attrs), Info(x.shape, "float32"), Info(w.shape, "float32"))
    assert info[0].shape == want.shape


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("multiplier", [1, 2])
def test_depthwise_matches_definition(case, multiplier):
    x = RNG.standard_normal(case["shape"]).astype(np.float32)
    w = RNG.standard_normal((*case["k"], case["shape"][3], multiplier)).astype(np.float32)
    explicit = case.get("explicit")
    attrs = conv_attrs(case["stride"], case["dil"], case["padding"], explicit)
    out = run_op("DepthwiseConv2dNative", attrs, x, w)
    want = naive_conv(x, w, case["stride"], case["dil"], case["padding"], explicit or ((0, 0), (0, 0)), depthwise=True)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4)
    info = OPS["DepthwiseConv2dNative"].infer(OPS["DepthwiseConv2dNative"].parse(attrs), Info(x.shape, "float32"), Info(w.shape, "float32"))
    assert info[0].shape == want.shape


@pytest.mark.parametrize("op, plain", [("_FusedConv2D", "Conv2D"), ("FusedDepthwiseConv2dNative", "DepthwiseConv2dNative")])
def test_fused_convs_add_bias_then_activation(op, plain):
    x = RNG.standard_normal((1, 6, 6, 4)).astype(np.float32)
    w = RNG.standard_normal((3, 3, 4, 4 if op == "_FusedConv2D" else 1)).astype(np.float32)
    bias = RNG.standard_normal(4).astype(np.float32)
    base = run_op(plain, conv_attrs(), x, w) + bias
    out = run_op(op, conv_attrs(fused_ops=["BiasAdd", "Relu6"], num_args=1), x, w, bias)
    np.testing.assert_allclose(out, np.clip(base, 0, 6), rtol=1e-5, atol=1e-5)
    assert base.min() < 0 and base.max() > 0


def scatter_deconv(dy, w, out_shape, stride, padding):
    """Direct transposed conv: every dy pixel adds w @ dy to the input pixels it came from."""
    n, h, wd, ci = out_shape
    kh, kw = w.shape[:2]
    pt, _ = tf_pads(h, kh, stride[0], 1, padding)
    pl, _ = tf_pads(wd, kw, stride[1], 1, padding)
    out = np.zeros(out_shape)
    for i in range(dy.shape[1]):
        for j in range(dy.shape[2]):
            for a in range(kh):
                for b in range(kw):
                    y, x = i * stride[0] - pt + a, j * stride[1] - pl + b
                    if 0 <= y < h and 0 <= x < wd:
                        out[:, y, x, :] += dy[:, i, j, :] @ w[a, b].T
    return out


@pytest.mark.parametrize(
    "out_shape, k, stride, padding",
    [((1, 8, 8, 3), (2, 2), (2, 2), "SAME"), ((1, 7, 9, 3), (3, 3), (2, 2), "SAME"), ((2, 9, 9, 2), (3, 3), (2, 2), "VALID"), ((1, 6, 5, 4), (4, 4), (2, 2), "SAME")],
)
def test_conv2d_backprop_input(out_shape, k, stride, padding):
    w = RNG.standard_normal((*k, out_shape[3], 5)).astype(np.float32)
    attrs = conv_attrs(stride, padding=padding)
    x = RNG.standard_normal(out_shape).astype(np.float32)
    dy = RNG.standard_normal(run_op("Conv2D", attrs, x, w).shape).astype(np.float32)
    sizes = np.array(out_shape, np.int32)
    out = run_op("Conv2DBackpropInput", attrs, sizes, w, dy)
    np.testing.assert_allclose(out, scatter_deconv(dy, w, out_shape, stride, padding), rtol=1e-4, atol=1e-4)
    # and it is the adjoint of Conv2D: <conv(x), dy> == <x, deconv(dy)>
    np.testing.assert_allclose(np.vdot(run_op("Conv2D", attrs, x, w), dy), np.vdot(x, out), rtol=1e-4)
    info = OPS["Conv2DBackpropInput"].infer(None, Info((4,), "int32", sizes), Info(w.shape, "float32"), Info(dy.shape, "float32"))
    assert info[0].shape == out_shape


def test_conv_rejects_what_it_cannot_run():
    with pytest.raises(ValueError, match="NHWC"):
        OPS["Conv2D"].parse(conv_attrs(data_format="NCHW"))
    with pytest.raises(ValueError, match="padding"):
        OPS["Conv2D"].parse(conv_attrs(padding="CAUSAL"))
    with pytest.raises(ValueError, match="explicit_paddings"):
        OPS["Conv2D"].parse({**conv_attrs(padding="EXPLICIT"), "explicit_paddings": [1, 1]})
    with pytest.raises(ValueError, match="channels"):
        OPS["Conv2D"].infer(OPS["Conv2D"].parse(conv_attrs()), Info((1, 4, 4, 3), "float32"), Info((3, 3, 2, 8), "float32"))
