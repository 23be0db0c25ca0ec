"""Write TOOLS.md from a real run: each tool's schemas as the host serves them, and examples that
are real calls against the reference backend (`make docs`). `test_tools_doc.py` checks that the
examples still fit the current schemas."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import anyio

from harness import REPO, Backend
from workflows import FINAL_STATUSES, LONG_STRATEGY, ToolSession

TOOLS_MD = REPO / "TOOLS.md"

ORDER = [
    "trigger_data_loading",
    "start_training",
    "list_operations",
    "get_operation_status",
    "cancel_operation",
    "get_operation_results",
    "get_market_data",
]

INTRO = """# Tools

The seven tools that `ktrdr-mcp` serves, as an MCP client sees them. Names, descriptions,
parameter and result schemas, defaults, ranges and hints all come from the component's WIT
(`wit/ktrdr.wit`); the examples are real calls against the reference backend, serving the
plan-era KTRDR API unless an example says "2026 API".

This file is written by `make docs` (`tests/e2e/tools_doc.py`) from a real run; `make test`
checks that every example still fits the current schemas.

## Agent patterns

- **Fire and forget.** `trigger_data_loading` and `start_training` return at once with an
  `operation_id`; the work runs in the background. Keep the id, do something else, come back.
- **Monitor.** Poll `get_operation_status` every few seconds: `status` goes `pending` →
  `running` → `completed` | `failed` | `cancelled`; `progress.percentage`,
  `progress.current_step` and `progress.context` (epochs, batches, losses; data segments) show
  how far it got. When it is `completed`, `get_operation_results` has the metrics.
- **Discover.** Lost an id, or starting a new session? `list_operations` with `active_only`,
  `operation_type` or `status` finds operations, newest first; page with `limit`, `offset` and
  the result's `next_offset`.
- **Stop.** `cancel_operation` stops a pending or running operation at its next checkpoint.
- **Check the data.** `get_market_data` reads the bars a load brought into the cache.

## Task mode

A client that declares MCP's tasks extension (`io.modelcontextprotocol/tasks`, 2026-07-28: in
the request's `_meta["io.modelcontextprotocol/clientCapabilities"].extensions`) gets a **task**
from `trigger_data_loading` and `start_training` instead of the started operation. The task id
*is* the KTRDR operation id, and the backend is the task store: any `ktrdr-mcp` process (another
replica, or this one after a restart) answers `tasks/get` and `tasks/cancel` for it, and the
tools above still work on the same id. Without the capability a call is answered as before.

| operation | task |
|---|---|
| `pending`, `resuming`, `running` | `working`; `statusMessage` is `progress.current_step` |
| `completed` | `completed`; `result` is what `get_operation_results` returns |
| `failed` | `completed`; `result` is an `isError` result with the error message |
| `cancelled` | `cancelled` |

An unknown or malformed task id is JSON-RPC `-32602`; `tasks/cancel` of a finished task is
acknowledged unchanged. `createdAt` is the operation's; `ttlMs` is `null` (the backend keeps
operations); `pollIntervalMs` is 1000. From a real run (stdio, abridged):

```json
→ {"method": "tools/call", "params": {"name": "start_training", "arguments": {"strategy_config_path": "mlp_basic", "symbols": ["AAPL"]}, "_meta": {…, "io.modelcontextprotocol/clientCapabilities": {"extensions": {"io.modelcontextprotocol/tasks": {}}}}}}
← {"resultType": "task", "taskId": "op_training_20261205_014213_7a8d32f4", "status": "working", "statusMessage": "Loading market data", "createdAt": "2026-12-05T01:42:13.785087Z", "lastUpdatedAt": "2026-12-05T01:42:13.785678459Z", "ttlMs": null, "pollIntervalMs": 1000}
→ {"method": "tasks/get", "params": {"taskId": "op_training_20261205_014213_7a8d32f4", "_meta": {…}}}
← {"resultType": "complete", "taskId": "op_training_20261205_014213_7a8d32f4", "status": "working", "statusMessage": "Epoch 4/60 · Batch 30/66", …}
← {"resultType": "complete", "taskId": "op_training_20261205_014213_7a8d32f4", "status": "completed", "statusMessage": "Epoch 60/60 · Batch 66/66", …, "result": {"content": […], "structuredContent": {"operation_id": "op_training_20261205_014213_7a8d32f4", "status": "completed", "results": {"model_path": …}}, "isError": false}}
→ {"method": "tasks/get", "params": {"taskId": "op_nope", "_meta": {…}}}
← {"error": {"code": -32602, "message": "Unknown task `op_nope`: Operation not found: op_nope (HTTP 404). Use list_operations to find valid operation ids.", "data": {…}}}
```

Served: the 2026-07-28 form (`resultType: "task"`, `tasks/get`, `tasks/cancel`), on stdio and
over HTTP. Not served: the 2025-11-25 experimental form (`params.task`, `tasks/result`,
`tasks/list`); `list_operations` lists operations instead.

## Two KTRDR API generations

The tools work against the plan-era KTRDR API (2025) and the current one (2026-04) with no
setting; the component finds the backend's data-load route on its first load and keeps it.
What differs for an agent:

| | plan-era backend | 2026 backend |
|---|---|---|
| data-load modes | `local`, `tail`, `backfill`, `full` | `tail`, `backfill`, `full`; `local` is refused (`invalid_argument`) |
| data-load results | `status`, `fetched_bars`, `cached_before`, `merged_file`, `gaps_analyzed`, `segments_fetched` | `symbol`, `timeframe`, `mode`, `rows_downloaded`, `cache_hit`, `gaps_filled` |
| data loads in listings | `symbol` is `"N/A"`; the real one is in the status's `progress.context` while it runs | the real symbol |
| statuses | `pending`, `running`, `completed`, `failed`, `cancelled` | also `resuming`, for the whole run of a training resumed from a checkpoint |
| a cancelled training | reads `cancelled`, then `failed` ("Training operation cancelled") when its worker stops | stays `cancelled` |
| a finished training's status and results | HTTP 500 (the backend cannot serialize them): `get_operation_status` says so (`backend_error`), `get_operation_results` reads the metrics from the performance route and says so in `note` | served |
| starting a training | always accepted | `backend_error` HTTP 503 "No training workers available" while every worker is busy (and for ~10 s after a training ends): wait, then call again |

A status or kind that this component does not know (from a newer backend) reads `unknown`;
the rest of a listing is kept.

## Errors

A failed call is an MCP tool result with `isError: true` and no `structuredContent` (that
describes success, and clients validate it against the `outputSchema`). Its text is one line
(`code (HTTP status): message`), then the error object `{status_code, code, message, details}`
as JSON on the next line: `status_code` is the backend's HTTP
status (0 when the backend was not asked or did not answer), `message` says what went wrong and
what to do, `details` holds the backend's error body as JSON. `code` is one of:

| code | meaning | what to do |
|---|---|---|
| `invalid_argument` | an argument was refused before any request; the message names it | fix the argument |
| `not_found` | the backend has no such operation (404) | find ids with `list_operations` |
| `rejected` | the backend refused the request as it stands (400): cancelling a finished operation, results of an unfinished one, an unknown strategy | read the message |
| `validation_failed` | the backend's request validation failed (422); `details` lists the fields | fix the fields |
| `backend_error` | the backend failed internally (5xx) | retry later |
| `unavailable` | the backend did not answer at `KTRDR_API_URL` | start it, or fix the URL |
| `timeout` | no answer within `API_TIMEOUT` seconds | retry; raise the timeout |
| `blocked` | the sandbox refused the destination: only the configured backend may be reached | fix `KTRDR_API_URL` or `--allow-host` |
| `bad_response` | the backend's answer was not the expected JSON | check the backend version |
| `configuration` | the component's configuration is invalid | fix `KTRDR_API_URL` / `API_TIMEOUT` |

Arguments that break a tool's `inputSchema` (wrong type, missing, unknown, out of range) get an
`invalid_argument` error from the host that names the argument and what it expects.
"""


def _type_of(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " \\| ".join(f"`{json.dumps(value)}`" for value in schema["enum"])
    kind = schema.get("type", "any JSON")
    if kind == "array":
        return f"array of {_type_of(schema.get('items', {}))}"
    if kind == "integer" and "minimum" in schema:
        return f"integer {schema['minimum']}..{schema.get('maximum', '')}"
    return str(kind)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _parameters(schema: dict[str, Any]) -> str:
    properties = schema.get("properties", {})
    if not properties:
        return "No parameters.\n"
    rows = ["| parameter | type | required | default | description |", "|---|---|---|---|---|"]
    for name, spec in properties.items():
        default = f"`{json.dumps(spec['default'])}`" if "default" in spec else ""
        required = "yes" if name in schema.get("required", []) else ""
        rows.append(
            f"| `{name}` | {_type_of(spec)} | {required} | {default} | {_cell(spec.get('description', ''))} |"
        )
    return "\n".join(rows) + "\n"


def _result_fields(schema: dict[str, Any]) -> str:
    rows = ["| field | type | description |", "|---|---|---|"]
    for name, spec in schema.get("properties", {}).items():
        rows.append(f"| `{name}` | {_type_of(spec)} | {_cell(spec.get('description', ''))} |")
    return "\n".join(rows) + "\n"


def _hints(tool: Any) -> str:
    annotations = tool.annotations.model_dump(by_alias=True, exclude_none=True) if tool.annotations else {}
    names = {"readOnlyHint": "read-only", "destructiveHint": "destructive",
             "idempotentHint": "idempotent", "openWorldHint": "open-world"}
    shown = [label for key, label in names.items() if annotations.get(key)]
    return ", ".join(shown) or "none"


def _block(kind: str, value: Any) -> str:
    return f"```json {kind}\n{json.dumps(value, indent=2, ensure_ascii=False)}\n```\n"


EXAMPLE = re.compile(r"^## `(\w+)`$|^```json (arguments|result|error|error-2026)\n(.*?)\n```$", re.M | re.S)

Examples = dict[str, list[tuple[str, dict[str, Any], dict[str, Any]]]]
"""Per tool, its examples as (kind, arguments, answer), kind being "result", "error", or
"error-2026" (an error from a backend serving the 2026 API)."""

EXAMPLE_TITLES = {"result": "call", "error": "error", "error-2026": "error (2026 API)"}


def parse_examples(text: str) -> Examples:
    """The examples of a TOOLS.md text, per tool, in order."""
    found: Examples = {}
    tool, arguments = "", {}
    for match in EXAMPLE.finditer(text):
        if match.group(1):
            tool = match.group(1)
            found[tool] = []
        elif match.group(2) == "arguments":
            arguments = json.loads(match.group(3))
        else:
            found[tool].append((match.group(2), arguments, json.loads(match.group(3))))
    return found


async def _examples(session: ToolSession) -> Examples:
    """Real calls of every tool, succeeding and failing."""
    examples: Examples = {name: [] for name in ORDER}

    async def ok(name: str, **arguments: Any) -> dict[str, Any]:
        answer = await session.call(name, **arguments)
        examples[name].append(("result", arguments, answer))
        return answer

    async def error(name: str, **arguments: Any) -> None:
        examples[name].append(("error", arguments, await session.call_error(name, **arguments)))

    load = await ok("trigger_data_loading", symbol="AAPL", timeframe="1h", mode="local")
    await error("trigger_data_loading", symbol="AAPL", mode="ib")
    await session.wait_for(load["operation_id"], lambda s: s["status"] in FINAL_STATUSES, "a final status")
    training = await ok("start_training", strategy_config_path=LONG_STRATEGY, symbols=["AAPL"], timeframes=["1h"])
    await error("start_training", strategy_config_path="mlp_basic", symbols=["AAPL"], training_config={"epochs": 5})
    await session.wait_for(
        training["operation_id"], lambda s: s["progress"]["items_processed"] > 0, "batch progress"
    )
    await ok("list_operations", limit=2)
    await error("list_operations", limit=0)
    await ok("get_operation_status", operation_id=training["operation_id"])
    await error("get_operation_status", operation_id="op_nope")
    await error("get_operation_results", operation_id=training["operation_id"])
    await ok("cancel_operation", operation_id=training["operation_id"], reason="example: changed strategy")
    await error("cancel_operation", operation_id=training["operation_id"])
    await ok("get_operation_results", operation_id=load["operation_id"])
    await ok("get_market_data", symbol="AAPL", timeframe="1h", limit=3)
    await error("get_market_data", symbol="AAPL", timeframe="hour1")
    return examples


async def _examples_2026(session: ToolSession, examples: Examples) -> None:
    """Calls whose answers differ on a 2026 backend with one training worker."""

    async def error(name: str, **arguments: Any) -> None:
        examples[name].append(("error-2026", arguments, await session.call_error(name, **arguments)))

    await error("trigger_data_loading", symbol="AAPL", mode="local")
    await session.call("start_training", quiet=True, strategy_config_path=LONG_STRATEGY, symbols=["AAPL"])
    await error("start_training", strategy_config_path=LONG_STRATEGY, symbols=["MSFT"])


def render(tools: dict[str, Any], examples: Examples) -> str:
    """TOOLS.md from the served tools and the real examples."""
    parts = [INTRO]
    for name in ORDER:
        tool = tools[name]
        parts.append(f"\n## `{name}`\n\n{tool.description}\n\nHints: {_hints(tool)}.\n\n### Parameters\n\n")
        parts.append(_parameters(tool.input_schema))
        parts.append("\n### Result\n\n")
        parts.append(_result_fields(tool.output_schema))
        for kind, arguments, answer in examples[name]:
            parts.append(f"\n### Example {EXAMPLE_TITLES[kind]}\n\n")
            parts.append(_block("arguments", arguments))
            parts.append(_block(kind, answer))
    return "".join(parts)


async def main() -> None:
    with Backend() as backend:
        async with ToolSession.open(backend.api_url, "auto") as session:
            tools, examples = session.tools, await _examples(session)
    with Backend("--api", "2026", "--training-workers", "1") as backend:
        async with ToolSession.open(backend.api_url, "auto", api="2026") as session:
            await _examples_2026(session, examples)
    TOOLS_MD.write_text(render(tools, examples))
    print(f"wrote {TOOLS_MD}", file=sys.stderr)


if __name__ == "__main__":
    anyio.run(main)
