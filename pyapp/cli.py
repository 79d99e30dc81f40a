"""`pyapp` command line: serve | setup | inspect | shard | quantize."""

from __future__ import annotations

import argparse
import sys


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .server.app import create_app

    print(f"pyapp: serving on http://{args.host}:{args.port}/", file=sys.stderr, flush=True)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level=args.log_level)
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    from .assets import provision

    print(f"pyapp: assets ready in {provision()}", file=sys.stderr)
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from .inspect import main

    return main(args.argv)


def cmd_shard(args: argparse.Namespace) -> int:
    from .shard import main

    return main(args.argv)


def cmd_quantize(args: argparse.Namespace) -> int:
    from .quantize import main

    return main(args.argv)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="pyapp", description=__doc__)
    parser.add_argument("--version", action="version", version=f"pyapp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the page, the runtime, the wheel and the models")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(run=cmd_serve)

    setup = sub.add_parser("setup", help="fetch and verify the pinned assets (cached, offline after)")
    setup.set_defaults(run=cmd_setup)

    inspect = sub.add_parser("inspect", help="describe a TF.js graph model (see `pyapp inspect -h`)",
                             add_help=False)
    inspect.add_argument("argv", nargs=argparse.REMAINDER)
    inspect.set_defaults(run=cmd_inspect)
    for name, run, what in (("shard", cmd_shard, "re-cut a model's weights into shards with sha256s"),
                            ("quantize", cmd_quantize, "store float32 weights as float16/uint8/uint16")):
        tool = sub.add_parser(name, help=f"{what} (see `pyapp {name} -h`)", add_help=False)
        tool.add_argument("argv", nargs=argparse.REMAINDER)
        tool.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
