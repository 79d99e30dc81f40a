"""pyapp.effects in numpy: options, the edge ramp, temporal smoothing, the blur, the four effects."""

import numpy as np
import pytest

from pyapp.effects import Options, model_input, probability
from pyapp.effects.blur import reduced_size, taps
from pyapp.effects.cpu import Smoother, blur, composite, edge_alpha
from pyapp.errors import InputError

RNG = np.random.default_rng(3)


def frame(h=48, w=64):
    return RNG.integers(0, 256, (h, w, 4), dtype=np.uint8)


def test_options_defaults_are_valid_and_changes_are_checked():
    Options().check()
    assert Options().changed(effect="mask", threshold=0.3).effect == "mask"
    for bad, word in [({"effect": "sepia"}, "effect"), ({"threshold": 1.5}, "threshold"),
                      ({"smoothing": 1.0}, "smoothing"), ({"colour": "red"}, "colour"),
                      ({"model": "posenet"}, "model"), ({"resolution": "8k"}, "resolution"), ({"zoom": 2}, "zoom")]:
        with pytest.raises(InputError, match=word):
            Options().changed(**bad)


def test_edge_alpha_is_a_smooth_ramp_centred_on_the_threshold():
    p = np.linspace(0, 1, 101, dtype=np.float32)
    a = edge_alpha(p, 0.4, 0.2)
    assert a[40] == pytest.approx(0.5)
    assert (a[:30] == 0).all() and (a[51:] == 1).all()
    assert (np.diff(a) >= 0).all() and 0 < a[35] < 0.5 < a[45] < 1
    hard = edge_alpha(p, 0.4, 0.0)
    assert ((hard > 0.5) == (p > 0.4)).all()


def test_smoother_is_an_ema_restarted_by_a_new_size_or_weight_zero():
    s = Smoother()
    a, b = np.zeros((4, 4), np.float32), np.ones((4, 4), np.float32)
    assert (s(a, 0.75) == 0).all()
    np.testing.assert_allclose(s(b, 0.75), 0.25)
    np.testing.assert_allclose(s(b, 0.75), 0.75 * 0.25 + 0.25)
    np.testing.assert_allclose(s(a, 0.0), 0)
    assert s(np.ones((2, 2), np.float32), 0.9).shape == (2, 2) and (s.state == 1).all()


def test_blur_taps_sum_to_one_and_spread_for_wide_blurs():
    for strength in (0.0, 0.2, 1.0):
        w, step = taps(strength, 480, 640)
        assert w[0] + 2 * w[1:].sum() == pytest.approx(1, abs=1e-6)
        assert len(w) <= 8 and step >= 1
    assert taps(1.0, 720, 1280)[1] > taps(0.2, 720, 1280)[1]
    assert reduced_size(480, 640) == (120, 160)


def test_blur_keeps_flat_images_and_smooths_noise():
    flat = np.full((40, 60, 4), 77, np.uint8)
    np.testing.assert_allclose(blur(flat, 0.7), 77, atol=1e-3)
    noise = frame(96, 128)
    out = blur(noise, 1.0)
    assert out.shape == (96, 128, 3)
    assert out.std() < 0.3 * noise[..., :3].std()
    assert abs(out.mean() - noise[..., :3].mean()) < 4


def test_effects_on_a_known_mask():
    img = frame()
    person = np.zeros((16, 16), np.float32)
    person[:, 8:] = 1.0  # right half is the person
    opts = Options(flip=False, softness=0.0)
    mask = composite(img, person, opts.changed(effect="mask"))
    assert (mask[:, -20:, :3] == 255).all() and (mask[:, :20, :3] == 0).all() and (mask[..., 3] == 255).all()
    bg = np.full((48, 64, 4), 9, np.uint8)
    rep = composite(img, person, opts.changed(effect="replace"), bg)
    assert (rep[:, -20:, :3] == img[:, -20:, :3]).all() and (rep[:, :20, :3] == 9).all()
    over = composite(img, person, opts.changed(effect="overlay", colour="#ff0000", opacity=1.0))
    assert (over[:, -20:, :3] == [255, 0, 0]).all() and (over[:, :20, :3] == img[:, :20, :3]).all()
    none = composite(img, person, opts.changed(effect="overlay", opacity=0.0))
    assert (none[..., :3] == img[..., :3]).all()
    flipped = composite(img, person, Options(flip=True, softness=0.0, effect="mask"))
    assert (flipped == mask[:, ::-1]).all()


def test_blur_effect_keeps_the_person_sharp():
    img = frame()
    person = np.zeros((16, 16), np.float32)
    person[:, 8:] = 1.0
    out = composite(img, person, Options(flip=False, softness=0.0, effect="blur", blur=1.0))
    assert (out[:, -20:, :3] == img[:, -20:, :3]).all()
    assert out[:, :20, :3].std() < 0.5 * img[:, :20, :3].std()


def test_probability_per_model():
    y = RNG.normal(size=(1, 4, 5, 2)).astype(np.float32) * 5
    soft = np.exp(y) / np.exp(y).sum(-1, keepdims=True)
    np.testing.assert_allclose(probability("meet", y), soft[0, ..., 1], rtol=1e-5)
    s = RNG.random((1, 4, 5, 1)).astype(np.float32)
    np.testing.assert_array_equal(probability("selfie", s), s[0, ..., 0])
    assert probability("meet", np.array([[[[-500.0, 500.0]]]], np.float32))[0, 0] == 1.0


def test_model_input_is_stretched_to_the_model_size_in_unit_range():
    x = model_input("meet", frame(480, 640))
    assert x.shape == (1, 144, 256, 3) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() <= 1


def test_both_models_find_the_person_in_a_real_photo(assets_dir):
    from PIL import Image

    import pyapp

    photo = np.asarray(Image.open(assets_dir / "images" / "astronaut.png").convert("RGB"))  # 512 x 512
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    for name in ("selfie", "meet"):
        model = pyapp.load_graph_model(str(assets_dir / "models" / name / "model.json"))
        prob = probability(name, model.predict(model_input(name, photo)))
        person = composite(rgba, prob, Options(effect="mask", flip=False))[..., 0] > 127
        assert person[60:140, 170:270].mean() > 0.95 and person[300:360, 180:330].mean() > 0.9, name  # face, chest
        assert person[:100, :100].mean() < 0.02 and person[:100, -100:].mean() < 0.02, name  # flag, shuttle
