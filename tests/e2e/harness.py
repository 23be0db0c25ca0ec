"""Start the real reference backend and describe the real MCP host, for the E2E tests and the demo."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

REPO = Path(__file__).resolve().parents[2]


def _target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")


def _binary(env_var: str, name: str) -> str:
    """The binary `env_var` names, else the one the tests run: the quick profile's."""
    path = Path(os.environ.get(env_var) or _target_dir() / "quick" / name)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `make test-build` first (or set {env_var})")
    return str(path)


def host_binary() -> str:
    """Path of the `ktrdr-mcp` host binary (`KTRDR_MCP_BIN` overrides)."""
    return _binary("KTRDR_MCP_BIN", "ktrdr-mcp")


def backend_binary() -> str:
    """Path of the `ktrdr-backend` reference backend binary (`KTRDR_BACKEND_BIN` overrides)."""
    return _binary("KTRDR_BACKEND_BIN", "ktrdr-backend")


class Backend:
    """The reference backend on a free loopback port, with seeded sample data in a temp dir."""

    def __init__(self, *extra_args: str, port: int = 0) -> None:
        self._extra_args = extra_args
        self._dir = ""
        self._process: subprocess.Popen[str] | None = None
        self.port = port

    @property
    def api_url(self) -> str:
        """Base URL with the API prefix, as `KTRDR_API_URL` carries it."""
        return f"http://127.0.0.1:{self.port}/api/v1"

    def __enter__(self) -> Backend:
        self._dir = tempfile.mkdtemp(prefix="ktrdr-e2e-")
        dirs = {name: os.path.join(self._dir, name) for name in ("data", "models", "strategies")}
        self._process = subprocess.Popen(
            [
                backend_binary(),
                "--port", str(self.port),
                "--data-dir", dirs["data"],
                "--models-dir", dirs["models"],
                "--strategies-dir", dirs["strategies"],
                "--seed-data",
                *self._extra_args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._process.stdout is not None
        first_line = self._process.stdout.readline().strip()
        if not first_line.isdigit():
            self.__exit__(None, None, None)
            raise RuntimeError(f"backend did not print its port (got {first_line!r})")
        self.port = int(first_line)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._dir, ignore_errors=True)


def host_parameters(api_url: str, *extra_args: str) -> StdioServerParameters:
    """How an MCP client spawns the real host against `api_url`."""
    return StdioServerParameters(
        command=host_binary(),
        args=list(extra_args),
        env={"KTRDR_API_URL": api_url, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
    )


def rss_kib(pid: int) -> int:
    """Resident set size of process `pid` in KiB (`VmRSS` in `/proc/<pid>/status`)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"process {pid} reports no VmRSS")


def host_pid() -> int:
    """The pid of the one host process this test process has spawned (e.g. through the MCP SDK)."""
    binary = os.path.realpath(host_binary())
    children = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            exe = os.path.realpath(status.parent / "exe")
        except OSError:
            continue
        if int(fields.get("PPid", "0")) == os.getpid() and exe == binary:
            children.append(int(status.parent.name))
    if len(children) != 1:
        raise RuntimeError(f"expected one running host child process, found {children}")
    return children[0]


def component_path(name: str) -> str:
    """Path of a host test component (`host/test-components`, e.g. `probe`), built on first use."""
    out = _target_dir() / "test-components"
    path = out / "wasm32-wasip2" / "release" / f"{name}.wasm"
    if not path.is_file():
        manifest = REPO / "host" / "test-components" / "Cargo.toml"
        subprocess.run(
            ["cargo", "build", "--release", "--target", "wasm32-wasip2", "--manifest-path", str(manifest),
             "--target-dir", str(out)],
            check=True,
        )
    return str(path)


class RemoteHost:
    """The real host serving MCP Streamable HTTP (`--http`) on a free loopback port."""

    def __init__(self, api_url: str, *extra_args: str) -> None:
        self._command = [host_binary(), "--http", "127.0.0.1:0", *extra_args]
        self._env = {"KTRDR_API_URL": api_url, "RUST_LOG": "info", "NO_COLOR": "1"}
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.log: list[str] = []

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/")[0])

    def __enter__(self) -> RemoteHost:
        self.process = subprocess.Popen(
            self._command, env=self._env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True,
        )
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            if "serving MCP on " in line:
                self.url = line.split("serving MCP on ", 1)[1].split()[0]
                break
        else:
            raise RuntimeError(f"the host exited before it listened: {''.join(self.log)}")
        # Keep reading, so that the host never blocks on a full pipe.
        threading.Thread(target=self.log.extend, args=(self.process.stderr,), daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class HAProxy:
    """HAProxy (Debian's package) running `deploy/haproxy.cfg` on a free loopback port in front
    of two replicas (host ports): round robin, a 2025-11-25 session kept on the replica that
    created it, the serving replica's name in each answer's `X-Replica` header, and its own
    errors as JSON-RPC errors. Health checks run every 100 ms here, so that a replica's death is
    seen at once."""

    CONFIG = REPO / "deploy" / "haproxy.cfg"

    def __init__(self, replicas: list[int]) -> None:
        first, second = replicas
        self._dir = ""
        self.process: subprocess.Popen[bytes] | None = None
        self.port = free_port()
        self._env = {"LISTEN": f"127.0.0.1:{self.port}", "REPLICA1": f"127.0.0.1:{first}",
                     "REPLICA2": f"127.0.0.1:{second}"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def __enter__(self) -> HAProxy:
        self._dir = tempfile.mkdtemp(prefix="ktrdr-haproxy-")
        config = Path(self._dir) / "haproxy.cfg"
        config.write_text(self.CONFIG.read_text().replace("check inter 1s fall 2", "check inter 100ms fall 1"))
        self.process = subprocess.Popen(
            ["haproxy", "-db", "-f", str(config)], env={**os.environ, **self._env},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("haproxy did not start") from None
                time.sleep(0.05)

    def __exit__(self, *_exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait()
        shutil.rmtree(self._dir, ignore_errors=True)


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_transport(
    url: str, token: str | None = None, on_response: Callable[[httpx2.Response], None] | None = None
) -> Any:
    """The official SDK's Streamable HTTP transport to `url`, sending `token` as a bearer token,
    and calling `on_response` with every HTTP response."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    client = create_mcp_http_client(headers=headers)
    if on_response is not None:

        async def hook(response: httpx2.Response) -> None:
            on_response(response)

        client.event_hooks["response"].append(hook)
    return streamable_http_client(url, http_client=client)


TASKS = "io.modelcontextprotocol/tasks"
"""MCP's tasks extension."""


def request_meta(tasks: bool = True) -> dict[str, Any]:
    """The `_meta` of a stateless 2026-07-28 request, declaring the tasks extension if `tasks`."""
    return {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {"extensions": {TASKS: {}}} if tasks else {},
        "io.modelcontextprotocol/clientInfo": {"name": "tasks-test", "version": "1"},
    }


class StdioHost:
    """The real host on stdio, spoken to in raw JSON-RPC in the stateless 2026-07-28 era, one
    request at a time (the official SDK has no client for the tasks extension yet)."""

    PATIENCE_S = 60

    def __init__(self, api_url: str) -> None:
        self.process = subprocess.Popen(
            [host_binary()], env={"KTRDR_API_URL": api_url, "RUST_LOG": "error", "PATH": os.environ["PATH"]},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self._next_id = 0

    def request(self, method: str, params: dict[str, Any] | None = None, tasks: bool = True) -> dict[str, Any]:
        """Sends `method` with `params` and this client's `_meta` (declaring the tasks extension
        if `tasks`), and returns the whole response."""
        meta = request_meta(tasks)
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

    def wait_for(self, task_id: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Polls `tasks/get` until `done(task)`."""
        deadline = time.monotonic() + self.PATIENCE_S
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
