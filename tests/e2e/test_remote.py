"""Remote MCP (`ktrdr-mcp --http`) with real clients: the official Python SDK's Streamable HTTP
client and the MCP Inspector CLI. The plan's workflows run against one host with a bearer token
under both protocol eras, then through HAProxy in front of two replicas: stateless calls spread
over both, a 2025-11-25 session stays on one, and a replica killed mid-run costs only the calls
it had in flight."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter
from pathlib import Path

import anyio
import pytest

import faultserver as fs
from faultserver import FaultServer
from harness import Backend, HAProxy, RemoteHost, http_transport
from test_inspector import INSPECTOR
from workflows import WORKFLOWS, ToolSession

TOKEN = "e2e-remote-token-0123456789abcdef"


@pytest.fixture
def token_file(tmp_path: Path) -> str:
    path = tmp_path / "tokens"
    path.write_text(f"# e2e\n{TOKEN}\n")
    return str(path)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
@pytest.mark.parametrize("workflow", list(WORKFLOWS))
def test_workflow_over_http_with_a_token(workflow: str, mode: str, token_file: str) -> None:
    """Each workflow passes over Streamable HTTP, with a 2025-11-25 session or stateless."""

    async def run() -> None:
        with Backend() as backend, RemoteHost(backend.api_url, "--auth-token-file", token_file) as host:
            transport = http_transport(host.url, TOKEN)
            async with ToolSession.open(backend.api_url, mode, server=transport) as session:
                assert (session.client.protocol_version >= "2026") == (mode == "auto")
                await WORKFLOWS[workflow](session)

    anyio.run(run)


@pytest.mark.parametrize("token", [None, "wrong-token-0123456789abcdef"])
def test_a_client_without_a_valid_token_is_told_401(token: str | None, token_file: str) -> None:
    async def run() -> None:
        with Backend() as backend, RemoteHost(backend.api_url, "--auth-token-file", token_file) as host:
            with pytest.raises(Exception) as refused:
                async with ToolSession.open(backend.api_url, "auto", server=http_transport(host.url, token)):
                    pass
            assert "401" in _messages(refused.value), _messages(refused.value)

    anyio.run(run)


def _messages(error: BaseException) -> str:
    """The messages of `error` and of every exception inside it (groups, causes)."""
    parts = [f"{type(error).__name__}: {error}"]
    for inner in getattr(error, "exceptions", ()):
        parts.append(_messages(inner))
    if error.__cause__ is not None:
        parts.append(_messages(error.__cause__))
    return " | ".join(parts)


@pytest.mark.parametrize(("mode", "spread"), [("auto", True), ("legacy", False)])
def test_workflows_through_haproxy_in_front_of_two_replicas(mode: str, spread: bool, token_file: str) -> None:
    """Stateless calls are spread over both replicas; a session's calls stay on the one that
    created it (HAProxy sticks on `Mcp-Session-Id`)."""
    served: Counter[str] = Counter()

    async def run() -> None:
        with (
            Backend() as backend,
            RemoteHost(backend.api_url, "--auth-token-file", token_file) as first,
            RemoteHost(backend.api_url, "--auth-token-file", token_file) as second,
            HAProxy([first.port, second.port]) as balancer,
        ):
            transport = http_transport(balancer.url, TOKEN, lambda r: served.update([r.headers.get("x-replica")]))
            async with ToolSession.open(backend.api_url, mode, server=transport) as session:
                for workflow in WORKFLOWS.values():
                    await workflow(session)

    anyio.run(run)
    replicas = {name for name in served if name}
    if spread:
        assert replicas == {"r1", "r2"} and min(served["r1"], served["r2"]) >= 10, served
    else:
        assert len(replicas) == 1, served


CLIENTS = 8
CALL_DELAY_S = 0.3
"""Each backend answer takes this long, so that calls are in flight when a replica dies."""
KILL_SEEN_S = 0.5
"""Time after the kill by which HAProxy has seen the replica gone (it checks every 100 ms)."""


def test_a_replica_killed_mid_run_costs_only_its_calls_in_flight(token_file: str) -> None:
    """Eight clients call through HAProxy while one replica is killed (SIGKILL): the calls in
    flight on it fail with an HTTP error, every later call succeeds on the other replica."""
    slow = fs.answer(200, fs.empty_listing())
    outcomes: list[tuple[float, float, str | None]] = []
    """(started, ended, error) of every call."""
    served_after_kill: Counter[str] = Counter()
    killed_at = 0.0

    def note(response) -> None:
        if killed_at and time.monotonic() > killed_at + KILL_SEEN_S:
            served_after_kill.update([response.headers.get("x-replica")])

    async def run() -> None:
        nonlocal killed_at
        with FaultServer(lambda connection, request: (time.sleep(CALL_DELAY_S), slow(connection, request))) as backend:
            with (
                RemoteHost(backend.api_url, "--auth-token-file", token_file) as first,
                RemoteHost(backend.api_url, "--auth-token-file", token_file) as second,
                HAProxy([first.port, second.port]) as balancer,
            ):
                transport = http_transport(balancer.url, TOKEN, note)
                async with ToolSession.open(backend.api_url, "auto", server=transport) as session:
                    stop_at = time.monotonic() + 4.0

                    async def client() -> None:
                        while time.monotonic() < stop_at:
                            started = time.monotonic()
                            try:
                                result = await session.client.call_tool("list_operations", {})
                                error = "tool error" if result.is_error else None
                            except Exception as failure:  # noqa: BLE001 - the failure is the datum
                                error = _messages(failure)
                            outcomes.append((started, time.monotonic(), error))

                    async with anyio.create_task_group() as group:
                        for _ in range(CLIENTS):
                            group.start_soon(client)
                        await anyio.sleep(1.5)
                        assert first.process is not None
                        first.process.kill()
                        killed_at = time.monotonic()

    anyio.run(run)
    relative = [(round(s - killed_at, 3), round(e - killed_at, 3), error) for s, e, error in outcomes]
    failures = [outcome for outcome in relative if outcome[2]]
    assert 1 <= len(failures) <= CLIENTS, relative
    for started, ended, error in failures:
        # In flight when the replica died: sent to it before HAProxy saw it gone.
        assert started < KILL_SEEN_S and ended >= 0, failures
        assert "Bad gateway (HTTP 502)" in error, error
    later = [outcome for outcome in relative if outcome[0] > KILL_SEEN_S]
    assert len(later) >= 2 * CLIENTS and not any(error for _, _, error in later), later
    assert set(served_after_kill) == {"r2"}, served_after_kill


def test_the_inspector_cli_lists_and_calls_over_http() -> None:
    """The Inspector CLI (TypeScript SDK, `--transport http`) against an unauthenticated
    loopback listener: its schema-validating client accepts the listing and a call."""
    with Backend() as backend, RemoteHost(backend.api_url) as host:

        def inspect(*arguments: str) -> dict:
            completed = subprocess.run(
                ["node", str(INSPECTOR), host.url, "--transport", "http", *arguments],
                env=os.environ, capture_output=True, text=True, timeout=60, check=False,
            )
            assert completed.returncode == 0, (arguments, completed.stdout, completed.stderr)
            return json.loads(completed.stdout)

        listing = inspect("--method", "tools/list")
        assert "list_operations" in {tool["name"] for tool in listing["tools"]}
        result = inspect("--method", "tools/call", "--tool-name", "list_operations", "--tool-arg", "limit=5")
        assert not result.get("isError") and "operations" in result["structuredContent"], result
        missing = inspect("--method", "tools/call", "--tool-name", "get_operation_status", "--tool-arg", "operation_id=op_nope")
        assert missing["isError"] and missing["content"][0]["text"].startswith("not_found (HTTP 404)"), missing
