"""The demo's options: one dataclass, checked as a whole whenever the page changes any of them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from ..errors import InputError

EFFECTS = ("blur", "replace", "overlay", "mask")
BACKENDS = ("auto", "webgl", "wasm", "cpu")
# The segmentation models have fixed input sizes (their pooling windows are fixed), so the internal
# resolution scales the processed frame: what is composited, blurred and shown.
RESOLUTIONS = {"low": 0.25, "medium": 0.5, "high": 0.75, "full": 1.0}
UNIT = ("blur", "opacity", "threshold", "softness")  # each in [0, 1]
MAX_SMOOTHING = 0.95  # weight of the previous mask; 1 would freeze it


@dataclass(frozen=True)
class Options:
    model: str = "selfie"
    backend: str = "auto"
    effect: str = "blur"
    blur: float = 0.5  # strength: 1 is a gaussian sigma of 3% of the frame's longer side
    colour: str = "#00c8ff"
    opacity: float = 0.6
    threshold: float = 0.5
    softness: float = 0.15  # width of the edge ramp around the threshold, in probability
    smoothing: float = 0.0  # temporal EMA: weight of the previous frame's mask
    flip: bool = True
    resolution: str = "medium"

    def changed(self, **changes) -> Options:
        """A copy with `changes` applied; InputError names the first bad option."""
        known = {f.name for f in fields(self)}
        if unknown := sorted(set(changes) - known):
            raise InputError(f"unknown option {', '.join(unknown)} (options: {', '.join(sorted(known))})")
        new = replace(self, **changes)
        new.check()
        return new

    def check(self) -> None:
        from .segment import SEGMENTERS

        for name, allowed in (("model", SEGMENTERS), ("backend", BACKENDS), ("effect", EFFECTS),
                              ("resolution", RESOLUTIONS)):
            if getattr(self, name) not in allowed:
                raise InputError(f"option {name}={getattr(self, name)!r}: choose one of {', '.join(allowed)}")
        for name in UNIT:
            if not 0.0 <= float(getattr(self, name)) <= 1.0:
                raise InputError(f"option {name}={getattr(self, name)!r}: must be within [0, 1]")
        if not 0.0 <= float(self.smoothing) <= MAX_SMOOTHING:
            raise InputError(f"option smoothing={self.smoothing!r}: must be within [0, {MAX_SMOOTHING}]")
        rgb(self.colour)

    def as_dict(self) -> dict:
        return asdict(self)


def rgb(colour: str) -> tuple[float, float, float]:
    """'#rrggbb' -> (r, g, b) in [0, 1]."""
    if not (isinstance(colour, str) and len(colour) == 7 and colour[0] == "#"):
        raise InputError(f"option colour={colour!r}: expected '#rrggbb'")
    try:
        return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    except ValueError:
        raise InputError(f"option colour={colour!r}: expected '#rrggbb'") from None
