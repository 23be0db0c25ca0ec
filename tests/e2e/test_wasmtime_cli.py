"""The component in the wasmtime CLI (`make test-wasmtime-cli`), called as docs/runtimes.md shows:
`wasmtime run -S http --env KTRDR_API_URL=... --invoke 'CALL'` with the arguments in WAVE, and
the two ways to get it wrong: no arguments at all, and no `-S http`. Skipped unless
`WASMTIME_BIN` names a wasmtime binary.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from harness import REPO, Backend

WASMTIME = os.environ.get("WASMTIME_BIN")
COMPONENT = REPO / "target" / "wasm32-wasip2" / "component" / "ktrdr_tools.wasm"

pytestmark = pytest.mark.skipif(not WASMTIME, reason="WASMTIME_BIN is unset: `make test-wasmtime-cli` runs this")


def invoke(api_url: str, call: str, *flags: str) -> subprocess.CompletedProcess[str]:
    assert WASMTIME is not None
    command = [WASMTIME, "run", *flags, "--env", f"KTRDR_API_URL={api_url}", "--invoke", call, str(COMPONENT)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_wave_calls_in_the_wasmtime_cli() -> None:
    with Backend() as backend:
        listed = invoke(backend.api_url, "list-operations(none, none, none, some(5), none)", "-S", "http")
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.startswith("ok(") and "total-count: 0" in listed.stdout

        market = 'get-market-data("AAPL", some(day1), none, none, none, some(2))'
        bars = invoke(backend.api_url, market, "-S", "http")
        assert bars.returncode == 0, bars.stderr
        assert 'symbol: "AAPL"' in bars.stdout and "truncated: true" in bars.stdout

        missing = invoke(backend.api_url, 'get-operation-status("op_unknown")', "-S", "http")
        assert missing.stdout.startswith("err(") and "code: not-found" in missing.stdout

        training = 'start-training("mlp_basic", ["AAPL"], some([hour1]), none, none, none)'
        assert 'strategy-name: "mlp_basic"' in invoke(backend.api_url, training, "-S", "http").stdout

        # Trailing options may be left out, but not every argument.
        assert invoke(backend.api_url, "list-operations(none)", "-S", "http").stdout.startswith("ok(")
        no_arguments = invoke(backend.api_url, "list-operations()", "-S", "http")
        assert no_arguments.returncode != 0 and "no params provided" in no_arguments.stderr

        without_http = invoke(backend.api_url, "list-operations(none)")
        assert without_http.returncode != 0 and "wasi:http" in without_http.stderr
