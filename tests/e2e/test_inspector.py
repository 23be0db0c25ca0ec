"""A second, independent MCP client: the MCP Inspector CLI (Node), installed project-locally."""

import json
import os
import subprocess

from harness import REPO, Backend, host_binary

INSPECTOR = REPO / "node_modules" / "@modelcontextprotocol" / "inspector-cli" / "build" / "index.js"


def inspect(api_url: str, *arguments: str) -> dict:
    """Run the Inspector CLI against the host and return its JSON answer."""
    completed = subprocess.run(
        ["node", str(INSPECTOR), host_binary(), *arguments],
        env={**os.environ, "KTRDR_API_URL": api_url, "RUST_LOG": "warn"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(completed.stdout)


def test_inspector_lists_and_calls_tools() -> None:
    with Backend() as backend:
        listing = inspect(backend.api_url, "--method", "tools/list")
        assert len(listing["tools"]) == 6
        started = inspect(
            backend.api_url,
            "--method", "tools/call",
            "--tool-name", "trigger_data_loading",
            "--tool-arg", "symbol=MSFT", "mode=local",
        )
        assert not started.get("isError"), started
        operation_id = started["structuredContent"]["operation_id"]
        status = inspect(
            backend.api_url,
            "--method", "tools/call",
            "--tool-name", "list_operations",
            "--tool-arg", "limit=5", "operation_type=data_load",
        )
        listed = status["structuredContent"]
        assert listed["total_count"] == 1
        assert listed["operations"][0]["operation_id"] == operation_id
