"""The on-disk form of a checkpoint (docs/checkpoints.md): a directory holding
manifest.json and one NumPy .npy file per array, each with its SHA-256 in the manifest.
Arrays are read with allow_pickle=False: a checkpoint is data, never code."""
from __future__ import annotations

import hashlib
import io
import json
import os
import pathlib

import numpy as np

from cyclesim.errors import CyclesimError

FORMAT = "cyclesim-checkpoint"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class CheckpointError(CyclesimError):
    """A checkpoint cannot be used: damaged, foreign, of another program or too new."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(path, manifest: dict, arrays: dict[str, np.ndarray]) -> pathlib.Path:
    """Write the directory `path` (created; an existing checkpoint there is replaced)."""
    root = pathlib.Path(path)
    if root.exists() and not (root / MANIFEST).exists() and any(root.iterdir()):
        raise CyclesimError(f"{root} exists and is not a checkpoint; give a new or empty "
                            "directory")
    root.mkdir(parents=True, exist_ok=True)
    parts = {}
    for name, arr in arrays.items():
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
        blob = buf.getvalue()
        (root / f"{name}.npy").write_bytes(blob)
        parts[name] = {"file": f"{name}.npy", "sha256": sha256(blob), "bytes": len(blob)}
    manifest = seal({"format": FORMAT, "format_version": FORMAT_VERSION, **manifest,
                "parts": parts})
    tmp = root / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(tmp, root / MANIFEST)    # the manifest last: a half-written one is absent
    return root


def read(path, program_sha256: str | None = None) -> tuple[dict, dict[str, np.ndarray]]:
    """(manifest, arrays) of the checkpoint at `path`, every part verified."""
    root = pathlib.Path(path)
    where = f"checkpoint {root}"
    try:
        text = (root / MANIFEST).read_text()
    except OSError:
        raise CheckpointError(f"{where} has no readable {MANIFEST}; give the directory "
                              "`cyclesim checkpoint -o` wrote") from None
    try:
        manifest = json.loads(text)
    except ValueError:
        raise CheckpointError(f"{where}: {MANIFEST} is not valid JSON (damaged or edited); "
                              "take the checkpoint again") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"{where} is not a cyclesim checkpoint (no format "
                              f"{FORMAT!r} in its manifest)")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(f"{where} has format version {version!r}, newer than the "
                              f"{FORMAT_VERSION} this cyclesim reads; upgrade cyclesim")
    if manifest.get("manifest_sha256") != _manifest_digest(manifest):
        raise CheckpointError(f"{where}: the manifest was edited or damaged (its digest "
                              "does not match); take the checkpoint again")
    if program_sha256 is not None and manifest.get("program", {}).get("sha256") != program_sha256:
        raise CheckpointError(f"{where} was taken of another program "
                              f"({manifest.get('program', {}).get('name')!r} with a different "
                              "SHA-256); resume it with the program it was taken of")
    arrays = {}
    for name, part in manifest["parts"].items():
        file = root / part["file"]
        try:
            # the size first: a damaged or swapped part is refused without reading it
            if file.stat().st_size != part["bytes"]:
                raise CheckpointError(f"{where}: part {part['file']} is damaged or truncated "
                                      f"({file.stat().st_size:,} bytes, the manifest says "
                                      f"{part['bytes']:,}); take the checkpoint again")
            blob = file.read_bytes()
        except OSError:
            raise CheckpointError(f"{where}: part {part['file']} is missing; copy the "
                                  "whole directory") from None
        if sha256(blob) != part["sha256"]:
            raise CheckpointError(f"{where}: part {part['file']} is damaged or truncated "
                                  "(SHA-256 mismatch); take the checkpoint again")
        arrays[name] = np.load(io.BytesIO(blob), allow_pickle=False)
    return manifest, arrays


def _manifest_digest(manifest: dict) -> str:
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return sha256(json.dumps(body, sort_keys=True).encode())


def seal(manifest: dict) -> dict:
    """The manifest with its own digest, so an edited manifest is refused."""
    # through JSON first, so the digest is of what a reader sees (integer keys become
    # strings, which sort differently)
    manifest = json.loads(json.dumps(manifest))
    manifest.pop("manifest_sha256", None)
    manifest["manifest_sha256"] = _manifest_digest(manifest)
    return manifest
