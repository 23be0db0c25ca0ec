"""The Python MCP server `make bench` measures ktrdr-mcp against.

The six tools of the implementation plan, built the way the plan builds them: the official MCP
Python SDK's decorator server over stdio, each tool one backend request through one pooled
`httpx.AsyncClient`, the backend's JSON passed through as the tool result. The endpoints are
the backend's real ones (cancel is `DELETE /operations/{id}`, training takes `timeframes` and
`strategy_name`); a non-2xx answer or a failed request is a tool error, as in KTRDR's own
Python server.

Configuration, as KTRDR's Python server reads it: `KTRDR_API_URL` (with the API prefix,
default `http://localhost:8000/api/v1`) and `API_TIMEOUT` (seconds, default 30).

With `--http HOST:PORT` the same server serves MCP Streamable HTTP at `/mcp` instead of stdio
(the SDK's Starlette app under uvicorn, both SDK dependencies): the 2026-07-28 stateless era and
2025-11-25 sessions. Port 0 picks a free port; either way the server prints
`serving MCP on http://HOST:PORT/mcp` on stderr once it listens, as `ktrdr-mcp --http` logs it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

API_URL = os.environ.get("KTRDR_API_URL", "http://localhost:8000/api/v1").rstrip("/")
API_TIMEOUT = float(os.environ.get("API_TIMEOUT", "30"))

_client: httpx.AsyncClient | None = None


@asynccontextmanager
async def _pooled_client(_server: MCPServer) -> AsyncIterator[None]:
    """One keep-alive connection pool for the server's lifetime."""
    global _client
    async with httpx.AsyncClient(
        base_url=API_URL,
        timeout=API_TIMEOUT,
        headers={"Content-Type": "application/json"},
    ) as client:
        _client = client
        yield
        _client = None


server = MCPServer("KTRDR-Trading-Research", lifespan=_pooled_client)


async def _request(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """One backend request; its JSON body, or a tool error saying what failed."""
    assert _client is not None, "the client lives as long as the server"
    try:
        response = await _client.request(method, path, **kwargs)
    except httpx.RequestError as error:
        raise ToolError(f"Request failed: {error}") from error
    if response.is_error:
        try:
            detail = response.json().get("detail", "Unknown error")
        except (ValueError, AttributeError):
            detail = response.text
        raise ToolError(f"HTTP {response.status_code}: {detail}")
    return response.json()


@server.tool()
async def list_operations(
    operation_type: str | None = None,
    status: str | None = None,
    active_only: bool = False,
    limit: int = 10,
    offset: int = 0,
) -> dict[str, Any]:
    """List operations, newest first, optionally only active ones or of one type or status."""
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if operation_type:
        params["operation_type"] = operation_type
    if status:
        params["status"] = status
    if active_only:
        params["active_only"] = "true"
    return await _request("GET", "/operations", params=params)


@server.tool()
async def get_operation_status(operation_id: str) -> dict[str, Any]:
    """Get an operation's status, progress, metadata and result summary."""
    return await _request("GET", f"/operations/{operation_id}")


@server.tool()
async def cancel_operation(operation_id: str, reason: str | None = None) -> dict[str, Any]:
    """Cancel a running operation, optionally saying why."""
    body = {"reason": reason} if reason else None
    return await _request("DELETE", f"/operations/{operation_id}", json=body)


@server.tool()
async def get_operation_results(operation_id: str) -> dict[str, Any]:
    """Get a finished operation's results."""
    return await _request("GET", f"/operations/{operation_id}/results")


@server.tool()
async def trigger_data_loading(
    symbol: str,
    timeframe: str = "1h",
    mode: str = "local",
    start_date: str | None = None,
    end_date: str | None = None,
) -> dict[str, Any]:
    """Start loading market data; returns the operation id to follow."""
    payload: dict[str, Any] = {"symbol": symbol, "timeframe": timeframe, "mode": mode}
    if start_date:
        payload["start_date"] = start_date
    if end_date:
        payload["end_date"] = end_date
    return await _request("POST", "/data/load", json=payload)


@server.tool()
async def start_training(
    symbols: list[str],
    timeframes: list[str],
    strategy_name: str,
    start_date: str | None = None,
    end_date: str | None = None,
) -> dict[str, Any]:
    """Start training a model on a strategy; returns the operation id to follow."""
    payload: dict[str, Any] = {
        "symbols": symbols,
        "timeframes": timeframes,
        "strategy_name": strategy_name,
    }
    if start_date:
        payload["start_date"] = start_date
    if end_date:
        payload["end_date"] = end_date
    return await _request("POST", "/trainings/start", json=payload)


async def _serve_http(host: str, port: int) -> None:
    """Serves Streamable HTTP at `/mcp` on `host:port` as `server.run("streamable-http")` does
    (uvicorn binding the address), without uvicorn's access log; port 0 picks a free one."""
    import uvicorn  # a dependency of the SDK, needed only here

    config = uvicorn.Config(
        server.streamable_http_app(host=host),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
    )
    http = uvicorn.Server(config)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(http.serve)
        while not http.started:
            await anyio.sleep(0.01)
        bound_host, bound_port = http.servers[0].sockets[0].getsockname()[:2]
        print(f"serving MCP on http://{bound_host}:{bound_port}/mcp", file=sys.stderr, flush=True)


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The KTRDR tools as a Python MCP server on stdio.")
    parser.add_argument(
        "--http",
        metavar="HOST:PORT",
        type=_address,
        help="serve MCP Streamable HTTP at /mcp on this address instead of stdio",
    )
    arguments = parser.parse_args()
    if arguments.http is None:
        server.run("stdio")
    else:
        anyio.run(_serve_http, *arguments.http)
