"""`make package`'s OCI artifact through a real registry: Debian's docker-registry (CNCF
distribution, installed by `make setup`) on a free loopback port with its storage in a temp dir.
The artifact is pushed as `make publish` pushes it, pulled back by digest, and the pulled
component serves MCP tools through the bundled host against the reference backend.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import oras.provider
import pytest

from harness import REPO, Backend, free_port
from workflows import ToolSession

LAYOUT = REPO / "target" / "oci"
COMPONENT = REPO / "target" / "wasm32-wasip2" / "component" / "ktrdr_tools.wasm"
VERSION = tomllib.loads((REPO / "Cargo.toml").read_text())["package"]["version"]


def _blob(digest: str) -> bytes:
    return (LAYOUT / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()


def _layout_manifest() -> tuple[dict, dict]:
    """The layout's one manifest descriptor (from index.json) and the manifest itself."""
    if not (LAYOUT / "index.json").is_file():
        pytest.fail(f"{LAYOUT} is missing: run `make package`")
    [descriptor] = json.loads((LAYOUT / "index.json").read_text())["manifests"]
    return descriptor, json.loads(_blob(descriptor["digest"]))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`host:port` of a fresh local OCI registry (plain http, loopback only)."""
    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.fail("docker-registry is missing: run `make setup` (Debian's docker-registry package)")
    root = tmp_path_factory.mktemp("registry")
    address = f"127.0.0.1:{free_port()}"
    config = root / "config.yml"
    config.write_text(
        f"version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'storage'}\nhttp:\n  addr: {address}\n"
    )
    process = subprocess.Popen([binary, "serve", str(config)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(f"http://{address}/v2/").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"docker-registry did not start on {address}")
            time.sleep(0.05)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_artifact_is_the_component_tagged_with_the_version() -> None:
    descriptor, manifest = _layout_manifest()
    assert descriptor["annotations"]["org.opencontainers.image.ref.name"] == VERSION
    assert manifest["annotations"]["org.opencontainers.image.version"] == VERSION
    assert manifest["config"]["mediaType"] == "application/vnd.wasm.config.v0+json"
    [layer] = manifest["layers"]
    assert layer["mediaType"] == "application/wasm"
    assert _blob(layer["digest"]) == COMPONENT.read_bytes(), "the component changed: run `make package`"
    config = json.loads(_blob(manifest["config"]["digest"]))
    assert (config["architecture"], config["os"]) == ("wasm", "wasip2")
    assert config["layerDigests"] == [layer["digest"]]
    assert config["component"]["target"] == f"ktrdr:mcp/ktrdr-tools@{VERSION}"
    assert config["component"]["exports"] == ["tools"]
    assert "wasi:http/outgoing-handler@0.2.4" in config["component"]["imports"]


def test_pushed_pulled_by_digest_and_served_by_the_host(registry: str, tmp_path: Path) -> None:
    descriptor, manifest = _layout_manifest()
    repository = f"{registry}/ktrdr/tools"
    push = [sys.executable, str(REPO / "packaging" / "oci.py"), "push", str(LAYOUT), f"{repository}:{VERSION}"]
    pushed = subprocess.run([*push, "--insecure"], check=True, capture_output=True, text=True).stdout
    assert f"digest: {descriptor['digest']}" in pushed

    client = oras.provider.Registry(insecure=True)
    tagged = httpx.head(
        f"http://{registry}/v2/ktrdr/tools/manifests/{VERSION}",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    assert tagged.headers["Docker-Content-Digest"] == descriptor["digest"]
    pulled_manifest = client.get_manifest(f"{repository}@{descriptor['digest']}")
    assert pulled_manifest == manifest
    [layer] = pulled_manifest["layers"]
    pulled = tmp_path / "ktrdr_tools.wasm"
    client.download_blob(f"{repository}@{descriptor['digest']}", layer["digest"], str(pulled))
    assert hashlib.sha256(pulled.read_bytes()).hexdigest() == layer["digest"].removeprefix("sha256:")
    assert pulled.read_bytes() == COMPONENT.read_bytes()

    async def serve() -> None:
        with Backend() as backend:
            host_args = ("--component", str(pulled))
            async with ToolSession.open(backend.api_url, "legacy", host_args=host_args) as session:
                listing = await session.call("list_operations", limit=5)
                assert listing["total_count"] == 0
                bars = await session.call("get_market_data", symbol="AAPL", timeframe="1d", limit=2)
                assert len(bars["bars"]) == 2

    anyio.run(serve)
