"""How compare panes load their models: through the offload planner, as a chat does.
No engine runs here; the plans are checked for a described machine."""

from __future__ import annotations

import shutil
from pathlib import Path

from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.compare.comparison import Comparison, Planning, Slot
from desktop_llm.core.engine.protocol import LoadParams
from desktop_llm.core.hardware.planner import Machine
from desktop_llm.core.models.gguf_info import read_header
from desktop_llm.core.models.library import ModelRef
from desktop_llm.core.models.options import ModelOptions
from desktop_llm.errors import UserError

GB = 1 << 30


def comparison(tmp_path: Path, first: Path, second: Path, **kwargs: object) -> Comparison:
    slots = [
        Slot(ModelRef("smol", first, read_header(first)), ChatSettings(n_ctx=8192)),
        Slot(ModelRef("other", second, read_header(second)), ChatSettings(n_ctx=8192)),
    ]
    kwargs.setdefault("ram_free", 16 * GB)  # the mode must not depend on this machine
    return Comparison(slots, tmp_path, **kwargs)  # type: ignore[arg-type]


def test_panes_get_gpu_layers_and_the_trained_context(
    tmp_path: Path, smollm2: Path, tiny_llama: Path
) -> None:
    gpu = Machine(ram_free=16 * GB, gpu_free=(8 * GB,), offload=True)
    c = comparison(tmp_path, smollm2, tiny_llama, planning=Planning(machine=lambda: gpu))
    assert c.mode == "parallel"
    smol, tiny = c._pane_params(1)
    assert isinstance(smol, LoadParams) and isinstance(tiny, LoadParams)
    assert smol.n_gpu_layers == tiny.n_gpu_layers == -1  # every layer on the GPU
    assert smol.n_ctx == 8192 and tiny.n_ctx == 256  # tiny was trained for 256
    assert smol.n_threads == tiny.n_threads == 1  # the cores are split in parallel


def test_cpu_only_engine_puts_nothing_on_the_gpu(
    tmp_path: Path, smollm2: Path, tiny_llama: Path
) -> None:
    cpu = Machine(ram_free=16 * GB, gpu_free=(8 * GB,), offload=False)
    c = comparison(tmp_path, smollm2, tiny_llama, planning=Planning(machine=lambda: cpu))
    assert all(isinstance(p, LoadParams) and p.n_gpu_layers == 0 for p in c._pane_params(None))


def test_parallel_panes_are_planned_on_what_the_others_leave(
    tmp_path: Path, smollm2: Path, tiny_llama: Path
) -> None:
    # A GPU with room for SmolLM2 at an 8k context (about 520 MB) but not for two.
    gpu = Machine(ram_free=16 * GB, gpu_free=(1200 << 20,), offload=True)
    planning = Planning(machine=lambda: gpu)
    c = comparison(tmp_path, smollm2, smollm2, planning=planning)
    first, second = c._pane_params(1)
    assert isinstance(first, LoadParams) and isinstance(second, LoadParams)
    assert first.n_gpu_layers == -1  # the first pane is planned on the whole GPU
    assert 0 <= second.n_gpu_layers < 30  # the second on what is left
    sequential = comparison(tmp_path, smollm2, smollm2, planning=planning, sequential=True)
    assert [p.n_gpu_layers for p in sequential._pane_params(None)] == [-1, -1]  # in turn


def test_a_model_that_does_not_fit_fails_its_pane_only(
    tmp_path: Path, smollm2: Path, tiny_llama: Path
) -> None:
    # 600 MB free: after the 512 MB kept for the system, SmolLM2's 98 MB of weights
    # don't fit at any context, the 1 MB model does.
    small = Machine(ram_free=600 << 20, offload=False)
    c = comparison(tmp_path, smollm2, tiny_llama, planning=Planning(machine=lambda: small))
    smol, tiny = c._pane_params(None)
    assert isinstance(smol, UserError) and "smol" in smol.message
    assert isinstance(tiny, LoadParams)


def test_per_model_options_reach_the_load(tmp_path: Path, smollm2: Path, tiny_llama: Path) -> None:
    options = ModelOptions(gpu_layers=3, n_ctx=1024, kv_cache_type="q8_0")
    gpu = Machine(ram_free=16 * GB, gpu_free=(8 * GB,), offload=True)
    planning = Planning(options_for=lambda _ref: options, machine=lambda: gpu)
    c = comparison(tmp_path, smollm2, tiny_llama, planning=planning)
    params = c._pane_params(None)[0]
    assert isinstance(params, LoadParams)
    assert (params.n_gpu_layers, params.n_ctx, params.type_k) == (3, 1024, 8)


def test_gpu_layers_chosen_by_hand_load_even_when_the_plan_says_no(
    tmp_path: Path, smollm2: Path, tiny_llama: Path
) -> None:
    small = Machine(ram_free=600 << 20, gpu_free=(100 << 20,), offload=True)
    planning = Planning(options_for=lambda _ref: ModelOptions(gpu_layers=30), machine=lambda: small)
    smol, _tiny = comparison(tmp_path, smollm2, tiny_llama, planning=planning)._pane_params(None)
    assert isinstance(smol, LoadParams) and smol.n_gpu_layers == 30  # as a chat would


def test_a_model_file_gone_since_the_comparison_opened_fails_its_pane_only(
    tmp_path: Path, smollm2: Path, tiny_llama: Path
) -> None:
    copy = Path(shutil.copy(tiny_llama, tmp_path / "copy.gguf"))
    c = comparison(tmp_path, smollm2, copy)
    copy.unlink()
    smol, gone = c._pane_params(None)
    assert isinstance(smol, LoadParams)
    assert isinstance(gone, UserError) and "copy.gguf" in gone.message
