"""MCP tasks over stdio, in raw JSON-RPC: a client that declares the tasks extension and starts
a data load or a training gets a task whose id is the KTRDR operation id; `tasks/get` follows it
to its result, `tasks/cancel` stops it, and another host process answers for the same task,
because the backend is the task store."""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Any

import pytest

from harness import Backend, host_binary

TASKS = "io.modelcontextprotocol/tasks"
PATIENCE_S = 60


class StdioHost:
    """The real host on stdio, spoken to in the stateless 2026-07-28 era, one request at a time."""

    def __init__(self, api_url: str) -> None:
        self.process = subprocess.Popen(
            [host_binary()], env={"KTRDR_API_URL": api_url, "RUST_LOG": "error", "PATH": os.environ["PATH"]},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self._next_id = 0

    def request(self, method: str, params: dict[str, Any] | None = None, tasks: bool = True) -> dict[str, Any]:
        """Sends `method` with `params` and this client's `_meta` (declaring the tasks extension
        if `tasks`), and returns the whole response."""
        capabilities = {"extensions": {TASKS: {}}} if tasks else {}
        meta = {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": capabilities,
            "io.modelcontextprotocol/clientInfo": {"name": "tasks-test", "version": "1"},
        }
        self._next_id += 1
        message = {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": {**(params or {}), "_meta": meta}}
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        response = json.loads(self.process.stdout.readline())
        assert response["id"] == self._next_id, response
        return response

    def result(self, method: str, params: dict[str, Any] | None = None, tasks: bool = True) -> dict[str, Any]:
        response = self.request(method, params, tasks)
        assert "result" in response, response
        return response["result"]

    def call(self, tool: str, arguments: dict[str, Any], tasks: bool = True) -> dict[str, Any]:
        return self.result("tools/call", {"name": tool, "arguments": arguments}, tasks)

    def get(self, task_id: str) -> dict[str, Any]:
        return self.result("tasks/get", {"taskId": task_id})

    def wait_for(self, task_id: str, done: Any) -> dict[str, Any]:
        deadline = time.monotonic() + PATIENCE_S
        while True:
            task = self.get(task_id)
            if done(task):
                return task
            assert time.monotonic() < deadline, task
            time.sleep(0.1)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture
def backend():
    with Backend("--segment-delay-ms", "20") as running:
        yield running


@pytest.fixture
def host(backend: Backend):
    started = StdioHost(backend.api_url)
    yield started
    started.close()


def check_task(task: dict[str, Any], task_id: str) -> None:
    assert task["taskId"] == task_id
    assert task["ttlMs"] is None and task["pollIntervalMs"] == 1000, task
    for stamp in ("createdAt", "lastUpdatedAt"):
        assert task[stamp][:2] == "20" and "T" in task[stamp], task


def test_discovery_advertises_the_tasks_extension(host: StdioHost) -> None:
    discovered = host.result("server/discover")
    assert TASKS in discovered["capabilities"]["extensions"], discovered


def test_a_data_load_task_is_followed_to_its_result(backend: Backend, host: StdioHost) -> None:
    created = host.call("trigger_data_loading", {"symbol": "AAPL", "timeframe": "1h", "mode": "local"})
    assert created["resultType"] == "task", created
    task_id = created["taskId"]
    assert task_id.startswith("op_data_load_"), created
    check_task(created, task_id)
    finished = host.wait_for(task_id, lambda task: task["status"] != "working")
    assert finished["status"] == "completed", finished
    check_task(finished, task_id)
    assert finished["createdAt"] == created["createdAt"]
    results = host.call("get_operation_results", {"operation_id": task_id}, tasks=False)
    assert finished["result"]["structuredContent"] == results["structuredContent"]
    assert finished["result"]["isError"] is False


def test_a_training_task_shows_progress_is_cancelled_and_another_host_reads_it(
    backend: Backend, host: StdioHost
) -> None:
    created = host.call("start_training", {"strategy_config_path": "mlp_long", "symbols": ["AAPL"]})
    assert created["resultType"] == "task", created
    task_id = created["taskId"]
    assert task_id.startswith("op_training_"), created
    working = host.wait_for(task_id, lambda task: "Epoch" in task.get("statusMessage", ""))
    assert working["status"] == "working", working

    other = StdioHost(backend.api_url)
    try:
        assert other.get(task_id)["status"] == "working"
        assert other.result("tasks/cancel", {"taskId": task_id}) is not None
    finally:
        other.close()
    stopped = host.wait_for(task_id, lambda task: task["status"] != "working")
    # The plan-era backend reports a cancelled training as failed ("Training operation cancelled").
    if stopped["status"] == "completed":
        assert stopped["result"]["isError"] is True, stopped
        assert "cancelled" in stopped["result"]["content"][0]["text"].lower(), stopped
    else:
        assert stopped["status"] == "cancelled", stopped
    # A finished task is acknowledged unchanged.
    assert host.result("tasks/cancel", {"taskId": task_id}) is not None
    assert host.get(task_id)["status"] == stopped["status"]


@pytest.mark.parametrize("task_id", ["op_data_load_20990101_000000_deadbeef", "../health", "a/b?x=1", " "])
def test_unknown_and_malformed_task_ids_are_invalid_params(host: StdioHost, task_id: str) -> None:
    for method in ("tasks/get", "tasks/cancel"):
        response = host.request(method, {"taskId": task_id})
        assert response["error"]["code"] == -32602, response
        assert task_id.strip() in response["error"]["message"] or "Unknown task" in response["error"]["message"]


def test_a_client_without_the_extension_gets_plain_results(host: StdioHost) -> None:
    started = host.call("trigger_data_loading", {"symbol": "AAPL", "mode": "local"}, tasks=False)
    assert started.get("resultType", "complete") == "complete", started
    assert started["structuredContent"]["operation_id"].startswith("op_data_load_"), started
    refused = host.request("tasks/get", {"taskId": started["structuredContent"]["operation_id"]}, tasks=False)
    assert refused["error"]["code"] == -32021, refused
