"""Vision tasks: results, not tensors. One shape for all:

    task = pyapp.tasks.FaceDetector.load("models/blazeface/model.json", backend="auto")
    faces = task.detect(image)          # image: (H, W, 3|4) uint8, or float in [0, 1]

Preprocessing (input size, resize mode stretch/letterbox/crop, value range) comes from the model's
entry in config.CONFIGS, overridable by keyword (resize="stretch"); results are in the image's pixels.
"""

from .classifier import Category, ImageClassifier
from .config import CONFIGS
from .embedder import FaceEmbedder, cosine_similarity
from .face import Detection, FaceDetector
from .pose import Keypoint, Pose, PoseDetector
from .segmenter import ImageSegmenter, Segmentation

TASKS = {cls.kind: cls for cls in (FaceDetector, PoseDetector, ImageSegmenter, ImageClassifier, FaceEmbedder)}

__all__ = ["CONFIGS", "Category", "Detection", "FaceDetector", "FaceEmbedder", "ImageClassifier", "ImageSegmenter",
           "Keypoint", "Pose", "PoseDetector", "Segmentation", "TASKS", "cosine_similarity"]
