"""Speculative decoding as a per-model option (ModelOptions): its values, what it can't
be combined with, and what the load is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_llm.core.models.options import ModelOptions, speculative_settings
from desktop_llm.errors import UserError


def test_the_choices_read_from_json_and_from_the_command_line() -> None:
    assert ModelOptions.from_dict({"speculative": "prompt_lookup"}).speculative == "prompt_lookup"
    assert ModelOptions.from_dict({"speculative": "Draft-Model", "draft_model": "/m.gguf"}) == (
        ModelOptions(speculative="draft_model", draft_model="/m.gguf")
    )
    # a stored bad value is dropped, typed input is refused with the choices named
    assert ModelOptions.from_dict({"speculative": "turbo"}).speculative is None
    with pytest.raises(UserError) as caught:
        ModelOptions.from_dict({"speculative": "turbo"}, strict=True)
    assert "off, prompt_lookup, draft_model" in str(caught.value)


def test_a_draft_model_must_be_named() -> None:
    with pytest.raises(UserError) as caught:
        ModelOptions(speculative="draft_model").validate()
    assert "draft model" in str(caught.value) and caught.value.template is not None
    with pytest.raises(UserError):
        ModelOptions.from_dict({"draft_model": "  "}, strict=True)
    # a draft model kept while speculative decoding is off is harmless
    assert ModelOptions(speculative="off", draft_model="/m.gguf").validate()


@pytest.mark.parametrize("mode", ["prompt_lookup", "draft_model"])
def test_speculative_decoding_needs_flash_attention_off(mode: str) -> None:
    base = ModelOptions(speculative=mode, draft_model="/m.gguf")
    with pytest.raises(UserError) as caught:
        ModelOptions(**{**base.to_dict(), "kv_cache_type": "q8_0"}).validate()
    assert "q8_0" in str(caught.value) and "flash attention" in str(caught.value)
    with pytest.raises(UserError, match="flash attention off"):
        ModelOptions(**{**base.to_dict(), "flash_attn": True}).validate()
    # automatic (the load turns it off) and off are fine, as is an f16 cache
    assert ModelOptions(**{**base.to_dict(), "flash_attn": False}).validate()
    assert ModelOptions(**{**base.to_dict(), "kv_cache_type": "f16"}).validate()


def test_what_the_load_is_given(tmp_path: Path) -> None:
    draft = tmp_path / "draft.gguf"
    draft.write_bytes(b"GGUF")
    assert speculative_settings(ModelOptions(), "m").prompt_lookup is False
    assert speculative_settings(ModelOptions(speculative="prompt_lookup"), "m").prompt_lookup
    chosen = ModelOptions(speculative="draft_model", draft_model=str(draft))
    assert speculative_settings(chosen, "m").draft_model_path == str(draft)
    # kept but off: no draft model is loaded
    off = ModelOptions(speculative="off", draft_model=str(draft))
    assert speculative_settings(off, "m").draft_model_path is None
    draft.unlink()
    with pytest.raises(UserError) as caught:
        speculative_settings(chosen, "Big model")
    assert "Big model" in str(caught.value) and str(draft) in str(caught.value)


def test_a_draft_model_takes_its_memory_off_the_plan(tiny_llama: Path, tmp_path: Path) -> None:
    from desktop_llm.core.engine.session import planned_load
    from desktop_llm.core.hardware.planner import Machine, ModelSizes, plan_load
    from desktop_llm.core.models.gguf_info import read_header
    from desktop_llm.core.models.library import ModelRef
    from tests.support.gguf_builder import write_tiny_llama

    draft = write_tiny_llama(tmp_path / "draft.gguf", seed=5)
    ref = ModelRef("Tiny", tiny_llama, read_header(tiny_llama))
    machine = Machine(ram_free=10**9, offload=False)
    _params, plain = planned_load(ref, ModelOptions(), machine, 256)
    chosen = ModelOptions(speculative="draft_model", draft_model=str(draft))
    params, plan = planned_load(ref, chosen, machine, 256)
    assert params.draft_model_path == str(draft) and not params.prompt_lookup
    need = plan_load(
        ModelSizes.from_header(read_header(draft)), machine, ctx=256, gpu_layers=0, n_batch=128
    ).ram_bytes
    assert need > 0 and plan.ram_free == plain.ram_free - need
    # the least free RAM the model fits in alone is too little beside its draft
    low, high = 0, 10**10
    while low < high:
        middle = (low + high) // 2
        fits = planned_load(ref, ModelOptions(), Machine(ram_free=middle, offload=False), 256)
        low, high = (low, middle) if fits[1].fits else (middle + 1, high)
    tight = Machine(ram_free=low, offload=False)
    assert planned_load(ref, ModelOptions(), tight, 256)[1].fits
    assert not planned_load(ref, chosen, tight, 256)[1].fits
