"""Load and soak: `SOAK_CALLS` (default 10,000) tool calls over one MCP session with 32 in flight,
mixed valid and invalid, against the real backend.

The client speaks newline-delimited JSON-RPC to the host directly, so that it sees every line the
host writes: every request must get exactly one response, each the one its kind calls for; every
data load started must still be listed at the end; and the host's RSS (`/proc/<pid>/status`) must
stay within 10% from the first thousand calls to the last thousand.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from harness import Backend, host_parameters, rss_kib

CALLS = int(os.environ.get("SOAK_CALLS", "10000"))
IN_FLIGHT = 32
RSS_SAMPLE_EVERY = 100
WINDOW = 1000
MALFORMED_EVERY = 500
"""Every this many calls, a line that is not JSON is sent too (answered with -32700, id null)."""

Check = Callable[[dict[str, Any]], bool]


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"method": "tools/call", "params": {"name": name, "arguments": arguments}}


def succeeded(reply: dict[str, Any]) -> bool:
    return "result" in reply and not reply["result"].get("isError") and "structuredContent" in reply["result"]


def failed_with(code: str) -> Check:
    """An error result whose text (a line, then the error object as JSON) carries `code`."""

    def check(reply: dict[str, Any]) -> bool:
        result = reply.get("result", {})
        if not result.get("isError") or "structuredContent" in result:
            return False
        return json.loads(result["content"][0]["text"].partition("\n")[2])["code"] == code

    return check


def rpc_error(code: int) -> Check:
    return lambda reply: reply.get("error", {}).get("code") == code


def call_of(index: int, known_id: str) -> tuple[dict[str, Any], Check, bool]:
    """The `index`-th call of the mix, what its reply must be, and whether it starts an operation."""
    kind = index % 10
    if kind <= 3:
        return tool_call("list_operations", {"limit": 5}), succeeded, False
    if kind == 4:
        return tool_call("get_operation_status", {"operation_id": known_id}), succeeded, False
    if kind == 5:
        return tool_call("get_operation_status", {"operation_id": f"op_missing_{index}"}), failed_with("not_found"), False
    if kind == 6:
        return tool_call("list_operations", {"limit": 0}), failed_with("invalid_argument"), False
    if kind == 7:
        return tool_call("get_operation_results", {"operation_id": " "}), failed_with("invalid_argument"), False
    if kind == 8 and index % 20 == 8:
        return tool_call("no_such_tool", {}), rpc_error(-32602), False
    if kind == 8:
        return {"method": "tools/call", "params": "not an object"}, rpc_error(-32600), False
    if index % 100 == 9:
        load = {"symbol": "AAPL", "timeframe": "1d", "mode": "local"}
        return tool_call("trigger_data_loading", load), succeeded, True
    return tool_call("get_operation_results", {"operation_id": known_id}), succeeded, False


class RawSession:
    """The real host on stdio, driven with raw JSON-RPC lines; collects every reply by id."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.replies: dict[Any, list[dict[str, Any]]] = {}
        self.unmatched: list[dict[str, Any]] = []
        self._waiting: dict[Any, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 0
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, api_url: str) -> RawSession:
        parameters = host_parameters(api_url)
        process = await asyncio.create_subprocess_exec(
            parameters.command,
            *parameters.args,
            # Warnings (one per unknown-tool call) would flood the log; errors and panics still show.
            env={"PATH": os.environ.get("PATH", ""), **(parameters.env or {}), "RUST_LOG": "error"},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=64 * 1024 * 1024,
        )
        session = cls(process)
        await session.request(
            {
                "method": "initialize",
                "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "load", "version": "1"}},
            }
        )
        await session.send_line(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        return session

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            reply = json.loads(line)
            if "id" not in reply:
                continue
            self.replies.setdefault(reply["id"], []).append(reply)
            waiting = self._waiting.pop(reply["id"], None)
            if waiting is not None:
                waiting.set_result(reply)
            elif reply["id"] is not None and len(self.replies[reply["id"]]) == 1:
                self.unmatched.append(reply)

    async def send_line(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Sends a request with a fresh id and waits for its reply."""
        self._next_id += 1
        request_id = self._next_id
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = reply
        await self.send_line(json.dumps({"jsonrpc": "2.0", "id": request_id, **message}))
        return await reply

    async def close(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        code = await asyncio.wait_for(self.process.wait(), 30)
        await self._reader
        return code


async def listed_ids(session: RawSession) -> set[str]:
    """Every operation id the backend lists, page by page."""
    ids: set[str] = set()
    offset: int | None = 0
    while offset is not None:
        reply = await session.request(tool_call("list_operations", {"limit": 1000, "offset": offset}))
        page = reply["result"]["structuredContent"]
        ids |= {op["operation_id"] for op in page["operations"]}
        offset = page.get("next_offset")
    return ids


async def soak(api_url: str) -> dict[str, Any]:
    session = await RawSession.start(api_url)
    first = await session.request(tool_call("trigger_data_loading", {"symbol": "MSFT", "timeframe": "1d"}))
    known_id = first["result"]["structuredContent"]["operation_id"]
    started = [known_id]
    while True:
        status = await session.request(tool_call("get_operation_status", {"operation_id": known_id}))
        if status["result"]["structuredContent"]["status"] == "completed":
            break
        await asyncio.sleep(0.05)

    pid = session.process.pid
    slots = asyncio.Semaphore(IN_FLIGHT)
    wrong: list[tuple[int, dict[str, Any]]] = []
    samples: dict[int, int] = {}
    done = 0
    began = time.monotonic()

    async def one(index: int) -> None:
        nonlocal done
        message, check, starts = call_of(index, known_id)
        try:
            reply = await session.request(message)
        finally:
            slots.release()
        if not check(reply):
            wrong.append((index, reply))
        elif starts:
            started.append(reply["result"]["structuredContent"]["operation_id"])
        done += 1
        if done % RSS_SAMPLE_EVERY == 0:
            samples[done] = rss_kib(pid)

    tasks = []
    malformed = 0
    for index in range(CALLS):
        await slots.acquire()
        if index % MALFORMED_EVERY == 0:
            await session.send_line('{"jsonrpc": "2.0", "id": ')
            malformed += 1
        tasks.append(asyncio.create_task(one(index)))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - began

    missing = set(started) - await listed_ids(session)
    exit_code = await session.close()
    first_window = [rss for n, rss in samples.items() if n <= WINDOW]
    last_window = [rss for n, rss in samples.items() if n > CALLS - WINDOW]
    return {
        "elapsed": elapsed,
        "wrong": wrong,
        "duplicates": {i: r for i, r in session.replies.items() if len(r) != 1 and i is not None},
        "unmatched": session.unmatched,
        "parse_errors": len(session.replies.get(None, [])),
        "malformed": malformed,
        "answered": sum(1 for i in session.replies if i is not None),
        "requests": session._next_id,
        "started": len(started),
        "missing": missing,
        "exit_code": exit_code,
        "rss_first": statistics.mean(first_window),
        "rss_last": statistics.mean(last_window),
    }


def test_a_long_session_answers_every_call_once_and_holds_its_memory() -> None:
    # The reference backend forgets the oldest finished operations beyond a cap (1000 by default);
    # room for every load started here keeps "no operation lost" about the tools, not that cap.
    with Backend("--max-finished-operations", str(CALLS // 100 + 100)) as backend:
        figures = asyncio.run(asyncio.wait_for(soak(backend.api_url), timeout=120 + CALLS * 0.05))
    print(
        f"\n{CALLS} calls, {IN_FLIGHT} in flight, {figures['elapsed']:.1f} s "
        f"({CALLS / figures['elapsed']:.0f} calls/s); {figures['started']} operations started; "
        f"host RSS first {WINDOW}: {figures['rss_first'] / 1024:.1f} MiB, "
        f"last {WINDOW}: {figures['rss_last'] / 1024:.1f} MiB"
    )
    assert figures["wrong"][:5] == [], f"{len(figures['wrong'])} unexpected replies"
    assert figures["duplicates"] == {} and figures["unmatched"] == []
    assert figures["answered"] == figures["requests"]
    assert figures["parse_errors"] == figures["malformed"]
    assert figures["missing"] == set(), "started operations are no longer listed"
    assert figures["exit_code"] == 0
    ratio = figures["rss_last"] / figures["rss_first"]
    assert 0.9 <= ratio <= 1.1, f"host RSS moved by {100 * (ratio - 1):.1f}%"
