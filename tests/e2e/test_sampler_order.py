"""The worker's sampler chain (candidates cut before the penalties) against
llama-cpp-python's own, on the real model, in this process (the worker's Llama class is
what its process builds): the same tokens for the same seed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

llama_cpp = pytest.importorskip("llama_cpp")
sampler = pytest.importorskip("desktop_llm.core.engine.sampler")
pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def models(smollm2: Path) -> Iterator[tuple[Any, Any]]:
    options: dict[str, Any] = {"n_ctx": 256, "n_threads": 2, "verbose": False}
    ours = sampler.Llama(model_path=str(smollm2), **options)
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


def test_candidates_are_cut_before_the_penalties(models: tuple[Any, Any]) -> None:
    ours, theirs = models
    settings = {"top_k": 40, "top_p": 0.95, "min_p": 0.05, "temp": 0.7, "repeat_penalty": 1.1}
    names = ["top-k", "penalties", "top-k", "top-p", "min-p", "temp", "dist"]
    assert chain_names(ours._init_sampler(**settings)) == names
    assert chain_names(theirs._init_sampler(**settings))[:2] == ["penalties", "top-k"]
    assert chain_names(ours._init_sampler(**{**settings, "temp": 0.0})) == [
        "top-k",
        "penalties",
        "greedy",
    ]
    # What the faster chain can't serve exactly keeps llama-cpp-python's chain.
    for other in ({"top_k": 0}, {"repeat_penalty": 0.8}, {"mirostat_mode": 2}):
        assert chain_names(ours._init_sampler(**{**settings, **other}))[0] == "penalties"


@pytest.mark.parametrize("top_k", [1, 5, 40])
@pytest.mark.parametrize("temp", [0.0, 0.9])
def test_replies_are_the_same_as_llama_cpp_python(
    models: tuple[Any, Any], top_k: int, temp: float
) -> None:
    # Strong penalties, small k and long replies: the cases where cutting before the
    # penalties would change the reply if it were done carelessly.
    ours, theirs = models
    sampling = {
        "top_k": top_k,
        "top_p": 0.95,
        "min_p": 0.05,
        "temp": temp,
        "repeat_penalty": 1.5,
        "frequency_penalty": 0.2,
        "presence_penalty": 0.1,
    }
    for seed in (1, 2):
        assert generate(ours, 64, seed, **sampling) == generate(theirs, 64, seed, **sampling)


def test_sampling_is_seeded(models: tuple[Any, Any]) -> None:
    ours, _ = models
    sampled = {"top_k": 40, "top_p": 0.95, "min_p": 0.05, "temp": 0.9, "repeat_penalty": 1.1}
    first = generate(ours, 24, 7, **sampled)
    assert generate(ours, 24, 7, **sampled) == first
    assert any(generate(ours, 24, seed, **sampled) != first for seed in (8, 9, 10))
