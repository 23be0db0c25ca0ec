"""Sandbox escapes attempted through the real host and component, with a recording loopback
server as the backend: hostile ids, symbols and strategy paths; `KTRDR_API_URL` variants; and the
probe test component trying other hosts, files and the environment. Every attempt is refused with a
clear error, and the recorded requests prove what the backend (and a bystander server) saw.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote_to_bytes

import anyio
import pytest

import faultserver as fs
from faultserver import FaultServer
from harness import component_path, host_binary
from workflows import ToolSession

NOT_FOUND = {"detail": "Operation not found"}

HOSTILE_IDS = [
    "../health",
    "..",
    ".",
    "../../etc/passwd",
    "a/../../b",
    "%2F",
    "%2e%2e%2f",
    "..%2F..%2Fhealth",
    "?x=1",
    "op?limit=1000&offset=0",
    "#frag",
    "a?b#c",
    "http://evil.example/x",
    "//evil.example/x",
    "..\\..\\windows",
    "ünïcödé/路径",
    "op\u202eevil",
    "／etc／passwd",
    "%00",
    "op%0d%0aX-Injected:%201",
    "op;rm -rf /",
    "  op_padded  ",
]
"""Ids that must travel as exactly one path segment."""

CONTROL_IDS = ["op\r\nHost: evil.example", "op\nX-Injected: 1", "op\x00", "op\x1b[31m", "o\u0085p"]
"""Ids refused before any request (control characters)."""

ID_TOOLS = {
    "get_operation_status": ("GET", ""),
    "get_operation_results": ("GET", "/results"),
    "cancel_operation": ("DELETE", ""),
}

HOSTILE_SYMBOLS = ["../../etc/passwd", "AAPL?x=1", "AAPL#x", "AAPL%2F..", "http://evil.example/", "aapl/../../admin"]
"""Symbols that are printable ASCII: accepted, and only ever sent inside the JSON body."""

REFUSED_SYMBOLS = ["AA PL", "AAPL\r\nX: y", "ÄPFEL", "\u202eAAPL", "AAPL\x00", " "]

STRATEGY_PATHS = {
    "../etc/passwd": None,
    "strategies/../../secret.yaml": None,
    "..\\..\\secret.yaml": None,
    "mlp_basic?x=1": None,
    "mlp#x.yaml": None,
    "mlp\r\n.yaml": None,
    "ünï.yaml": None,
    "/etc/passwd": "passwd",
    "file:///etc/mlp.yaml": "mlp",
    "http://evil.example/mlp.yaml": "mlp",
    "C:\\strategies\\mlp.yaml": "mlp",
}
"""Strategy paths and the strategy name the backend may receive (`None`: refused before sending)."""

STRATEGY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def against_recorder(test: Callable[[FaultServer, ToolSession], Awaitable[None]], *host_args: str) -> None:
    """Run `test` with the host on a recording server that answers 404 to everything; afterwards,
    every request it saw must be under the API prefix with no query or fragment."""

    async def run() -> None:
        with FaultServer(fs.answer(404, NOT_FOUND)) as server:
            async with ToolSession.open(server.api_url, "legacy", host_args=host_args) as session:
                await test(server, session)
            for request in server.seen():
                assert request.target.startswith("/api/v1/"), request
                assert "?" not in request.target and "#" not in request.target, request

    anyio.run(run)


async def refused_before_sending(server: FaultServer, session: ToolSession, tool: str, **arguments: Any) -> None:
    """The call fails with `invalid_argument` and the backend sees no request."""
    before = len(server.seen())
    error = await session.call_error(tool, **arguments)
    assert error["code"] == "invalid_argument", (arguments, error)
    assert len(server.seen()) == before, f"{tool}({arguments!r}) reached the backend"


async def one_request(server: FaultServer, session: ToolSession, tool: str, **arguments: Any) -> fs.Request:
    """The call reaches the backend exactly once; returns that request."""
    before = len(server.seen())
    await session.call_error(tool, **arguments)
    seen = server.seen()[before:]
    assert len(seen) == 1, (arguments, seen)
    return seen[0]


def test_hostile_ids_stay_in_one_path_segment() -> None:
    async def check(server: FaultServer, session: ToolSession) -> None:
        for tool, (method, suffix) in ID_TOOLS.items():
            for hostile in HOSTILE_IDS:
                request = await one_request(server, session, tool, operation_id=hostile)
                assert request.method == method
                segment = request.target.removeprefix("/api/v1/operations/").removesuffix(suffix)
                assert request.target == f"/api/v1/operations/{segment}{suffix}", request
                assert "/" not in segment and segment not in (".", ".."), request
                assert unquote_to_bytes(segment) == hostile.strip().encode(), request
            for hostile in CONTROL_IDS:
                await refused_before_sending(server, session, tool, operation_id=hostile)

    against_recorder(check)


def test_hostile_symbols_travel_only_in_the_body() -> None:
    async def check(server: FaultServer, session: ToolSession) -> None:
        for symbol in HOSTILE_SYMBOLS:
            load = await one_request(server, session, "trigger_data_loading", symbol=symbol)
            assert (load.method, load.target) == ("POST", "/api/v1/data/acquire/download"), load
            assert json.loads(load.body)["symbol"] == symbol.strip().upper()
            bars = await one_request(server, session, "get_market_data", symbol=symbol)
            segment = bars.target.removeprefix("/api/v1/data/").removesuffix("/1h")
            assert bars.target == f"/api/v1/data/{segment}/1h" and "/" not in segment, bars
            assert unquote_to_bytes(segment) == symbol.strip().upper().encode(), bars
            training = await one_request(
                server, session, "start_training", strategy_config_path="mlp_basic", symbols=["MSFT", symbol]
            )
            assert (training.method, training.target) == ("POST", "/api/v1/trainings/start"), training
            assert json.loads(training.body)["symbols"] == ["MSFT", symbol.strip().upper()]
        for symbol in REFUSED_SYMBOLS:
            await refused_before_sending(server, session, "trigger_data_loading", symbol=symbol)
            await refused_before_sending(
                server, session, "start_training", strategy_config_path="mlp_basic", symbols=["MSFT", symbol]
            )

    against_recorder(check)


def test_strategy_paths_never_reach_the_backend_as_paths() -> None:
    async def check(server: FaultServer, session: ToolSession) -> None:
        for path, name in STRATEGY_PATHS.items():
            if name is None:
                await refused_before_sending(
                    server, session, "start_training", strategy_config_path=path, symbols=["AAPL"]
                )
                continue
            request = await one_request(server, session, "start_training", strategy_config_path=path, symbols=["AAPL"])
            assert request.target == "/api/v1/trainings/start", request
            sent = json.loads(request.body)["strategy_name"]
            assert sent == name and STRATEGY_NAME.match(sent), (path, sent)

    against_recorder(check)


REFUSED_AT_START = [
    "file:///etc/passwd",
    "ftp://127.0.0.1:{port}/api/v1",
    "gopher://127.0.0.1:{port}/",
    "javascript:alert(1)",
    "127.0.0.1:{port}/api/v1",
    "not a url",
    "http://",
]
"""`KTRDR_API_URL` values the host refuses before serving."""

REFUSED_BY_THE_COMPONENT = [
    "http://user:secret@127.0.0.1:{port}/api/v1",
    "http://evil.example@127.0.0.1:{port}/api/v1",
    "http://127.0.0.1:{port}/api/v1?x=1",
    "http://127.0.0.1:{port}/api/v1#frag",
    "http://127.0.0.1:{port}/api/../admin",
    "http://127.0.0.1:{port}/api/v1\\..\\admin",
    "http:///api/v1",
]
"""`KTRDR_API_URL` values the host starts with but the component refuses on every call."""


@pytest.mark.parametrize("template", REFUSED_AT_START)
def test_the_host_refuses_a_bad_api_url_at_start(template: str) -> None:
    with FaultServer() as server:
        url = template.format(port=server.port)
        environment = {"PATH": os.environ.get("PATH", ""), "KTRDR_API_URL": url}
        finished = subprocess.run(
            [host_binary()], env=environment, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
        )
        assert finished.returncode != 0, finished
        assert finished.stdout == "", "the host wrote to the MCP channel"
        assert "KTRDR_API_URL" in finished.stderr and url in finished.stderr, finished.stderr
        assert server.seen() == []


@pytest.mark.parametrize("template", REFUSED_BY_THE_COMPONENT)
def test_the_component_refuses_a_bad_api_url_on_every_call(template: str) -> None:
    async def run() -> None:
        with FaultServer() as server:
            url = template.format(port=server.port)
            async with ToolSession.open(url, "legacy") as session:
                for tool, arguments in [("list_operations", {}), ("get_operation_status", {"operation_id": "op_1"})]:
                    error = await session.call_error(tool, **arguments)
                    assert error["code"] == "configuration", (url, error)
                    assert "KTRDR_API_URL" in error["message"], error
            assert server.seen() == []

    anyio.run(run)


def test_variants_of_a_good_api_url_reach_only_that_backend() -> None:
    async def run() -> None:
        with FaultServer() as server:
            for url in (f"HTTP://127.0.0.1:{server.port}/api/v1/", f"http://127.0.0.1:{server.port}/api/v1//"):
                async with ToolSession.open(url, "legacy") as session:
                    await session.call("list_operations")
            assert [r.path for r in server.seen()] == ["/api/v1/operations"] * 2

    anyio.run(run)


def test_a_component_reaching_for_other_hosts_files_and_variables_is_refused() -> None:
    """The probe component tries other origins, files and the environment: every other origin is
    denied (the bystander server sees nothing), files do not exist, only two variables are set."""

    async def run() -> None:
        with FaultServer(fs.answer(200, "{}")) as backend, FaultServer() as bystander:
            host_args = ("--component", component_path("probe"))
            async with ToolSession.open(backend.api_url, "legacy", host_args=host_args) as session:
                client = session.client

                async def tool(name: str, **arguments: Any) -> tuple[bool, str]:
                    result = await client.call_tool(name, arguments)
                    return bool(result.is_error), result.content[0].text if result.content else ""

                assert await tool("fetch", url=f"{backend.api_url}/health") == (False, "200")
                for url in (
                    f"{bystander.api_url}/health",
                    f"http://localhost:{backend.port}/api/v1/health",
                    f"https://127.0.0.1:{backend.port}/api/v1/health",
                    f"http://[::1]:{backend.port}/api/v1/health",
                    f"http://127.0.0.1:{bystander.port}@127.0.0.1:{bystander.port}/",
                    "http://169.254.169.254/latest/meta-data/",
                ):
                    failed, text = await tool("fetch", url=url)
                    assert failed, (url, text)
                    assert "HttpRequestDenied" in text or "denied" in text.lower(), (url, text)
                for path in ("/etc/passwd", "/proc/self/environ", ".", "../Cargo.toml", "/"):
                    failed, text = await tool("read_file", path=path)
                    assert failed, f"{path} was readable: {text[:80]}"
                failed, text = await tool("environment")
                assert not failed
                assert [key for key, _ in json.loads(text)] == ["KTRDR_API_URL", "API_TIMEOUT"]
            assert bystander.seen() == [], "a request left the sandbox"
            assert [r.target for r in backend.seen()] == ["/api/v1/health"]

    anyio.run(run)
