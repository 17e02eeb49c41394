"""Fake folders of other apps (LM Studio, GPT4All, Jan, Ollama, the Hugging Face cache)
with real tiny GGUF files, for the scan tests."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.support.gguf_builder import write_tiny_llama


@dataclass
class FakeApps:
    home: Path
    lmstudio: Path
    gpt4all: Path
    jan: Path
    ollama_blob: Path
    hf_blob: Path


def make_fake_apps(home: Path) -> FakeApps:
    """Each app's default layout under ``home`` (Linux), with a few twists: the HF cache
    links to a blob, Ollama stores a blob named by sha256, GPT4All holds a byte-for-byte
    copy of the LM Studio file, and a vision projector sits next to a Jan model."""
    lm = home / ".lmstudio/models/bartowski/Tiny-GGUF/SmolTiny-Q4_K_M.gguf"
    lm.parent.mkdir(parents=True)
    write_tiny_llama(lm, n_layers=1, seed=11)

    gpt = home / ".local/share/nomic.ai/GPT4All/tiny-copy.Q4_K_M.gguf"
    gpt.parent.mkdir(parents=True)
    shutil.copyfile(lm, gpt)  # same content, different name: shown once

    jan = home / ".local/share/Jan/data/models/llamacpp/jan-tiny/model.gguf"
    jan.parent.mkdir(parents=True)
    write_tiny_llama(jan, n_layers=2, seed=12)
    shutil.copyfile(jan, jan.with_name("mmproj-model-f16.gguf"))  # a companion, not a model
    (jan.parent / "model.yml").write_text("id: jan-tiny\n")

    ollama = home / ".ollama/models"
    blob_src = write_tiny_llama(home / "ollama-src.gguf", n_layers=3, seed=13)
    digest = hashlib.sha256(blob_src.read_bytes()).hexdigest()
    blob = ollama / "blobs" / f"sha256-{digest}"
    blob.parent.mkdir(parents=True)
    blob_src.replace(blob)
    manifest = ollama / "manifests/registry.ollama.ai/library/tinyllama/1b"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(
        json.dumps(
            {
                "schemaVersion": 2,
                "layers": [
                    {
                        "mediaType": "application/vnd.ollama.image.model",
                        "digest": f"sha256:{digest}",
                    },
                    {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:00"},
                ],
            }
        )
    )

    hf = home / ".cache/huggingface/hub/models--someone--Tiny-GGUF"
    src = write_tiny_llama(home / "hf-src.gguf", n_layers=4, seed=14)
    hf_sha = hashlib.sha256(src.read_bytes()).hexdigest()
    hf_blob = hf / "blobs" / hf_sha
    hf_blob.parent.mkdir(parents=True)
    src.replace(hf_blob)
    snap = hf / "snapshots/abc123/tiny.Q8_0.gguf"
    snap.parent.mkdir(parents=True)
    snap.symlink_to(os.path.relpath(hf_blob, snap.parent))
    # The same snapshot file linked from a second revision: one file.
    snap2 = hf / "snapshots/def456/tiny.Q8_0.gguf"
    snap2.parent.mkdir(parents=True)
    snap2.symlink_to(os.path.relpath(hf_blob, snap2.parent))
    return FakeApps(home, lm, gpt, jan, blob, hf_blob)
