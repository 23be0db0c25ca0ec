"""A backend restart in the middle of a session: calls fail clearly while the backend is down and
succeed again once it is back on the same port, all through the same host process."""

import anyio

from harness import Backend, host_pid
from workflows import ToolSession


def test_calls_fail_clearly_while_the_backend_is_down_and_recover_after() -> None:
    async def run() -> None:
        with Backend() as first:
            port = first.port
            async with ToolSession.open(first.api_url, "legacy") as session:
                pid = host_pid()
                started = await session.call("trigger_data_loading", symbol="AAPL", timeframe="1d")
                await session.call("get_operation_status", operation_id=started["operation_id"])

                first.__exit__(None, None, None)  # stopped mid-session (stopping again at the end is a no-op)
                for tool, arguments in [
                    ("list_operations", {}),
                    ("get_operation_status", {"operation_id": started["operation_id"]}),
                    ("trigger_data_loading", {"symbol": "MSFT"}),
                ]:
                    with anyio.fail_after(30):
                        error = await session.call_error(tool, **arguments)
                    assert error["code"] == "unavailable", error
                    assert str(port) in error["message"] and "unreachable" in error["message"], error

                with Backend(port=port) as second:
                    assert second.port == port
                    listing = await session.call("list_operations")
                    assert listing["total_count"] == 0, "a fresh backend has no operations"
                    again = await session.call("trigger_data_loading", symbol="AAPL", timeframe="1d")
                    await session.wait_for(again["operation_id"], lambda s: s["status"] == "completed", "completion")
                    assert host_pid() == pid, "the host was restarted"

    anyio.run(run)
