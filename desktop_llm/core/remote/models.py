"""Which model a name means: a model of the local library, or ``NAME::MODEL_ID`` on a
remote server. The CLI, the services and the API server resolve names only here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desktop_llm.core.engine.protocol import LoadParams
from desktop_llm.core.engine.templates import TemplateChoice
from desktop_llm.core.hardware.planner import Plan
from desktop_llm.core.models.gguf_info import GGUFHeader
from desktop_llm.core.models.library import ModelLibrary, ModelRef
from desktop_llm.core.remote.engine import SERVER_TEMPLATE
from desktop_llm.core.remote.store import SEPARATOR, RemoteServer, RemoteStore, split_remote_name

_NO_HEADER = GGUFHeader(version=0, tensor_count=0, metadata={}, tensors=[], data_offset=0)


@dataclass(frozen=True)
class RemoteModelRef(ModelRef):
    """A model on a remote server. ``name`` (and ``path``, which the engine's
    LoadParams carry) is ``NAME::MODEL_ID``, the string stored with every reply, so a
    chat's history says which server wrote it. Its header is empty: nothing is read
    or planned on this computer."""

    server: RemoteServer | None = None
    model_id: str = ""

    @classmethod
    def on(cls, server: RemoteServer, model_id: str) -> RemoteModelRef:
        name = f"{server.name}{SEPARATOR}{model_id}"
        return cls(name=name, path=Path(name), header=_NO_HEADER, server=server, model_id=model_id)

    @property
    def total_bytes(self) -> int:
        return 0

    def template(self) -> TemplateChoice:
        return SERVER_TEMPLATE


def is_remote(ref: ModelRef) -> bool:
    return isinstance(ref, RemoteModelRef)


def resolve_model(spec: str, library: ModelLibrary, remotes: RemoteStore) -> ModelRef:
    """``spec`` as a model: ``NAME::MODEL_ID`` on the remote server NAME (UserError,
    one line, for a server never added), else the library's name, id or .gguf path.
    Nothing connects here: the server is first asked when the model loads."""
    split = split_remote_name(spec)
    if split is None:
        return library.resolve(spec)
    return RemoteModelRef.on(remotes.get(split[0]), split[1])


def remote_plan(ref: ModelRef, n_ctx: int) -> tuple[LoadParams, Plan]:
    """The "plan" of a remote model: nothing of it is on this computer."""
    params = LoadParams(model_path=str(ref.path), n_ctx=n_ctx)
    plan = Plan(
        gpu_layers=0,
        total_layers=0,
        ctx=n_ctx,
        requested_ctx=n_ctx,
        weights_bytes=0,
        kv_bytes=0,
        compute_bytes=0,
        ram_bytes=0,
        vram_bytes=0,
        ram_free=0,
        vram_free=None,
        fits=True,
        description=f"runs on the remote server ({ref.name})",
    )
    return params, plan
