"""The WebGL plan of a model and every shader it compiles, as text, without a browser:

    python -m pyapp.backends.webgl.dump .assets/models/selfie/model.json [--input NAME=1,256,256,3]

First the steps in run order (draws with their output texture, inputs and uniforms; uploads, reads
and numpy steps), then each distinct fragment shader once, with the passes that use it."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ...graph import build_graph, optimize
from ...model import load_model_spec
from . import PASSES, make_plan
from .plan import Compute, Draw, Read, Upload, WebGLPlan


def step_line(step) -> str:
    if isinstance(step, Draw):
        uniforms = " ".join(f"{name}={','.join(map(str, v))}" for name, v in step.ints)
        uniforms += "".join(f" {name}={v:g}" for name, v in step.floats)
        reads = ",".join(f"t{t}" for t in step.inputs)
        return f"draw {step.name} -> t{step.output} {step.size[0]}x{step.size[1]} reads {reads} {uniforms}"
    if isinstance(step, Upload):
        return f"upload {step.ref[0]}:{step.ref[1]} {step.shape} -> t{step.texture}"
    if isinstance(step, Read):
        return f"read t{step.texture} -> {step.ref[0]}:{step.ref[1]} {step.shape}"
    assert isinstance(step, Compute)
    return f"numpy {step.node.op} {step.node.name}"


def dump(plan: WebGLPlan) -> str:
    programs: dict[str, list[str]] = {}
    for draw in plan.draws:
        programs.setdefault(draw.source, []).append(draw.name)
    lines = [f"# {len(plan.draws)} passes, {len(programs)} programs, {len(plan.sizes)} textures; "
             f"{plan.gpu_nodes} nodes on the GPU, {plan.cpu_nodes} in numpy", "", "## steps"]
    lines += [f"{i:4d} {step_line(step)}" for i, step in enumerate(plan.steps)]
    for i, (source, users) in enumerate(programs.items()):
        shown = ", ".join(users[:4]) + (f" and {len(users) - 4} more" if len(users) > 4 else "")
        lines += ["", f"## program {i}: {len(users)} passes ({shown})", source.rstrip("\n")]
    return "\n".join(lines) + "\n"


def shape_arg(text: str) -> tuple[str, tuple[int, ...]]:
    name, sep, dims = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return name, tuple(int(d) for d in dims.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=D0,D1,..., got {text!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pyapp.backends.webgl.dump", description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="model.json (a path or URL)")
    parser.add_argument("--input", type=shape_arg, action="append", default=[], metavar="NAME=D0,D1,...",
                        help="an input's shape (default: the model's, unknown sizes taken as 1)")
    args = parser.parse_args(argv)
    spec, weights = load_model_spec(args.model)
    plan = make_plan(optimize(build_graph(spec, weights), PASSES), dict(args.input) or None)
    sys.stdout.write(dump(plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
