"""A model's load settings chosen by the user: GPU layers, context, threads, batch,
flash attention, KV cache type, mmap and mlock, and speculative decoding (prompt lookup,
or a draft model: another installed model of the same vocabulary).

They persist per model in ``ModelRecord.options`` (JSON, shared with other per-model
defaults; :meth:`ModelOptions.stored_in` keeps the keys it doesn't own). Every field
is optional: None means "not overridden", and the app's default applies (for GPU
layers: "auto", the planner's choice).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from desktop_llm.core.defaults import DEFAULT_BATCH, DRAFT_BATCH
from desktop_llm.core.hardware.planner import (
    KV_CACHE_TYPES,
    GpuLayers,
    Machine,
    ModelSizes,
    Plan,
    plan_load,
)
from desktop_llm.core.models.gguf_info import GGUFHeader, read_header_cached
from desktop_llm.errors import ModelFileError, UserError

logger = logging.getLogger(__name__)

MIN_CTX = 64
MAX_CTX = 1 << 20
SPECULATIVE = ("off", "prompt_lookup", "draft_model")
"""Speculative decoding: none, drafts from the conversation, or a draft model's."""


@dataclass(frozen=True)
class ModelOptions:
    gpu_layers: GpuLayers | None = None
    """A number of layers (0: CPU only, -1: all) or "auto"."""
    n_ctx: int | None = None
    threads: int | None = None
    n_batch: int | None = None
    flash_attn: bool | None = None
    kv_cache_type: str | None = None
    """"f16", "q8_0" or "q4_0" (for both K and V)."""
    use_mmap: bool | None = None
    use_mlock: bool | None = None
    speculative: str | None = None
    """One of SPECULATIVE (None: "off"). The same tokens either way, faster where the
    drafts are right; it turns flash attention off (see LoadParams)."""
    draft_model: str | None = None
    """The draft model's GGUF file (an installed model, resolved by name or id by the
    caller), for ``speculative="draft_model"``."""

    @property
    def gpu_layers_by_hand(self) -> bool:
        """The GPU layers were set by the user, not left to the planner: a model the plan
        says won't fit still loads (with a warning), the user's call."""
        return self.gpu_layers not in (None, "auto")

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, *, strict: bool = False) -> ModelOptions:
        """Read options from JSON. Unknown keys are ignored (``ModelRecord.options`` holds
        other defaults too). A bad value raises UserError when ``strict`` (the user's
        input), else it is logged and dropped (a stored, perhaps hand-edited, file)."""
        values: dict[str, Any] = {}
        for key in cls.option_names():
            if data is None or data.get(key) is None:
                continue
            try:
                values[key] = _coerce(key, data[key])
            except UserError:
                if strict:
                    raise
                logger.warning("ignoring bad model option %s=%r", key, data[key])
        options = cls(**values)
        return options.validate() if strict else options

    def to_dict(self) -> dict[str, Any]:
        """The options that are set (None means unset and is left out)."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    def stored_in(self, existing: dict[str, Any]) -> dict[str, Any]:
        """``existing`` (a ModelRecord.options) with these options in place of the old
        ones, for ``ModelRepository.set_options``; other keys are kept."""
        kept = {k: v for k, v in existing.items() if k not in self.option_names()}
        return {**kept, **self.to_dict()}

    def merged(self, over: ModelOptions) -> ModelOptions:
        """These options with every option set in ``over`` taking precedence."""
        return replace(self, **over.to_dict())

    def validate(self) -> ModelOptions:
        """Raise UserError naming every bad value; return self when all are fine."""
        problems: list[UserError] = []
        for key, value in self.to_dict().items():
            try:
                _coerce(key, value)
            except UserError as exc:
                problems.append(exc)
        if self.kv_cache_type not in (None, "f16") and self.flash_attn is False and not problems:
            problems.append(
                UserError.of(
                    "a {kv} KV cache needs flash attention on"
                    " (llama.cpp quantizes the V cache only with flash attention)",
                    kv=self.kv_cache_type,
                )
            )
        if not problems:
            problems += self._speculative_problems()
        if len(problems) == 1:
            raise problems[0]  # its text with fields: the window translates it
        if problems:
            raise UserError("; ".join(p.message for p in problems))
        return self

    def _speculative_problems(self) -> list[UserError]:
        if self.speculative in (None, "off"):
            return []
        if self.speculative == "draft_model" and self.draft_model is None:
            return [UserError.of("speculative decoding with a draft model needs one: choose it")]
        if self.kv_cache_type not in (None, "f16"):
            return [
                UserError.of(
                    "speculative decoding needs flash attention off, and a {kv} KV cache "
                    "needs it on: choose one of them",
                    kv=self.kv_cache_type,
                )
            ]
        if self.flash_attn is True:
            return [
                UserError.of(
                    "speculative decoding needs flash attention off (or automatic): "
                    "with it on, the checked drafts may not give the same tokens"
                )
            ]
        return []

    def check_for(self, sizes: ModelSizes, model_name: str) -> None:
        """Raise UserError for options this model can't use."""
        kv = self.kv_cache_type
        if kv not in (None, "f16") and sizes.head_dim_k % 32:
            raise UserError.of(
                "{model} can't use a {kv} KV cache: its attention head size "
                "({head}) is not a multiple of 32; use f16",
                model=model_name,
                kv=kv,
                head=sizes.head_dim_k,
            )


def _coerce(key: str, value: Any) -> Any:
    """The value checked and normalized for ``key``; UserError when it is wrong."""
    if key == "gpu_layers":
        if value in ("auto", "all"):
            return "auto" if value == "auto" else -1
        if _is_int(value) and value >= -1:
            return int(value)
        raise UserError.of(
            "GPU layers must be 'auto', 'all' or a number of layers, not {value!r}", value=value
        )
    if key == "n_ctx":
        if _is_int(value) and MIN_CTX <= value <= MAX_CTX:
            return int(value)
        raise UserError.of(
            "context length must be between {min} and {max:,}, not {value!r}",
            min=MIN_CTX,
            max=MAX_CTX,
            value=value,
        )
    if key in ("threads", "n_batch"):
        if _is_int(value) and value >= 1:
            return int(value)
        if key == "threads":
            raise UserError.of("threads must be at least 1, not {value!r}", value=value)
        raise UserError.of("batch size must be at least 1, not {value!r}", value=value)
    if key == "kv_cache_type":
        if isinstance(value, str) and value.lower() in KV_CACHE_TYPES:
            return value.lower()
        names = ", ".join(KV_CACHE_TYPES)
        raise UserError.of(
            "KV cache type must be one of {names}, not {value!r}", names=names, value=value
        )
    if key == "speculative":
        if isinstance(value, str) and value.lower().replace("-", "_") in SPECULATIVE:
            return value.lower().replace("-", "_")
        raise UserError.of(
            "speculative decoding must be one of {names}, not {value!r}",
            names=", ".join(SPECULATIVE),
            value=value,
        )
    if key == "draft_model":
        if isinstance(value, str) and value.strip():
            return value
        raise UserError.of("the draft model must be a model file, not {value!r}", value=value)
    if key in ("flash_attn", "use_mmap", "use_mlock"):
        if isinstance(value, bool):
            return value
        raise UserError.of("{key} must be true or false, not {value!r}", key=key, value=value)
    raise AssertionError(f"unknown option {key}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class KvSettings:
    """The KV cache and attention settings llama.cpp gets (ggml type ids)."""

    type_k: int
    type_v: int
    flash_attn: bool | None  # None: llama.cpp decides (on where the backend supports it)


def kv_settings(options: ModelOptions) -> KvSettings:
    """A quantized cache turns flash attention on unless the user turned it off
    (``validate`` refuses that combination); otherwise llama.cpp's own "auto" decides,
    as llama-bench does (on the CPU it is on, and prompt processing is ~15% faster)."""
    kv = options.kv_cache_type or "f16"
    type_id = KV_CACHE_TYPES[kv][0]
    flash = (
        options.flash_attn if options.flash_attn is not None else (True if kv != "f16" else None)
    )
    return KvSettings(type_k=type_id, type_v=type_id, flash_attn=flash)


@dataclass(frozen=True)
class SpeculativeSettings:
    """What llama.cpp's worker gets for speculative decoding (LoadParams' fields)."""

    prompt_lookup: bool = False
    draft_model_path: str | None = None


def speculative_settings(options: ModelOptions, model_name: str) -> SpeculativeSettings:
    """The load's speculative decoding. UserError when the draft model's file is gone."""
    if options.speculative == "prompt_lookup":
        return SpeculativeSettings(prompt_lookup=True)
    if options.speculative != "draft_model" or options.draft_model is None:
        return SpeculativeSettings()
    path = Path(options.draft_model)
    if not path.is_file():
        raise UserError.of(
            "the draft model of {model} is gone: {path}; choose another one, or turn "
            "speculative decoding off",
            model=model_name,
            path=path,
        )
    return SpeculativeSettings(draft_model_path=str(path))


def less_the_draft(machine: Machine, draft_model_path: str, n_ctx: int) -> Machine:
    """``machine`` with the free RAM a draft model will take (its weights, KV cache and
    compute buffer, planned on the CPU: it is small) taken off, so that the model it
    drafts for is planned in what is left. A draft whose header can't be read changes
    nothing here: its load says why."""
    try:
        header = read_header_cached(Path(draft_model_path))
    except ModelFileError:
        return machine
    draft = plan_load(
        ModelSizes.from_header(header),
        replace(machine, rpc=()),
        ctx=n_ctx,
        gpu_layers=0,
        n_batch=DRAFT_BATCH,
    )
    return replace(machine, ram_free=max(0, machine.ram_free - draft.ram_bytes))


def plan_with_options(
    options: ModelOptions,
    header: GGUFHeader,
    machine: Machine,
    *,
    n_ctx: int,
    name: str,
    total_bytes: int | None = None,
) -> Plan:
    """The planner's answer for a model loaded with ``options`` (``options.n_ctx``, when
    set, wins over ``n_ctx``). ``total_bytes``: every part of a split model (see
    ModelSizes.from_header). UserError for options the model can't use."""
    options.validate()
    sizes = ModelSizes.from_header(header, total_bytes)
    options.check_for(sizes, name)
    return plan_load(
        sizes,
        machine,
        ctx=options.n_ctx or n_ctx,
        gpu_layers=options.gpu_layers if options.gpu_layers is not None else "auto",
        kv_type=options.kv_cache_type or "f16",
        flash_attn=kv_settings(options).flash_attn is True,
        n_batch=options.n_batch or DEFAULT_BATCH,
    )
