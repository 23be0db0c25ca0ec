"""A second, independent MCP client: the MCP Inspector CLI (Node), installed project-locally.

Its TypeScript SDK client validates every result against the tool's `outputSchema`: successes
must carry conforming `structuredContent`, and any `structuredContent` an error carries must
conform too. Each error code the tools report is read through it once.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from typing import Any

import jsonschema
import pytest

import faultserver as fs
from faultserver import FaultServer
from harness import REPO, Backend, free_port, host_binary

INSPECTOR = REPO / "node_modules" / "@modelcontextprotocol" / "inspector-cli" / "build" / "index.js"


def inspect(api_url: str, *arguments: str) -> dict[str, Any]:
    """Run the Inspector CLI against the host, require exit status 0, and return its JSON answer."""
    completed = subprocess.run(
        ["node", str(INSPECTOR), host_binary(), *arguments],
        env={**os.environ, "KTRDR_API_URL": api_url, "RUST_LOG": "warn"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, (arguments, completed.stdout, completed.stderr)
    return json.loads(completed.stdout)


def call(api_url: str, tool: str, *tool_arguments: str) -> dict[str, Any]:
    """`tools/call` of `tool` with `name=value` arguments through the Inspector."""
    arguments = ["--tool-arg", *tool_arguments] if tool_arguments else []
    return inspect(api_url, "--method", "tools/call", "--tool-name", tool, *arguments)


def output_schemas(api_url: str) -> dict[str, Any]:
    """The tools' `outputSchema`s, by name, as the Inspector lists them."""
    listing = inspect(api_url, "--method", "tools/list")
    return {tool["name"]: tool.get("outputSchema") for tool in listing["tools"]}


def success(schemas: dict[str, Any], tool: str, result: dict[str, Any]) -> dict[str, Any]:
    """The structured content of a successful result, checked against the tool's outputSchema."""
    assert not result.get("isError"), result
    jsonschema.validate(result["structuredContent"], schemas[tool])
    return result["structuredContent"]


def error(result: dict[str, Any], code: str) -> dict[str, Any]:
    """The error object of an error result with `code`: its text is a line an agent or a person
    reads (`code (HTTP n): message`), then the object as JSON; it has no structured content."""
    assert result.get("isError") is True, result
    assert "structuredContent" not in result, result
    text = result["content"][0]["text"]
    line, _, rest = text.partition("\n")
    found = json.loads(rest)
    assert set(found) == {"status_code", "code", "message", "details"}, text
    assert found["code"] == code, text
    assert line.startswith(f"{code}"), text
    assert found["message"].split()[0] in line, text
    return found


def test_inspector_lists_and_calls_tools() -> None:
    with Backend() as backend:
        schemas = output_schemas(backend.api_url)
        assert len(schemas) >= 6
        started = success(
            schemas,
            "trigger_data_loading",
            call(backend.api_url, "trigger_data_loading", "symbol=MSFT", "mode=local"),
        )
        operation_id = started["operation_id"]
        listed = success(
            schemas,
            "list_operations",
            call(backend.api_url, "list_operations", "limit=5", "operation_type=data_load"),
        )
        assert listed["total_count"] == 1
        assert listed["operations"][0]["operation_id"] == operation_id


def wait_until_final(api_url: str, operation_id: str) -> None:
    """Poll the backend directly until the operation is completed, failed or cancelled."""
    deadline = time.monotonic() + 60
    while True:
        with urllib.request.urlopen(f"{api_url}/operations/{operation_id}", timeout=10) as response:
            status = json.load(response)["data"]["status"]
        if status in ("completed", "failed", "cancelled"):
            return
        assert time.monotonic() < deadline, f"{operation_id} is still {status}"
        time.sleep(0.1)


def test_errors_of_the_reference_backend_read_through_the_inspector() -> None:
    with Backend() as backend:
        url = backend.api_url
        blank = error(call(url, "trigger_data_loading", "symbol=   "), "invalid_argument")
        assert "symbol" in blank["message"], blank
        out_of_range = error(call(url, "list_operations", "limit=0"), "invalid_argument")
        assert out_of_range["details"]["argument"] == "limit", out_of_range
        missing = error(call(url, "get_operation_status", "operation_id=op_missing"), "not_found")
        assert missing["status_code"] == 404, missing
        assert "list_operations" in missing["message"], missing

        started = call(url, "trigger_data_loading", "symbol=AAPL", "mode=local")
        operation_id = started["structuredContent"]["operation_id"]
        wait_until_final(url, operation_id)
        finished = error(call(url, "cancel_operation", f"operation_id={operation_id}"), "rejected")
        assert finished["status_code"] == 400, finished


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (422, {"detail": [{"loc": ["query", "limit"], "msg": "backend refuses", "type": "value_error"}]},
         "validation_failed"),
        (500, {"detail": "Internal Server Error"}, "backend_error"),
    ],
)
def test_backend_failures_read_through_the_inspector(status: int, body: dict[str, Any], code: str) -> None:
    with FaultServer(fs.answer(status, body)) as server:
        found = error(call(server.api_url, "list_operations"), code)
        assert found["status_code"] == status, found


def test_a_backend_that_is_down_reads_through_the_inspector() -> None:
    found = error(call(f"http://127.0.0.1:{free_port()}/api/v1", "list_operations"), "unavailable")
    assert found["status_code"] == 0, found
