"""Every error pyapp raises on purpose derives from PyappError, so callers (and the page) can tell
a bad model or input from a bug."""


class PyappError(Exception):
    """Base class of pyapp's own errors."""


class ModelFormatError(PyappError):
    """model.json is malformed, misses a field, or names something unknown (dtype, op, weight)."""


class WeightsError(PyappError):
    """A weight shard is missing, has the wrong size or hash, or a weight cannot be decoded."""


class UnsupportedOpsError(ModelFormatError):
    """The graph uses ops pyapp has no kernel for; all of them are listed at once."""


class TooLargeError(PyappError):
    """A tensor the model declares or would compute is over the size limit (pyapp.model.limits)."""


class InputError(PyappError):
    """predict() got an input of the wrong name, shape or dtype."""


class AssetError(PyappError):
    """A pinned download is missing, unreachable or fails its checksum."""
