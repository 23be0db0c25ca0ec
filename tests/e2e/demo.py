"""`make demo`: the plan's three workflows through the real host and the official MCP Python SDK,
against the reference backend serving each KTRDR API generation in turn (the plan-era API and
the 2026 one), with a short transcript of each call."""

import json
import sys
import time

import anyio

from harness import Backend, StdioHost
from workflows import API_GENERATIONS, QUICK_STRATEGY, WORKFLOWS, ToolSession, WorkflowError, check


def training_in_task_mode() -> None:
    """The training workflow as MCP tasks: the start tool answers a task, `tasks/get` follows it
    to its result, and a second host process reads the same task from the backend."""
    with Backend("--api", "2026") as backend:
        print(f"Task mode (MCP tasks extension), KTRDR 2026 API on {backend.api_url}; raw JSON-RPC on stdio")
        host = StdioHost(backend.api_url)
        try:
            created = host.call("start_training", {"strategy_config_path": QUICK_STRATEGY, "symbols": ["AAPL"]})
            check(created.get("resultType") == "task", f"no task: {created}")
            task_id = created["taskId"]
            print(f"  → tools/call start_training  ← task {task_id} ({created['status']}, polls every {created['pollIntervalMs']} ms)")
            shown = 0.0

            def finished(task: dict) -> bool:
                nonlocal shown
                if time.monotonic() - shown > 0.4 and task["status"] == "working":
                    print(f"  → tasks/get  ← working: {task.get('statusMessage', '')}")
                    shown = time.monotonic()
                return task["status"] != "working"

            done = host.wait_for(task_id, finished)
            check(done["status"] == "completed" and not done["result"]["isError"], f"did not complete: {done}")
            results = done["result"]["structuredContent"]["results"]
            metrics = json.dumps(results.get("training_metrics") or results)[:90]
            print(f"  → tasks/get  ← completed; result: {metrics}…")
        finally:
            host.close()
        other = StdioHost(backend.api_url)
        try:
            again = other.get(task_id)
            check(again["status"] == "completed", f"another host read {again['status']}")
            print(f"  another ktrdr-mcp process: tasks/get {task_id} ← {again['status']} (the backend is the task store)")
        finally:
            other.close()


async def main() -> int:
    started = time.monotonic()
    for api in API_GENERATIONS:
        with Backend("--api", api) as backend:
            print(f"Reference backend (KTRDR {api} API) on {backend.api_url}; host: ktrdr-mcp over stdio\n")
            async with ToolSession.open(backend.api_url, "auto", say=print, api=api) as session:
                print(f"MCP {session.client.protocol_version}; tools: {', '.join(sorted(session.tools))}\n")
                for run in WORKFLOWS.values():
                    try:
                        await run(session)
                    except WorkflowError as error:
                        print(f"\nFAILED: {error}", file=sys.stderr)
                        return 1
                    print()
    try:
        training_in_task_mode()
    except WorkflowError as error:
        print(f"\nFAILED: {error}", file=sys.stderr)
        return 1
    print(
        f"\nAll three workflows passed against both KTRDR API generations, and training in task mode, in "
        f"{time.monotonic() - started:.1f} s; backends and hosts stopped."
    )
    return 0


if __name__ == "__main__":
    sys.exit(anyio.run(main))
