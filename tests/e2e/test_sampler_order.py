"""The worker's sampler chain (top-k first) against llama-cpp-python's own, on the real
model, in this process (the worker's Llama class is what its process would build)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_llm.core.engine import worker

llama_cpp = pytest.importorskip("llama_cpp")
pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def models(smollm2: Path) -> Iterator[tuple[Any, Any]]:
    options: dict[str, Any] = {"n_ctx": 256, "n_threads": 2, "verbose": False}
    ours = worker._llama_class(llama_cpp)(model_path=str(smollm2), **options)
    theirs = llama_cpp.Llama(model_path=str(smollm2), **options)
    yield ours, theirs
    ours.close()
    theirs.close()


def chain_names(sampler: Any) -> list[str]:
    chain = sampler.sampler
    return [
        llama_cpp.llama_sampler_name(llama_cpp.llama_sampler_chain_get(chain, i)).decode()
        for i in range(llama_cpp.llama_sampler_chain_n(chain))
    ]


def generate(llm: Any, n: int, seed: int, **sampling: Any) -> list[int]:
    llm.reset()
    llm.set_seed(seed)
    prompt = llm.tokenize(b"The three primary colors are", add_bos=True)
    out: list[int] = []
    for token in llm.generate(prompt, **sampling):
        out.append(token)
        if len(out) == n:
            break
    return out


def test_top_k_comes_first(models: tuple[Any, Any]) -> None:
    ours, theirs = models
    settings = {"top_k": 40, "top_p": 0.95, "min_p": 0.05, "temp": 0.7, "repeat_penalty": 1.1}
    assert chain_names(ours._init_sampler(**settings)) == [
        "top-k",
        "penalties",
        "top-p",
        "min-p",
        "temp",
        "dist",
    ]
    assert chain_names(theirs._init_sampler(**settings))[:2] == ["penalties", "top-k"]
    # What the faster order can't serve falls back to llama-cpp-python's chain.
    assert chain_names(ours._init_sampler(**{**settings, "top_k": 0}))[0] == "penalties"
    assert chain_names(ours._init_sampler(**{**settings, "mirostat_mode": 2}))[-1] == (
        "mirostat-v2"
    )


def test_greedy_replies_match_llama_cpp_python(models: tuple[Any, Any]) -> None:
    # Penalties only lower logits, so the best token after them is in the top 40:
    # greedy decoding must give the same tokens in either order.
    ours, theirs = models
    greedy = {"top_k": 40, "temp": 0.0, "repeat_penalty": 1.3}
    assert generate(ours, 24, 1, **greedy) == generate(theirs, 24, 1, **greedy)


def test_sampling_is_seeded_and_follows_the_settings(models: tuple[Any, Any]) -> None:
    ours, _ = models
    sampled = {"top_k": 40, "top_p": 0.95, "min_p": 0.05, "temp": 0.9, "repeat_penalty": 1.1}
    first = generate(ours, 24, 7, **sampled)
    assert generate(ours, 24, 7, **sampled) == first
    assert any(generate(ours, 24, seed, **sampled) != first for seed in (8, 9, 10))
    # top_k=1 leaves one candidate: sampling becomes greedy whatever the temperature.
    assert generate(ours, 16, 3, **{**sampled, "top_k": 1}) == generate(
        ours, 16, 4, **{**sampled, "top_k": 1}
    )
