"""MCP tasks over stdio, in raw JSON-RPC: a client that declares the tasks extension and starts
a data load or a training gets a task whose id is the KTRDR operation id; `tasks/get` follows it
to its result, `tasks/cancel` stops it, and another host process answers for the same task,
because the backend is the task store."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from harness import TASKS, Backend, HAProxy, RemoteHost, StdioHost, request_meta


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


QUICK = {
    "trigger_data_loading": {"symbol": "AAPL", "timeframe": "1h", "mode": "local"},
    "start_training": {"strategy_config_path": "mlp_basic", "symbols": ["AAPL"]},
}
"""Arguments of each start tool for work that finishes in seconds."""


@pytest.mark.parametrize("tool", list(QUICK))
def test_a_task_is_followed_to_its_result(host: StdioHost, tool: str) -> None:
    created = host.call(tool, QUICK[tool])
    assert created["resultType"] == "task", created
    task_id = created["taskId"]
    assert task_id.startswith("op_"), created
    check_task(created, task_id)
    finished = host.wait_for(task_id, lambda task: task["status"] != "working")
    assert finished["status"] == "completed", finished
    check_task(finished, task_id)
    assert finished["createdAt"] == created["createdAt"]
    results = host.call("get_operation_results", {"operation_id": task_id}, tasks=False)
    assert finished["result"]["structuredContent"] == results["structuredContent"]
    assert finished["result"]["isError"] is False


def test_a_data_load_task_is_cancelled_mid_run(host: StdioHost) -> None:
    created = host.call("trigger_data_loading", {"symbol": "MSFT", "mode": "full", "start_date": "2020-01-01"})
    task_id = created["taskId"]
    assert host.result("tasks/cancel", {"taskId": task_id}) is not None
    stopped = host.wait_for(task_id, lambda task: task["status"] != "working")
    assert stopped["status"] == "cancelled", stopped


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


def test_over_http_any_replica_behind_haproxy_answers_for_a_task(backend: Backend) -> None:
    """`tasks/get` through HAProxy round robin: both replicas answer for the same task, no
    sticky routing needed (the `Mcp-Name` header carries the task id)."""
    with (
        RemoteHost(backend.api_url) as first,
        RemoteHost(backend.api_url) as second,
        HAProxy([first.port, second.port]) as balancer,
        httpx2.Client(timeout=30) as http,
    ):

        def post(method: str, name: str, params: dict[str, Any]) -> tuple[dict[str, Any], str]:
            meta = request_meta()
            response = http.post(
                balancer.url,
                json={"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": meta}},
                headers={"accept": "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28",
                         "mcp-method": method, "mcp-name": name},
            )
            data = [line[5:] for line in response.text.splitlines() if line.startswith("data:") and line[5:].strip()]
            return json.loads(data[-1] if data else response.text)["result"], response.headers["x-replica"]

        created, _ = post("tools/call", "trigger_data_loading",
                          {"name": "trigger_data_loading", "arguments": {"symbol": "AAPL", "mode": "local"}})
        task_id = created["taskId"]
        replicas = set()
        for _ in range(4):
            task, replica = post("tasks/get", task_id, {"taskId": task_id})
            assert task["taskId"] == task_id, task
            replicas.add(replica)
        assert replicas == {"r1", "r2"}, replicas
