"""The plan's three workflows (data loading, training, discovery), driven through a real MCP client.

Each workflow checks what it sees as it goes (raising `WorkflowError` on the first surprise) and
narrates each call through `ToolSession.say`, so the same code is the E2E test and `make demo`.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import jsonschema
from mcp import Client

from harness import host_parameters

LONG_STRATEGY = "mlp_long"
"""A shipped strategy that trains for minutes: long enough to watch and cancel."""

QUICK_STRATEGY = "mlp_basic"
"""A shipped strategy that finishes in a few seconds."""

PACED_MODE = "tail"

QUICK_LOAD_MODE = {"2025": "local", "2026": "backfill"}
"""A data-load mode that finishes at once, by API generation (2026 has no `local`)."""
"""A data-load mode that fetches in paced segments, so the load is observably running."""

FINAL_STATUSES = {"completed", "failed", "cancelled"}

API_GENERATIONS = ("2025", "2026")
"""The KTRDR API generations the reference backend serves (`--api`): the plan's and today's."""

LOAD_RESULT_KEYS = {
    "2025": ("fetched_bars", "merged_file"),
    "2026": ("rows_downloaded", "cache_hit", "gaps_filled"),
}
"""Keys a completed data load's results have, by API generation."""


class WorkflowError(AssertionError):
    """A workflow saw something other than what the tools promise."""


def check(condition: bool, message: str) -> None:
    """Raise `WorkflowError(message)` unless `condition` holds."""
    if not condition:
        raise WorkflowError(message)


def _brief(value: Any, limit: int = 110) -> str:
    text = json.dumps(value, separators=(", ", ": "), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ToolSession:
    """An MCP session on the host that knows each tool's schemas and narrates every call."""

    def __init__(
        self, client: Client, tools: dict[str, Any], backend_url: str, api: str, say: Callable[[str], None]
    ) -> None:
        self.client = client
        self.tools = tools
        self.backend_url = backend_url
        self.api = api
        self.say = say

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        backend_url: str,
        mode: str,
        say: Callable[[str], None] = lambda _line: None,
        host_args: tuple[str, ...] = (),
        api: str = "2025",
        server: Any = None,
    ) -> AsyncIterator[ToolSession]:
        """Spawn the host on `backend_url` (a backend serving the `api` generation, with extra
        `host_args`), or reach it through the `server` transport instead, and connect with
        `mode` ("legacy": initialize; "auto": discover)."""
        server = server or host_parameters(backend_url, *host_args)
        async with Client(server, mode=mode) as client:
            listing = await client.list_tools()
            yield cls(client, {tool.name: tool for tool in listing.tools}, backend_url, api, say)

    async def _raw_call(self, name: str, arguments: dict[str, Any]) -> Any:
        check(name in self.tools, f"the host does not list the tool {name}")
        return await self.client.call_tool(name, arguments)

    async def call(
        self, name: str, key_fields: tuple[str, ...] = (), quiet: bool = False, **arguments: Any
    ) -> dict[str, Any]:
        """Call a tool that must succeed; return its structured result, checked against its outputSchema.

        The transcript shows `key_fields` of the result (all of it when empty), unless `quiet`."""
        result = await self._raw_call(name, arguments)
        text = result.content[0].text if result.content else ""
        check(not result.is_error, f"{name}({_brief(arguments)}) failed: {text}")
        data = result.structured_content
        check(isinstance(data, dict), f"{name} returned no structuredContent")
        schema = self.tools[name].output_schema
        check(schema is not None, f"{name} declares no outputSchema")
        try:
            jsonschema.validate(data, schema)
        except jsonschema.ValidationError as error:
            raise WorkflowError(f"{name} result breaks its outputSchema: {error.message}") from error
        check(json.loads(text) == data, f"{name}'s text content is not the same JSON as its structuredContent")
        if quiet:
            return data
        shown = {key: data[key] for key in key_fields if key in data} if key_fields else data
        self.say(f"  {name}({_brief(arguments, 70)})\n      -> {_brief(shown)}")
        return data

    async def call_error(self, name: str, **arguments: Any) -> dict[str, Any]:
        """Call a tool that must fail; return its error `{status_code, code, message, details}`,
        read from its text: one line `code (HTTP n): message`, then the error object as JSON."""
        result = await self._raw_call(name, arguments)
        text = result.content[0].text if result.content else ""
        check(result.is_error, f"{name}({_brief(arguments)}) should have failed but returned {text[:200]}")
        check(
            result.structured_content is None,
            f"{name}'s error carries structuredContent, which clients validate against its outputSchema",
        )
        line, _, rest = text.partition("\n")
        try:
            error = json.loads(rest)
        except json.JSONDecodeError as exc:
            raise WorkflowError(f"{name}'s error text has no JSON object after its first line: {text!r}") from exc
        check(
            isinstance(error, dict) and set(error) == {"status_code", "code", "message", "details"},
            f"{name}'s error object is {rest!r}",
        )
        check(line.startswith(error["code"]), f"{name}'s error line does not start with its code: {line!r}")
        self.say(f"  {name}({_brief(arguments, 70)})\n      -> error {error['code']}: {error['message']}")
        return error

    async def wait_for(
        self, operation_id: str, ready: Callable[[dict[str, Any]], bool], what: str, within: float = 120.0
    ) -> dict[str, Any]:
        """Poll get_operation_status (quietly) until `ready(status)` holds; fail after `within` seconds."""
        deadline = time.monotonic() + within
        while True:
            result = await self._raw_call("get_operation_status", {"operation_id": operation_id})
            check(not result.is_error, f"get_operation_status({operation_id}) failed while waiting for {what}")
            status = result.structured_content
            if ready(status):
                return status
            check(time.monotonic() < deadline, f"{operation_id} never reached {what} (last: {status['status']})")
            await anyio.sleep(0.05)


def backend_post(api_url: str, path: str) -> dict[str, Any]:
    """POST to the backend directly, as another KTRDR client would; the JSON answer."""
    request = urllib.request.Request(f"{api_url}{path}", data=b"{}", method="POST")
    request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


async def data_loading(session: ToolSession) -> None:
    """Trigger a paced load, see it active with progress, read its results, then its bars."""
    session.say(f"Workflow 1: data loading (KTRDR {session.api} API)")
    started = await session.call(
        "trigger_data_loading",
        ("operation_id", "status", "message"),
        symbol="aapl",
        timeframe="1h",
        mode=PACED_MODE,
    )
    operation_id = started["operation_id"]
    check(operation_id.startswith("op_data_load_"), f"unexpected data-load id {operation_id}")
    check(started["status"] == "started" and started["operation_type"] == "data_load", "start result mislabelled")
    check(started["timeframe"] == "1h" and started["mode"] == PACED_MODE, f"start result echoes {started}")

    active = await session.call("list_operations", ("total_count", "active_count", "returned_count"), active_only=True)
    listed = {op["operation_id"]: op for op in active["operations"]}
    check(operation_id in listed, f"list_operations(active_only) does not show the running load {operation_id}")
    check(all(op["status"] in {"pending", "running"} for op in active["operations"]), "active_only listed a finished op")

    running = await session.wait_for(
        operation_id, lambda s: s["status"] != "pending", "running", within=30
    )
    progress = running["progress"]
    session.say(
        f"  get_operation_status({operation_id!r})\n      -> status {running['status']}, "
        f"{progress['percentage']:.0f}% - {progress['current_step']}"
    )
    check(running["operation_type"] == "data_load", "status reports the wrong operation type")

    done = await session.wait_for(operation_id, lambda s: s["status"] in FINAL_STATUSES, "a final status")
    check(done["status"] == "completed", f"the load ended {done['status']}: {done['error_message']}")
    check(done["progress"]["percentage"] == 100, "a completed load is not at 100%")

    results = await session.call("get_operation_results", ("status", "results"), operation_id=operation_id)
    summary = results["results"]
    check(results["status"] == "completed", "results do not say completed")
    for key in LOAD_RESULT_KEYS[session.api]:
        check(key in summary, f"a {session.api} data load's results lack {key}: {summary}")

    bars = await session.call(
        "get_market_data", ("symbol", "timeframe", "available_count", "truncated"), symbol="AAPL", timeframe="1h"
    )
    check(bars["available_count"] > 0 and bars["bars"], "no cached bars are readable after the load")
    check(len(bars["bars"]) == min(50, bars["available_count"]), "get_market_data ignores its default limit of 50")
    newest = bars["bars"][-1]
    check(newest["low"] <= min(newest["open"], newest["close"]) <= newest["high"], f"a bar is not OHLC: {newest}")

    if session.api == "2026":
        local = await session.call_error("trigger_data_loading", symbol="AAPL", mode="local")
        check(local["code"] == "invalid_argument" and "tail" in local["message"], f"local on 2026: {local}")


async def training(session: ToolSession) -> None:
    """Train a quick model to completion with epoch/batch progress; cancel a long one; read errors."""
    session.say("Workflow 2: training")
    started = await session.call(
        "start_training",
        ("operation_id", "status", "strategy_name", "message"),
        strategy_config_path=f"strategies/{QUICK_STRATEGY}.yaml",
        symbols=["AAPL"],
        timeframes=["1h"],
    )
    quick_id = started["operation_id"]
    check(quick_id.startswith("op_training_"), f"unexpected training id {quick_id}")
    check(started["strategy_name"] == QUICK_STRATEGY, "the strategy name is not the path's file stem")

    with_batches = await session.wait_for(
        quick_id,
        lambda s: s["status"] in FINAL_STATUSES or "batch_number" in json.dumps(s["progress"]["context"]),
        "batch progress",
    )
    if with_batches["status"] == "running":
        context = with_batches["progress"]["context"]
        session.say(
            f"  get_operation_status({quick_id!r})\n      -> {with_batches['progress']['current_step']} "
            f"(epoch {context.get('epoch_index')}/{context.get('total_epochs')})"
        )
    done = await session.wait_for(quick_id, lambda s: s["status"] in FINAL_STATUSES, "a final status")
    check(done["status"] == "completed", f"training ended {done['status']}: {done['error_message']}")
    results = await session.call("get_operation_results", ("status",), operation_id=quick_id)
    metrics = results["results"]
    for section in ("training_metrics", "validation_metrics", "test_metrics", "artifacts"):
        check(section in metrics, f"training results lack {section}")
    check(bool(metrics["artifacts"].get("model_path")), "training results name no model path")
    session.say(
        "      -> test accuracy "
        f"{metrics['test_metrics'].get('test_accuracy')}, model {metrics['artifacts']['model_path']}"
    )

    long_run = await session.call(
        "start_training", ("operation_id", "status"), strategy_config_path=LONG_STRATEGY, symbols=["AAPL"]
    )
    long_id = long_run["operation_id"]
    watched = await session.wait_for(
        long_id, lambda s: s["progress"]["items_processed"] > 0 or s["status"] in FINAL_STATUSES, "batch progress"
    )
    check(watched["status"] == "running", f"the long training is {watched['status']}, not running")
    session.say(f"  get_operation_status({long_id!r})\n      -> running: {watched['progress']['current_step']}")
    early = await session.call_error("get_operation_results", operation_id=long_id)
    check(early["code"] == "rejected" and early["status_code"] == 400, f"unfinished results: {early}")

    cancelled = await session.call(
        "cancel_operation", ("status", "cancellation_reason"), operation_id=long_id, reason="Testing cancellation"
    )
    check(cancelled["status"] == "cancelled", "cancel did not report cancelled")
    check(cancelled["cancellation_reason"] == "Testing cancellation", "the reason was not recorded")
    final = await session.wait_for(long_id, lambda s: s["status"] in FINAL_STATUSES, "a final status", within=10)
    check(final["status"] == "cancelled", f"the cancelled training ended {final['status']}")
    session.say(f"  get_operation_status({long_id!r})\n      -> {final['status']}: {final['error_message']}")

    again = await session.call_error("cancel_operation", operation_id=long_id)
    check(again["code"] == "rejected", f"cancelling twice: {again}")
    missing = await session.call_error("get_operation_status", operation_id="op_nope")
    check(missing["code"] == "not_found" and missing["status_code"] == 404, f"unknown id: {missing}")


async def _ids(session: ToolSession, **filters: Any) -> list[str]:
    """Ids of every operation matching `filters`, newest first (one quiet 1000-limit page)."""
    listing = await session.call("list_operations", quiet=True, limit=1000, **filters)
    check(listing["returned_count"] == listing["total_count"], "a 1000-limit page did not hold every operation")
    return [op["operation_id"] for op in listing["operations"]]


async def discovery(session: ToolSession) -> None:
    """Start operations of both types, then find them by type, status, activity and page."""
    session.say("Workflow 3: discovery")
    before_all = await _ids(session)
    before_training = await _ids(session, operation_type="training")
    before_completed = await _ids(session, status="completed")

    loads = []
    for symbol in ("AAPL", "MSFT"):
        started = await session.call(
            "trigger_data_loading", ("operation_id",), symbol=symbol, timeframe="1d", mode=QUICK_LOAD_MODE[session.api]
        )
        loads.append(started["operation_id"])
    for operation_id in loads:
        await session.wait_for(operation_id, lambda s: s["status"] in FINAL_STATUSES, "a final status")
    trainings = []
    for _ in range(2):
        started = await session.call(
            "start_training", ("operation_id",), strategy_config_path=LONG_STRATEGY, symbols=["MSFT"]
        )
        trainings.append(started["operation_id"])
    paced = await session.call("trigger_data_loading", ("operation_id",), symbol="MSFT", mode="full")
    active_ids = set(trainings) | {paced["operation_id"]}
    new_ids = set(loads) | active_ids

    everything = await _ids(session)
    check(len(everything) == len(before_all) + 5, f"expected {len(before_all) + 5} operations, got {len(everything)}")
    check(set(everything) == set(before_all) | new_ids, "the full listing lost or invented operations")
    check(everything[:3] == [paced["operation_id"], *reversed(trainings)], "operations are not listed newest first")

    active = await session.call("list_operations", ("total_count", "returned_count"), active_only=True)
    check({op["operation_id"] for op in active["operations"]} <= active_ids, "active_only shows other operations")
    check(all(op["status"] in {"pending", "running"} for op in active["operations"]), "active_only shows a final op")

    by_type = await _ids(session, operation_type="training")
    check(set(by_type) == set(before_training) | set(trainings), "the type filter is wrong")
    completed = await _ids(session, status="completed")
    check(set(completed) == set(before_completed) | set(loads), "the status filter is wrong")

    paged: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = await session.call(
            "list_operations", ("returned_count", "total_count", "next_offset"), limit=2, offset=offset
        )
        check(page["total_count"] == len(everything), "total_count changes across pages")
        paged += [op["operation_id"] for op in page["operations"]]
        offset = page.get("next_offset")
        check(offset is None or page["returned_count"] == 2, "a page before the last is short")
    check(paged == everything, "limit/offset pages do not tile the full listing")

    for operation_id in sorted(active_ids):
        await session.call("cancel_operation", ("status",), operation_id=operation_id, reason="discovery done")
    after = await session.call("list_operations", ("active_count", "returned_count"), active_only=True)
    check(after["active_count"] == 0 and after["returned_count"] == 0, "operations are still active after cancel")

    if session.api == "2026":
        resumed_id = trainings[0]
        backend_post(session.backend_url, f"/operations/{resumed_id}/resume")
        session.say(f"  POST /operations/{resumed_id}/resume on the backend (another client resumes it)")
        resuming = await _ids(session, status="resuming")
        check(resuming == [resumed_id], f"the resumed training is not listed as resuming: {resuming}")
        status = await session.call("get_operation_status", ("status", "progress"), operation_id=resumed_id)
        check(status["status"] == "resuming", f"a resumed training reads {status['status']}")
        await session.call("cancel_operation", ("status",), operation_id=resumed_id, reason="discovery done")


WORKFLOWS = {"data_loading": data_loading, "training": training, "discovery": discovery}
"""The workflows by name, in the order the demo runs them."""
