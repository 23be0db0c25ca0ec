"""`make demo`: the plan's three workflows through the real host and the official MCP Python SDK,
against the reference backend serving each KTRDR API generation in turn (the plan-era API and
the 2026 one), with a short transcript of each call."""

import sys
import time

import anyio

from harness import Backend
from workflows import API_GENERATIONS, WORKFLOWS, ToolSession, WorkflowError


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
    print(
        f"All three workflows passed against both KTRDR API generations in "
        f"{time.monotonic() - started:.1f} s; backends and hosts stopped."
    )
    return 0


if __name__ == "__main__":
    sys.exit(anyio.run(main))
