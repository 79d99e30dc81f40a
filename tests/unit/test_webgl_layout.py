"""Texture layout of the WebGL backend: NHWC tensors as RGBA texels in layers of rows, filters as 4x4 blocks."""

import numpy as np
import pytest

from pyapp.backends.webgl.layout import ROWS, pack, pack_blocks, pack_channels, shape4, texture_size, unpack

rng = np.random.default_rng(0)


@pytest.mark.parametrize("shape", [(1, 3, 5, 7), (2, 4, 3, 8), (2, 9, 2, 3), (6, 5), (9,), (1, 1, 1, 1)])
def test_every_row_is_in_its_layer_and_padding_is_zero(shape):
    x = rng.standard_normal(shape).astype(np.float32)
    data = pack(x)
    w, h = texture_size(shape)
    n, hh, ww, c = shape4(shape)
    assert data.shape == (ROWS, h, w * 4)
    texels = data.reshape(ROWS, n, h // n, ww, -1)
    for i in range(n):
        for row in range(h // n * ROWS):
            got = texels[row % ROWS, i, row // ROWS]
            want = x.reshape(n, hh, ww, c)[i, row] if row < hh else np.zeros((ww, c))
            np.testing.assert_array_equal(got[:, :c], want)
            assert not got[:, c:].any()


def test_unpack_reads_the_plain_copy():
    x = rng.standard_normal((2, 3, 4, 6)).astype(np.float32)
    plain = np.zeros((2 * 3, 4, 8), np.float32)  # texel (w * C4 + c, n * H + h), padded lanes
    plain[..., :6] = x.reshape(6, 4, 6)
    np.testing.assert_array_equal(unpack(plain.reshape(6, 32), x.shape), x)


def test_row_h_is_layer_h_mod_rows_and_a_texel_holds_four_channels_of_one_pixel():
    x = np.arange(2 * 6 * 4 * 6, dtype=np.float32).reshape(2, 6, 4, 6)  # 6 rows: 2 texel rows an image
    data = pack(x).reshape(ROWS, 2 * 2, 4 * 2, 4)  # layer h % 4, texel row n * 2 + h // 4, texel w * 2 + c // 4
    n, h, w = 1, 5, 3
    np.testing.assert_array_equal(data[h % ROWS, n * 2 + h // ROWS, w * 2 + 1, :2], x[n, h, w, 4:6])
    assert not data[2:, n * 2 + 1].any()  # rows 6 and 7 of image 1: padding


def test_lower_ranks_are_padded_in_front():
    assert shape4((5, 7)) == (1, 1, 5, 7)
    with pytest.raises(ValueError, match="rank 5"):
        shape4((1, 2, 3, 4, 5))


def test_conv_blocks_give_one_input_channel_for_four_outputs():
    w = rng.standard_normal((9, 6, 10)).astype(np.float32)  # taps, in, out
    data = pack_blocks(w).reshape(9 * 3, 2 * 4, 4)  # row t*Out4 + o, texel i*4 + j
    t, o, i, j = 4, 2, 1, 1
    np.testing.assert_array_equal(data[t * 3 + o, i * 4 + j, :2], w[t, 4 * i + j, 4 * o : 4 * o + 2])
    assert not data[t * 3 + o, i * 4 + j, 2:].any()


def test_transposed_blocks_give_one_output_channel_against_four_inputs():
    w = rng.standard_normal((4, 5, 8)).astype(np.float32)  # taps, out (the filter's In), in
    data = pack_blocks(w, transpose=True).reshape(4 * 2, 2 * 4, 4)  # row t*Out4 + o, texel i*4 + j
    t, o, i, j = 3, 1, 1, 0
    np.testing.assert_array_equal(data[t * 2 + o, i * 4 + j], w[t, 4 * o + j, 4 * i : 4 * i + 4])


def test_depthwise_rows_are_taps():
    w = rng.standard_normal((9, 5)).astype(np.float32)
    data = pack_channels(w)
    assert data.shape == (9, 8)
    np.testing.assert_array_equal(data[:, :5], w)
