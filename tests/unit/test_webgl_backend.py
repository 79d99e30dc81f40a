"""The webgl backend outside a browser: it imports, and says plainly that it needs one."""

import pytest

from pyapp import load_graph_model
from pyapp.errors import PyappError


def test_webgl_in_cpython_asks_for_a_browser(assets_dir):
    with pytest.raises(PyappError, match=r"runs in the browser's worker: pass gl=\.\.\. and host=\.\.\. there .*, or use backend='cpu'"):
        load_graph_model(assets_dir / "models" / "emotion" / "model.json", backend="webgl")
