"""Fault injection: the real host and component against a misbehaving loopback backend.

Each test runs the host with a 2 s request timeout against a `FaultServer` that misbehaves in one
way, checks that the call ends (well within its deadline) with a clear structured error, and then
that the same host serves a healthy answer again.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

import faultserver as fs
from faultserver import FaultServer
from harness import host_pid, rss_kib
from workflows import ToolSession, WorkflowError

TIMEOUT_S = 2
"""The host's `--timeout` in these tests (the call deadline is this plus 5 s)."""

CALL_BOUND_S = TIMEOUT_S + 5 + 10
"""A generous bound on how long any one faulty call may take to end."""

RESPONSE_CAP = 4 * 1024 * 1024
"""The component's documented response-size cap (`RESPONSE_SIZE_CAP` in src/http.rs)."""

Scenario = Callable[[FaultServer, ToolSession], Awaitable[None]]


def run_against(behaviour: Callable[[FaultServer], fs.Behaviour], scenario: Scenario) -> None:
    """Run `scenario` with the host on a `FaultServer` misbehaving as `behaviour`; then check that
    the same host session serves a healthy answer."""

    async def run() -> None:
        with FaultServer() as server:
            server.behaviour = behaviour(server)
            async with ToolSession.open(server.api_url, "legacy", host_args=("--timeout", str(TIMEOUT_S))) as session:
                await scenario(server, session)
                server.behaviour = fs.healthy()
                listing = await session.call("list_operations")
                assert listing["total_count"] == 0

    anyio.run(run)


async def failing_call(session: ToolSession, tool: str = "list_operations", **arguments: Any) -> dict[str, Any]:
    """A call that must fail, and end within `CALL_BOUND_S`."""
    with anyio.fail_after(CALL_BOUND_S):
        return await session.call_error(tool, **arguments)


def expect(code: str, *fragments: str, status: int = 0) -> Scenario:
    """A scenario: one `list_operations` call fails with `code`, `status` and message `fragments`."""

    async def scenario(server: FaultServer, session: ToolSession) -> None:
        error = await failing_call(session)
        assert (error["code"], error["status_code"]) == (code, status), error
        for fragment in fragments:
            assert fragment in error["message"], (fragment, error)
        assert len(server.seen()) == 1, "the component retried or never sent the request"

    return scenario


def test_a_backend_that_resets_every_connection_gets_a_clear_error() -> None:
    """A reset on a new connection after the request went out is not retried, and reads as the
    backend being unavailable (not as a malformed answer)."""
    run_against(
        lambda _server: fs.refuse(),
        expect("unavailable", "the connection was closed without an answer", "127.0.0.1", "Check that it runs"),
    )


def test_a_kept_alive_connection_reset_after_a_500_loses_no_healthy_call() -> None:
    """uvicorn answers an unhandled error with a complete 500 that keeps the connection alive, then
    resets that connection when the next request comes on it. In 200 calls alternating such a 500
    and a healthy `list_operations`, every 500 is a `backend_error` and no healthy call is lost:
    each is sent once on the reset connection and once more on a new one."""
    pairs = 100

    def behaviour(server: FaultServer) -> fs.Behaviour:
        fault = fs.answer_then_reset_on_reuse(server, 500, {"detail": "Internal Server Error"})
        healthy = fs.healthy()
        return lambda connection, request: (fault if "active_only=true" in request.target else healthy)(
            connection, request
        )

    async def scenario(server: FaultServer, session: ToolSession) -> None:
        lost = []
        for index in range(pairs):
            error = await failing_call(session, active_only=True)
            assert (error["code"], error["status_code"]) == ("backend_error", 500), error
            try:
                with anyio.fail_after(CALL_BOUND_S):
                    await session.call("list_operations", quiet=True)
            except WorkflowError as failure:
                lost.append((index, str(failure)))
        assert lost == [], f"{len(lost)} of {pairs} healthy calls lost, first: {lost[0]}"
        assert server.stats.resets_on_reuse == pairs
        healthy_sent = [r for r in server.seen() if "active_only" not in r.target]
        assert len(healthy_sent) == 2 * pairs, "each healthy call: once on the reset connection, once on a new one"

    run_against(behaviour, scenario)


def test_a_backend_that_never_answers_times_out_and_the_host_does_not_grow() -> None:
    """Hung requests end at the timeout, the host closes each connection, and rounds of them do
    not grow the host's memory."""

    async def scenario(server: FaultServer, session: ToolSession) -> None:
        pid = host_pid()
        rounds, per_round = 4, 8
        rss_after = []
        for _ in range(rounds):
            async with anyio.create_task_group() as group:
                for _ in range(per_round):
                    group.start_soon(expect_timeout, session)
            rss_after.append(rss_kib(pid))
        total = rounds * per_round
        assert len(server.seen()) == total
        with anyio.fail_after(CALL_BOUND_S):
            while server.stats.peer_closed < total:
                await anyio.sleep(0.05)
        assert rss_after[-1] <= rss_after[0] * 1.10, f"host RSS grew over the rounds: {rss_after} KiB"

    async def expect_timeout(session: ToolSession) -> None:
        error = await failing_call(session)
        assert error["code"] == "timeout", error
        assert f"within {TIMEOUT_S} s" in error["message"], error

    run_against(fs.silent, scenario)


def test_an_answer_trickled_byte_by_byte_within_the_timeout_is_read() -> None:
    body = json.dumps(fs.empty_listing()).encode()

    async def scenario(server: FaultServer, session: ToolSession) -> None:
        with anyio.fail_after(CALL_BOUND_S):
            listing = await session.call("list_operations")
            # The server counts what it sent after its last byte's pause; the host may be faster.
            while not server.stats.body_bytes_sent:
                await anyio.sleep(0.01)
        assert listing["returned_count"] == 0
        assert server.stats.body_bytes_sent == [len(body)]

    run_against(lambda server: fs.trickle(server, body, delay=0.002), scenario)


@pytest.mark.parametrize("head_at_once", [False, True], ids=["whole-answer", "body-only"])
def test_an_answer_trickled_past_the_timeout_is_cut_off(head_at_once: bool) -> None:
    """Byte by byte with every gap far below the 2 s between-bytes limit, but 10 s in all: the call
    ends with `timeout` at the request timeout, whether the head or only the body trickles."""
    body = json.dumps({**fs.empty_listing(), "padding": "x" * 100}).encode()

    async def scenario(server: FaultServer, session: ToolSession) -> None:
        error = await failing_call(session)
        assert error["code"] == "timeout", error
        with anyio.fail_after(CALL_BOUND_S):
            while server.stats.peer_closed < 1:
                await anyio.sleep(0.05)

    run_against(lambda server: fs.trickle(server, body, delay=0.05, head_at_once=head_at_once), scenario)


ERROR_SHAPES: dict[str, tuple[Any, str, str]] = {
    "fastapi-detail": ({"detail": "Database connection lost"}, "application/json", "Database connection lost"),
    "validation-list": (
        {"detail": [{"loc": ["query", "limit"], "msg": "backend refuses", "type": "value_error"}]},
        "application/json",
        "backend refuses",
    ),
    "ktrdr-envelope": (
        {"success": False, "error": {"code": "DATA-Missing", "message": "No data", "details": {"a": 1}}},
        "application/json",
        "No data [DATA-Missing]",
    ),
    "html-page": ("<html><body><h1>502 Bad Gateway</h1>\n</body></html>", "text/html", "502 Bad Gateway"),
    "empty-body": ("", "application/json", "empty error body"),
    "json-array": ([1, 2, 3], "application/json", "not a JSON object"),
    "nested-deep": ({"detail": json.loads("[" * 200 + "]" * 200)}, "application/json", "[[[["),
}


@pytest.mark.parametrize("shape", list(ERROR_SHAPES))
def test_5xx_answers_of_every_error_shape_are_backend_errors(shape: str) -> None:
    body, content_type, reason = ERROR_SHAPES[shape]

    async def scenario(server: FaultServer, session: ToolSession) -> None:
        for status in (500, 502, 503, 504):
            server.behaviour = fs.answer(status, body, content_type)
            error = await failing_call(session)
            assert (error["code"], error["status_code"]) == ("backend_error", status), error
            assert reason in error["message"], error
            assert "GET /operations" in error["message"], error
            assert isinstance(error["details"], dict), error

    run_against(lambda _server: fs.healthy(), scenario)


def test_invalid_json_is_a_bad_response() -> None:
    run_against(
        lambda _server: fs.answer(200, b'{"success": true, "data": [,]}'),
        expect("bad_response", "invalid JSON", "GET /operations", status=200),
    )


def test_a_well_formed_answer_of_the_wrong_shape_is_a_bad_response() -> None:
    run_against(
        lambda _server: fs.answer(200, {"success": True, "data": {"operations": "none"}}),
        expect("bad_response", "data: expected an array", status=200),
    )


def test_a_truncated_body_is_a_bad_response() -> None:
    body = json.dumps(fs.empty_listing()).encode()
    run_against(
        lambda _server: fs.truncated(body[:20], declared=len(body)),
        expect("bad_response", "could not be read to its end", "GET /operations", status=200),
    )


def test_a_body_over_the_cap_is_cut_off_at_the_cap() -> None:
    """A 256 MiB body: the component reads at most the 4 MiB cap, then drops the connection."""
    declared = 256 * 1024 * 1024

    async def scenario(server: FaultServer, session: ToolSession) -> None:
        error = await failing_call(session)
        assert (error["code"], error["status_code"]) == ("bad_response", 200), error
        assert "larger than the 4 MiB cap" in error["message"], error
        with anyio.fail_after(CALL_BOUND_S):
            while not server.stats.body_bytes_sent:
                await anyio.sleep(0.05)
        sent = server.stats.body_bytes_sent[0]
        # What the socket buffers hold beyond the cap is all the server could push.
        assert RESPONSE_CAP <= sent < 4 * RESPONSE_CAP, f"{sent} bytes sent before the component stopped"

    run_against(lambda server: fs.endless(server, declared), scenario)


def test_an_html_page_with_200_is_a_bad_response() -> None:
    run_against(
        lambda _server: fs.answer(200, "<html><body>Welcome to nginx!</body></html>", "text/html"),
        expect("bad_response", "invalid JSON", status=200),
    )


def test_json_under_a_wrong_content_type_is_read_as_json() -> None:
    """The content type is not trusted either way: a JSON body is read whatever its label."""

    async def scenario(server: FaultServer, session: ToolSession) -> None:
        with anyio.fail_after(CALL_BOUND_S):
            listing = await session.call("list_operations")
        assert listing["returned_count"] == 0

    run_against(lambda _server: fs.answer(200, fs.empty_listing(), "text/plain; charset=latin-1"), scenario)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_is_not_followed(status: int) -> None:
    with FaultServer() as elsewhere:

        async def scenario(server: FaultServer, session: ToolSession) -> None:
            error = await failing_call(session)
            assert (error["code"], error["status_code"]) == ("bad_response", status), error
            assert "redirects are not followed" in error["message"], error
            assert len(server.seen()) == 1
            assert elsewhere.seen() == [], "the redirect was followed off the allow-list"

        location = {"location": f"{elsewhere.api_url}/operations"}
        run_against(lambda _server: fs.answer(status, "", headers=location), scenario)


def test_a_connection_reset_mid_body_is_reported() -> None:
    body = json.dumps({**fs.empty_listing(), "padding": "x" * 4000}).encode()
    run_against(
        lambda _server: fs.reset_mid_body(body),
        expect("bad_response", "could not be read to its end", "GET /operations", status=200),
    )
