"""The tool surface as an MCP client sees it: names, schemas, annotations, and errors an agent can act on."""

from typing import Any

import anyio
import jsonschema
import pytest
from mcp.shared.exceptions import MCPError

from harness import Backend, free_port
from workflows import ToolSession

TOOLS = {
    "list_operations": {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True},
    "get_operation_status": {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True},
    "get_operation_results": {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True},
    "cancel_operation": {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": True},
    "trigger_data_loading": {"readOnlyHint": False, "openWorldHint": True},
    "start_training": {"readOnlyHint": False, "openWorldHint": True},
    "get_market_data": {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True},
}

TIMEFRAMES = ["1m", "5m", "15m", "30m", "1h", "2h", "4h", "1d", "1w", "1M"]
"""KTRDR's spellings of bar sizes, the ones its users and the plan write."""


def with_session(test: Any) -> None:
    """Run `test(session)` against a fresh backend through the host."""

    async def run() -> None:
        with Backend() as backend:
            async with ToolSession.open(backend.api_url, "legacy") as session:
                await test(session)

    anyio.run(run)


def test_the_seven_tools_have_valid_schemas_and_hints() -> None:
    async def check(session: ToolSession) -> None:
        assert set(session.tools) == set(TOOLS)
        for name, hints in TOOLS.items():
            tool = session.tools[name]
            assert tool.description and len(tool.description) > 40, name
            for schema in (tool.input_schema, tool.output_schema):
                jsonschema.Draft202012Validator.check_schema(schema)
                assert schema["type"] == "object", name
            for prop, spec in tool.input_schema["properties"].items():
                assert spec.get("description"), f"{name}.{prop} has no description"
            annotations = tool.annotations.model_dump(by_alias=True, exclude_none=True)
            for hint, value in hints.items():
                assert annotations.get(hint) == value, f"{name}: {hint} is {annotations.get(hint)}"
        listing = session.tools["list_operations"].input_schema
        assert listing.get("required", []) == []
        assert listing["properties"]["limit"]["default"] == 10
        assert listing["properties"]["limit"]["minimum"] == 1
        assert listing["properties"]["limit"]["maximum"] == 1000
        assert "data_load" in listing["properties"]["operation_type"]["enum"]
        loading = session.tools["trigger_data_loading"].input_schema
        assert loading["required"] == ["symbol"]
        assert set(loading["properties"]["mode"]["enum"]) == {"local", "tail", "backfill", "full"}
        assert loading["properties"]["mode"]["default"] == "tail"
        assert loading["properties"]["timeframe"]["enum"] == TIMEFRAMES
        assert loading["properties"]["timeframe"]["default"] == "1h"
        training = session.tools["start_training"].input_schema
        assert training["properties"]["timeframes"]["items"]["enum"] == TIMEFRAMES
        assert training["properties"]["timeframes"]["default"] == ["1h"]
        bars = session.tools["get_market_data"].input_schema
        assert bars["properties"]["limit"]["default"] == 50
        assert bars["properties"]["timeframe"]["default"] == "1h"

    with_session(check)


def test_a_timeframe_read_from_a_result_can_be_passed_back() -> None:
    async def check(session: ToolSession) -> None:
        started = await session.call("start_training", strategy_config_path="mlp_basic", symbols=["AAPL"], timeframes=["1d"])
        assert started["timeframes"] == ["1d"]
        data = await session.call("get_market_data", symbol="AAPL", timeframe=started["timeframes"][0], limit=3)
        assert data["timeframe"] == "1d" and len(data["bars"]) == 3
        load = await session.call("trigger_data_loading", symbol="AAPL", timeframe=data["timeframe"], mode="local")
        assert load["timeframe"] == "1d"
        refused = await session.call_error("get_market_data", symbol="AAPL", timeframe="day1")
        assert refused["code"] == "invalid_argument" and "1d" in refused["message"], refused

    with_session(check)


BAD_CALLS = [
    ("list_operations", {"limit": "ten"}, "limit"),
    ("list_operations", {"limit": 0}, "limit"),
    ("list_operations", {"status": "finished"}, "status"),
    ("list_operations", {"colour": "red"}, "colour"),
    ("get_operation_status", {}, "operation_id"),
    ("get_operation_status", {"operation_id": 42}, "operation_id"),
    ("get_operation_status", {"operation_id": "  "}, "operation_id"),
    ("trigger_data_loading", {"symbol": "AAPL", "mode": "ib"}, "mode"),
    ("trigger_data_loading", {"symbol": "AAPL", "start_date": "yesterday"}, "start_date"),
    ("trigger_data_loading", {"symbol": "AAPL", "timeframe": "hour1"}, "timeframe"),
    ("get_market_data", {"symbol": "AAPL", "limit": 0}, "limit"),
    ("get_market_data", {"symbol": " "}, "symbol"),
    ("list_operations", {"status": "unknown"}, "status"),
    ("start_training", {"strategy_config_path": "../etc/passwd", "symbols": ["AAPL"]}, "strategy"),
    ("start_training", {"strategy_config_path": "mlp_basic", "symbols": []}, "symbols"),
    ("start_training", {"strategy_config_path": "mlp_basic", "symbols": ["AAPL"], "training_config": {"epochs": 3}}, "epochs"),
]


@pytest.mark.parametrize(("tool", "arguments", "named"), BAD_CALLS)
def test_bad_arguments_get_an_error_naming_them(tool: str, arguments: dict[str, Any], named: str) -> None:
    async def check(session: ToolSession) -> None:
        error = await session.call_error(tool, **arguments)
        assert error["code"] == "invalid_argument", error
        assert error["status_code"] == 0, error
        assert named in error["message"], error
        # The server is still up and serving.
        await session.call("list_operations")

    with_session(check)


def test_ids_cannot_change_the_request_path() -> None:
    async def check(session: ToolSession) -> None:
        for hostile in ("../health", "a/b?x=1", "op#frag", "%2e%2e", "../../operations"):
            error = await session.call_error("get_operation_status", operation_id=hostile)
            assert error["code"] == "not_found", (hostile, error)
            assert error["status_code"] == 404, (hostile, error)

    with_session(check)


def test_unknown_tool_is_a_clear_error() -> None:
    async def check(session: ToolSession) -> None:
        try:
            result = await session.client.call_tool("drop_database", {})
        except MCPError as error:
            assert "drop_database" in str(error)
        else:
            assert result.is_error and "drop_database" in result.content[0].text
        await session.call("list_operations")

    with_session(check)


def test_a_backend_that_is_down_gets_a_clear_error() -> None:
    closed_port = free_port()

    async def run() -> None:
        async with ToolSession.open(f"http://127.0.0.1:{closed_port}/api/v1", "legacy") as session:
            for _ in range(2):
                error = await session.call_error("list_operations")
                assert error["code"] == "unavailable", error
                assert error["status_code"] == 0, error
                assert "KTRDR_API_URL" in error["message"] or str(closed_port) in error["message"], error

    anyio.run(run)
