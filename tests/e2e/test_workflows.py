"""The plan's three workflows through the official MCP Python SDK: under both protocol eras
against the plan-era KTRDR API, and against the 2026 API; plus the plan-era backend's defect
for finished trainings."""

import anyio
import pytest

from harness import Backend
from workflows import QUICK_STRATEGY, WORKFLOWS, ToolSession, check

MODES = {"legacy": "initialize handshake", "auto": "server/discover"}

RUNS = [("2025", mode) for mode in MODES] + [("2026", "auto")]
"""(KTRDR API generation, MCP client mode): every era on the plan's API, today's API once."""


@pytest.mark.parametrize(("api", "mode"), RUNS)
@pytest.mark.parametrize("workflow", list(WORKFLOWS))
def test_workflow(workflow: str, api: str, mode: str) -> None:
    """Each workflow passes against a fresh backend, whichever era the client negotiates and
    whichever API generation the backend serves."""

    async def run() -> None:
        with Backend("--api", api) as backend:
            async with ToolSession.open(backend.api_url, mode, api=api) as session:
                era_is_modern = session.client.protocol_version >= "2026"
                assert era_is_modern == (mode == "auto"), (
                    f"{MODES[mode]} negotiated {session.client.protocol_version}"
                )
                await WORKFLOWS[workflow](session)

    anyio.run(run)


def test_finished_training_on_the_plan_era_backend_that_cannot_serialize_it() -> None:
    """Upstream at the plan's commit answers 500 to the status and results of every completed
    training (contract §7.4): results come from the performance route, with a note; the status
    says what happened and what to call; and the calls after the 500s (on connections the
    backend dropped) still succeed."""

    async def run() -> None:
        with Backend("--defect", "training-result-500") as backend:
            async with ToolSession.open(backend.api_url, "auto") as session:
                started = await session.call(
                    "start_training", ("operation_id",), strategy_config_path=QUICK_STRATEGY, symbols=["AAPL"]
                )
                operation_id = started["operation_id"]

                async def finished() -> bool:
                    listing = await session.call("list_operations", quiet=True, operation_type="training")
                    rows = {op["operation_id"]: op for op in listing["operations"]}
                    return rows[operation_id]["status"] == "completed"

                with anyio.fail_after(120):
                    while not await finished():
                        await anyio.sleep(0.1)
                for _ in range(3):
                    status = await session.call_error("get_operation_status", operation_id=operation_id)
                    check(status["code"] == "backend_error" and status["status_code"] == 500, f"status: {status}")
                    check("retrying will not help" in status["message"], status["message"])
                    check("get_operation_results" in status["message"], status["message"])
                    results = await session.call("get_operation_results", ("status", "note"), operation_id=operation_id)
                    check(results["status"] == "completed", f"results: {results}")
                    check("performance" in (results["note"] or ""), f"no note on fallback results: {results}")
                    for section in ("training_metrics", "test_metrics", "model_info"):
                        check(section in results["results"], f"fallback results lack {section}")

    anyio.run(run)
