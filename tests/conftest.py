import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def assets_dir() -> Path:
    """The provisioned asset cache (`make test` fills it; see pyapp/assets.py)."""
    path = Path(os.environ.get("PYAPP_ASSETS") or REPO / ".assets")
    if not (path / "stamps").is_dir():
        pytest.fail(f"no assets in {path}: run `make test` (or `.venv/bin/pyapp setup`) first")
    return path
