"""The TF.js graph-model format: model.json, its weights manifest, and the weight shards."""

from pyapp.model.fetch import Fetcher, FileFetcher, UrlFetcher
from pyapp.model.load import load_model_spec, model_weights
from pyapp.model.parse import parse_model_json
from pyapp.model.spec import ModelSpec, NodeDef, TensorSpec, WeightGroup, WeightSpec
from pyapp.model.weights import check_weights_referenced, decode_weights

__all__ = [
    "Fetcher",
    "FileFetcher",
    "UrlFetcher",
    "ModelSpec",
    "NodeDef",
    "TensorSpec",
    "WeightGroup",
    "WeightSpec",
    "check_weights_referenced",
    "decode_weights",
    "load_model_spec",
    "model_weights",
    "parse_model_json",
]
