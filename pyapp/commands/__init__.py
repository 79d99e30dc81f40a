"""The `pyapp NAME ...` commands with their own argument parsers, one module each (main(argv) -> exit
code): inspect, profile, shard, quantize. pyapp/cli.py dispatches to them; the analyser page reuses
what they compute (the model card, the profile)."""
