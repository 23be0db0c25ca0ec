"""TOOLS.md stays true: its examples fit the tools' current schemas, and its reference tables are
what the host serves now."""

import re
from typing import Any

import anyio
import jsonschema

from harness import Backend
from tools_doc import ORDER, TOOLS_MD, parse_examples, render
from workflows import ToolSession

ERROR_SCHEMA = {
    "type": "object",
    "required": ["status_code", "code", "message", "details"],
    "additionalProperties": False,
    "properties": {
        "status_code": {"type": "integer", "minimum": 0, "maximum": 599},
        "code": {"type": "string"},
        "message": {"type": "string", "pattern": "^[^\\n]+$"},
        "details": {"type": "object"},
    },
}


def _served_tools() -> dict[str, Any]:
    async def fetch() -> dict[str, Any]:
        with Backend() as backend:
            async with ToolSession.open(backend.api_url, "legacy") as session:
                return session.tools

    return anyio.run(fetch)


def test_every_example_fits_the_current_schemas() -> None:
    tools = _served_tools()
    examples = parse_examples(TOOLS_MD.read_text())
    assert list(examples) == ORDER
    for tool, found in examples.items():
        assert any(kind == "result" for kind, _, _ in found), f"{tool} has no successful example"
        for kind, arguments, answer in found:
            if kind == "result":
                jsonschema.validate(arguments, tools[tool].input_schema)
                jsonschema.validate(answer, tools[tool].output_schema)
            else:
                jsonschema.validate(answer, ERROR_SCHEMA)


def test_reference_tables_match_the_served_tools() -> None:
    current = TOOLS_MD.read_text()
    regenerated = render(_served_tools(), parse_examples(current))
    assert regenerated == current, "TOOLS.md is stale: run `make docs`"
