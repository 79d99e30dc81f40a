"""FaceEmbedder (mobilefacenet): unit embeddings; a face is closer to its mirror image than to
another person's face or to a crop with no face."""

import numpy as np
import pytest
from PIL import Image

from pyapp.errors import InputError
from pyapp.tasks import FaceEmbedder, cosine_similarity


@pytest.fixture(scope="module")
def embedder(assets_dir):
    return FaceEmbedder.load(assets_dir / "models" / "mobilefacenet" / "model.json")


@pytest.fixture(scope="module")
def crops(assets_dir):
    load = lambda n: np.asarray(Image.open(assets_dir / "images" / f"{n}.png").convert("RGB"))
    astronaut, camera = load("astronaut"), load("camera")
    face = astronaut[74:179, 172:277]  # the boxes FaceDetector gives (test_tasks_face)
    return {"face": face, "mirrored": face[:, ::-1], "other face": camera[126:198, 183:256],
            "no face": astronaut[300:420, 20:140]}  # the flag and the suit's sleeve


def test_embeddings_are_unit_vectors(embedder, crops):
    e = embedder.embed(crops["face"])
    assert e.shape == (192,) and e.dtype == np.float32
    assert np.linalg.norm(e) == pytest.approx(1, abs=1e-6)
    assert cosine_similarity(e, e) == pytest.approx(1)


def test_a_face_is_closest_to_its_mirror_image(embedder, crops):
    e = {name: embedder.embed(crop) for name, crop in crops.items()}
    mirrored = cosine_similarity(e["face"], e["mirrored"])
    assert mirrored > cosine_similarity(e["face"], e["other face"])
    assert mirrored > cosine_similarity(e["face"], e["no face"])


def test_embeddings_of_different_sizes_are_refused():
    with pytest.raises(InputError, match="embeddings of 3 and 2 values"):
        cosine_similarity(np.ones(3), np.ones(2))
