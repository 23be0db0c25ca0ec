"""The component in Wassette (`make test-wassette`), as docs/runtimes.md tells a user to run it:
loaded from its file, granted the backend and its two settings by the shipped policy
(docs/wassette-policy.yaml), its tools invoked through Wassette's CLI. Also what Wassette wants
from a caller: every argument present (null for none), enum cases by their WIT names, `json`
arguments as text. Skipped unless `WASSETTE_BIN` names a wassette binary.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from harness import REPO, Backend

WASSETTE = os.environ.get("WASSETTE_BIN")
COMPONENT = REPO / "target" / "wasm32-wasip2" / "component" / "ktrdr_tools.wasm"
POLICY = REPO / "docs" / "wassette-policy.yaml"
NO_FILTERS = {"operation-type": None, "status": None, "active-only": None, "limit": 5, "offset": None}

pytestmark = pytest.mark.skipif(not WASSETTE, reason="WASSETTE_BIN is unset: `make test-wassette` runs this")


class Wassette:
    """The wassette CLI with its own data, config and cache directories."""

    def __init__(self, home: Path, api_url: str) -> None:
        self.components = home / "data" / "wassette" / "components"
        self.env = {
            **os.environ,
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "KTRDR_API_URL": api_url,
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert WASSETTE is not None
        return subprocess.run([WASSETTE, *args], env=self.env, capture_output=True, text=True, timeout=120)

    def invoke(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """The `{"ok": ...}` or `{"err": ...}` a tool call returns."""
        done = self.run("tool", "invoke", tool, "--args", json.dumps(arguments))
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def refused(self, tool: str, arguments: dict[str, Any]) -> str:
        """Wassette's message for arguments it does not pass to the component."""
        done = self.run("tool", "invoke", tool, "--args", json.dumps(arguments))
        assert done.returncode != 0, done.stdout
        return done.stderr


def test_the_tools_in_wassette_with_the_shipped_policy(tmp_path: Path) -> None:
    with Backend() as backend:
        wassette = Wassette(tmp_path, backend.api_url)
        loaded = wassette.run("component", "load", f"file://{COMPONENT}")
        assert loaded.returncode == 0, loaded.stderr

        # No policy yet: no environment (so the default URL) and no network.
        assert wassette.invoke("tools_list-operations", NO_FILTERS)["err"]["code"] == "blocked"

        policy = POLICY.read_text().replace("127.0.0.1:8000", f"127.0.0.1:{backend.port}")
        (wassette.components / "ktrdr_tools.policy.yaml").write_text(policy)
        assert wassette.invoke("tools_list-operations", NO_FILTERS)["ok"]["total-count"] == 0
        error = wassette.invoke("tools_get-operation-status", {"operation-id": "op_unknown"})["err"]
        assert (error["code"], error["status-code"]) == ("not-found", 404)

        market = {"symbol": "AAPL", "start-date": None, "end-date": None, "trading-hours-only": None, "limit": 2}
        assert len(wassette.invoke("tools_get-market-data", {**market, "timeframe": "day1"})["ok"]["bars"]) == 2
        assert "invalid enum value: 1d" in wassette.refused("tools_get-market-data", {**market, "timeframe": "1d"})
        assert "missing field" in wassette.refused("tools_list-operations", {"limit": 5})

        training = {"strategy-config-path": "mlp_basic", "symbols": ["AAPL"], "timeframes": None,
                    "start-date": None, "end-date": None}
        as_object = {**training, "training-config": {"detailed_analytics": False}}
        assert "expected object shape for string" in wassette.refused("tools_start-training", as_object)
        as_text = {**training, "training-config": json.dumps({"detailed_analytics": False})}
        assert wassette.invoke("tools_start-training", as_text)["ok"]["strategy-name"] == "mlp_basic"
