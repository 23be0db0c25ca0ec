"""Start the real reference backend and describe the real MCP host, for the E2E tests and the demo."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from mcp.client.stdio import StdioServerParameters

REPO = Path(__file__).resolve().parents[2]


def _target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")


def _binary(env_var: str, name: str) -> str:
    path = Path(os.environ.get(env_var) or _target_dir() / "release" / name)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `make build` first (or set {env_var})")
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
