"""The component as an OCI artifact, in the CNCF "Wasm OCI artifact" layout that the Bytecode
Alliance's tools (wkg, oci-wasm) and Wassette read: one `application/wasm` layer, a config of
type `application/vnd.wasm.config.v0+json` naming the component's imports, exports and WIT world,
and the version as the tag and as `org.opencontainers.image.version`.

    python packaging/oci.py build COMPONENT OUT_DIR    # an OCI image layout (`make package`)
    python packaging/oci.py push OUT_DIR REFERENCE     # to a registry (`make publish`)

The artifact has a single layer because wkg refuses any other: the WIT, with its docs, travels
inside the component (`jco wit` or `wasm-tools component wit` prints it). `SOURCE_DATE_EPOCH`
(the Makefile passes the last commit's time) makes a rebuild of the same component give the
same digest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WIT = REPO / "wit" / "ktrdr.wit"
# jco (`make setup-node`) prints a component's WIT, as `wasm-tools component wit` does.
JCO = REPO / "node_modules" / ".bin" / "jco"

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.wasm.config.v0+json"
LAYER_MEDIA_TYPE = "application/wasm"
REF_NAME = "org.opencontainers.image.ref.name"


def cargo_package() -> dict[str, str]:
    """The root crate's `[package]`: its version is the one the WIT package and the host share."""
    return tomllib.loads((REPO / "Cargo.toml").read_text())["package"]


def wit_world() -> str:
    """The world the component targets, as `namespace:package/world@version`."""
    text = WIT.read_text()
    package = re.search(r"^package ([\w-]+:[\w-]+)@([^;]+);", text, re.MULTILINE)
    world = re.search(r"^world ([\w-]+)", text, re.MULTILINE)
    if not package or not world:
        raise SystemExit(f"{WIT}: no package or world declaration")
    return f"{package[1]}/{world[1]}@{package[2]}"


def imports_and_exports(component: Path) -> tuple[list[str], list[str]]:
    """The component's world imports and exports, named as wit-parser names them."""
    wit = subprocess.run([str(JCO), "wit", str(component)], check=True, capture_output=True, text=True).stdout
    items = re.findall(r"^  (import|export) ([^\s;]+?)(?:;|: )", wit, re.MULTILINE)
    return [name for kind, name in items if kind == "import"], [name for kind, name in items if kind == "export"]


def _write_blob(out: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (out / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def _json(value: object) -> bytes:
    return json.dumps(value, indent=2).encode() + b"\n"


def build(component: Path, out: Path) -> str:
    """Write the OCI image layout of `component` into `out` (replaced); return the manifest digest."""
    created = time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(os.environ.get("SOURCE_DATE_EPOCH", time.time())))
    )
    cargo = cargo_package()
    shutil.rmtree(out, ignore_errors=True)
    (out / "blobs" / "sha256").mkdir(parents=True)
    layer = {"mediaType": LAYER_MEDIA_TYPE, **_write_blob(out, component.read_bytes())}
    layer["annotations"] = {"org.opencontainers.image.title": component.name}
    imports, exports = imports_and_exports(component)
    config = {
        "created": created,
        "architecture": "wasm",
        "os": "wasip2",
        "layerDigests": [layer["digest"]],
        "component": {"exports": exports, "imports": imports, "target": wit_world()},
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, **_write_blob(out, _json(config))},
        "layers": [layer],
        "annotations": {
            "org.opencontainers.image.version": cargo["version"],
            "org.opencontainers.image.created": created,
            "org.opencontainers.image.description": cargo["description"],
            "org.opencontainers.image.licenses": cargo["license"],
        },
    }
    descriptor = {"mediaType": MANIFEST_MEDIA_TYPE, **_write_blob(out, _json(manifest))}
    descriptor["annotations"] = {REF_NAME: cargo["version"]}
    (out / "oci-layout").write_bytes(_json({"imageLayoutVersion": "1.0.0"}))
    (out / "index.json").write_bytes(_json({"schemaVersion": 2, "manifests": [descriptor]}))
    return str(descriptor["digest"])


def push(layout: Path, reference: str, insecure: bool = False) -> str:
    """Push the layout's artifact to `reference` (`registry/repository:tag`); return its digest.

    Credentials come from the Docker config (`docker login`, `oras login`), as with oras."""
    import oras.layout.layout
    import oras.provider

    index = json.loads((layout / "index.json").read_text())
    [descriptor] = index["manifests"]
    registry = oras.provider.Registry(insecure=insecure)
    oras.layout.layout.Layout(str(layout)).push_to_registry(
        registry, reference, tag=descriptor["annotations"][REF_NAME]
    )
    return str(descriptor["digest"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    build_args = commands.add_parser("build", help="write the OCI image layout of a component")
    build_args.add_argument("component", type=Path)
    build_args.add_argument("out", type=Path)
    push_args = commands.add_parser("push", help="push an OCI image layout to a registry")
    push_args.add_argument("layout", type=Path)
    push_args.add_argument("reference", help="registry/repository:tag, e.g. ghcr.io/you/ktrdr-tools:0.1.0")
    push_args.add_argument("--insecure", action="store_true", help="plain http (a local registry)")
    args = parser.parse_args()
    if args.command == "build":
        digest = build(args.component, args.out)
        print(f"{args.out}: {args.component.name} {cargo_package()['version']} ({digest})")
    else:
        digest = push(args.layout, args.reference, args.insecure)
        print(f"pushed {args.reference}\ndigest: {digest}")


if __name__ == "__main__":
    main()
