"""`pyapp` command line: serve | setup | inspect | profile | shard | quantize.

The benchmarks are not in the package: `python -m bench` in the repository (`make bench`)."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

# Tools with their own argument parsers: `pyapp NAME ARGS...` runs MODULE.main(ARGS).
TOOLS = {
    "inspect": ("pyapp.commands.inspect", "the model card of a TF.js graph model (--json for all of it)"),
    "profile": ("pyapp.commands.profile", "time a model's run per op and per node"),
    "shard": ("pyapp.commands.shard", "re-cut a model's weights into shards with sha256s"),
    "quantize": ("pyapp.commands.quantize", "store float32 weights as float16/uint8/uint16"),
}


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .errors import PyappError
    from .server.app import create_app

    try:
        app = create_app(model_dirs=args.models)
    except PyappError as e:
        print(f"pyapp serve: {e}", file=sys.stderr)
        return 1
    print(f"pyapp: serving on http://{args.host}:{args.port}/", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    from .assets import provision

    print(f"pyapp: assets ready in {provision(wheel=args.wheel)}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="pyapp", description=__doc__)
    parser.add_argument("--version", action="version", version=f"pyapp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the page, the runtime, the wheel and the models")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--models", action="append", default=[], metavar="DIR",
                       help="also serve your own model folder(s) (DIR/model.json or DIR/*/model.json), "
                            "from where they are; repeatable")
    serve.set_defaults(run=cmd_serve)

    setup = sub.add_parser("setup", help="fetch and verify the pinned assets (cached, offline after)")
    setup.add_argument("--wheel", type=Path, help="the pyapp wheel to compile and compress for serving")
    setup.set_defaults(run=cmd_setup)

    for name, (_, what) in TOOLS.items():  # listed for --help; main() hands them their arguments
        sub.add_parser(name, help=f"{what} (see `pyapp {name} -h`)", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and argv[0] in TOOLS:
            return importlib.import_module(TOOLS[argv[0]][0]).main(argv[1:])
        args = build_parser().parse_args(argv)
        return args.run(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
