"""`make demo`: the plan's three workflows against the reference backend, through the real host
and the official MCP Python SDK, with a short transcript of each call."""

import sys
import time

import anyio

from harness import Backend
from workflows import WORKFLOWS, ToolSession, WorkflowError


async def main() -> int:
    started = time.monotonic()
    with Backend() as backend:
        print(f"Reference backend on {backend.api_url}; host: ktrdr-mcp over stdio\n")
        async with ToolSession.open(backend.api_url, "auto", say=print) as session:
            print(f"MCP {session.client.protocol_version}; tools: {', '.join(sorted(session.tools))}\n")
            for run in WORKFLOWS.values():
                try:
                    await run(session)
                except WorkflowError as error:
                    print(f"\nFAILED: {error}", file=sys.stderr)
                    return 1
                print()
    print(f"All three workflows passed in {time.monotonic() - started:.1f} s; backend and host stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(anyio.run(main))
