"""The plan's three workflows through the official MCP Python SDK, under both protocol eras."""

import anyio
import pytest

from harness import Backend
from workflows import WORKFLOWS, ToolSession

MODES = {"legacy": "initialize handshake", "auto": "server/discover"}


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("workflow", list(WORKFLOWS))
def test_workflow(workflow: str, mode: str) -> None:
    """Each workflow passes against a fresh backend, whichever era the client negotiates."""

    async def run() -> None:
        with Backend() as backend:
            async with ToolSession.open(backend.api_url, mode) as session:
                era_is_modern = session.client.protocol_version >= "2026"
                assert era_is_modern == (mode == "auto"), (
                    f"{MODES[mode]} negotiated {session.client.protocol_version}"
                )
                await WORKFLOWS[workflow](session)

    anyio.run(run)
