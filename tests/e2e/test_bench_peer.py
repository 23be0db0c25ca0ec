"""The benchmark's Python peer (bench/peer/ktrdr_peer.py) serves the plan's six tools correctly:
each tool makes its backend request on the real backend and passes the backend's JSON through,
and a backend error is a tool error, so `make bench` compares the host with a working server."""

import json
import sys
import urllib.request
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from harness import REPO, Backend

PEER = REPO / "bench" / "peer" / "ktrdr_peer.py"
SIX_TOOLS = {
    "list_operations",
    "get_operation_status",
    "cancel_operation",
    "get_operation_results",
    "trigger_data_loading",
    "start_training",
}


def backend_json(api_url: str, path: str) -> Any:
    with urllib.request.urlopen(f"{api_url}{path}", timeout=10) as response:
        return json.load(response)


def test_the_peer_passes_the_backend_json_of_its_six_tools_through() -> None:
    async def run() -> None:
        with Backend() as backend:
            peer = StdioServerParameters(
                command=sys.executable, args=[str(PEER)], env={"KTRDR_API_URL": backend.api_url}
            )
            async with Client(peer, mode="legacy") as client:

                async def call(tool: str, **arguments: Any) -> Any:
                    result = await client.call_tool(tool, arguments)
                    assert not result.is_error, f"{tool}: {result.content}"
                    return result.structured_content

                listing = await client.list_tools()
                assert {tool.name for tool in listing.tools} == SIX_TOOLS

                load = await call("trigger_data_loading", symbol="AAPL", timeframe="1h", mode="local")
                load_id = load["data"]["operation_id"]
                assert load_id.startswith("op_data_load_"), load
                with anyio.fail_after(30):
                    while (await call("get_operation_status", operation_id=load_id))["data"]["status"] != "completed":
                        await anyio.sleep(0.05)
                status = await call("get_operation_status", operation_id=load_id)
                assert status == backend_json(backend.api_url, f"/operations/{load_id}")
                results = await call("get_operation_results", operation_id=load_id)
                assert results == backend_json(backend.api_url, f"/operations/{load_id}/results")
                assert results["results"]["fetched_bars"] > 0, results

                training = await call(
                    "start_training", symbols=["AAPL"], timeframes=["1h"], strategy_name="mlp_long"
                )
                training_id = training["task_id"]
                listed = await call("list_operations", active_only=True)
                assert [op["operation_id"] for op in listed["data"]] == [training_id], listed
                cancelled = await call("cancel_operation", operation_id=training_id, reason="benchmark peer test")
                assert cancelled["data"]["status"] == "cancelled", cancelled
                assert cancelled["data"]["cancellation_reason"] == "benchmark peer test", cancelled
                everything = await call("list_operations")
                direct = backend_json(backend.api_url, "/operations?limit=10&offset=0")
                assert everything["total_count"] == direct["total_count"] == 2, everything
                assert [op["operation_id"] for op in everything["data"]] == [training_id, load_id]

                missing = await client.call_tool("get_operation_status", {"operation_id": "op_nope"})
                assert missing.is_error
                assert "HTTP 404: Operation not found: op_nope" in missing.content[0].text

    anyio.run(run)
