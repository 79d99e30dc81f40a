"""pyapp.tasks.anchors: SSD feature maps and anchor centres, checked against the model's outputs."""

import numpy as np
import pytest

from pyapp.errors import ModelFormatError
from pyapp.tasks.anchors import Layer, anchor_centres, ssd_layers


def test_blazeface_layers_take_anchors_per_cell_from_the_output_counts():
    layers = ssd_layers((256, 256), (16, 32), (512, 384), "blazeface")
    assert layers == [Layer(16, 16, 16, 2), Layer(32, 8, 8, 6)]
    centres = anchor_centres(layers)
    assert centres.shape == (896, 2)
    np.testing.assert_allclose(centres[:3], [[1 / 32, 1 / 32], [1 / 32, 1 / 32], [3 / 32, 1 / 32]])  # 2 per cell, x first
    np.testing.assert_allclose(centres[32], [1 / 32, 3 / 32])  # second row of the 16x16 map
    np.testing.assert_allclose(centres[512:518], [[1 / 16, 1 / 16]] * 6)  # the 8x8 map, 6 per cell
    np.testing.assert_allclose(centres[-1], [15 / 16, 15 / 16])


def test_non_square_inputs_round_the_grid_up():
    (layer,) = ssd_layers((144, 256), (16,), (9 * 16 * 2,), "m")
    assert (layer.rows, layer.cols, layer.per_cell) == (9, 16, 2)
    assert anchor_centres([layer])[-1].tolist() == pytest.approx([31 / 32, 17 / 18])


def test_counts_that_do_not_fit_the_configuration_are_refused():
    with pytest.raises(ModelFormatError, match="500 anchors does not fill the 16x16 grid of stride 16"):
        ssd_layers((256, 256), (16, 32), (500, 384), "blazeface")
    with pytest.raises(ModelFormatError, match="1 anchor outputs .* for 2 feature-map strides"):
        ssd_layers((256, 256), (16, 32), (896,), "blazeface")
