"""The worker's plain decoding loop (token_loop.py) against llama-cpp-python's
``Llama.generate``, on the real model, in this process: the same tokens for the same
seed; a follow-up keeps the reply in the KV cache; a full context ends it cleanly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("llama_cpp")
sampler = pytest.importorskip("desktop_llm.core.engine.sampler")
token_loop = pytest.importorskip("desktop_llm.core.engine.token_loop")
pytestmark = pytest.mark.model

OPTIONS: dict[str, Any] = {"top_k": 40, "top_p": 0.95, "min_p": 0.05, "repeat_penalty": 1.1}


@pytest.fixture(scope="module")
def llm(smollm2: Path) -> Iterator[Any]:
    model = sampler.Llama(model_path=str(smollm2), n_ctx=256, n_threads=2, verbose=False)
    yield model
    model.close()


def _take(generator: Iterator[int], n: int) -> list[int]:
    out: list[int] = []
    for token in generator:
        out.append(token)
        if len(out) >= n:
            break
    generator.close()  # type: ignore[attr-defined]
    return out


def _theirs(llm: Any, prompt: list[int], temp: float) -> Iterator[int]:
    generator: Iterator[int] = llm.generate(prompt, temp=temp, **OPTIONS)
    return generator


def _ours(llm: Any, prompt: list[int], temp: float) -> Iterator[int]:
    chain = llm._init_sampler(temp=temp, **OPTIONS)
    generator: Iterator[int] = token_loop.plain_generate(llm, prompt, chain)
    return generator


@pytest.mark.parametrize("temp", [0.0, 0.8])
def test_the_same_tokens_as_llama_generate(llm: Any, temp: float) -> None:
    prompt = llm.tokenize(b"The three primary colors are", add_bos=True)
    runs: dict[str, list[int]] = {}
    loops: dict[str, Callable[[Any, list[int], float], Iterator[int]]]
    loops = {"theirs": _theirs, "ours": _ours}
    for name, loop in loops.items():
        llm.reset()
        llm.set_seed(7)
        runs[name] = _take(loop(llm, prompt, temp), 48)
    assert runs["ours"] == runs["theirs"] and len(runs["ours"]) == 48
    # The KV cache holds the prompt and the reply, as after Llama.generate: a follow-up
    # keeps it all as its prefix.
    assert list(llm.input_ids[: llm.n_tokens]) == prompt + runs["ours"][:-1]
    follow = prompt + runs["ours"] + llm.tokenize(b" And then", add_bos=False)
    held = llm.n_tokens
    assert len(_take(_ours(llm, follow, temp), 16)) == 16
    # Only the new tokens were read: the kept cells are the ones written before.
    assert list(llm.input_ids[:held]) == follow[:held]


def test_a_full_context_ends_the_loop_with_runtime_error(llm: Any) -> None:
    prompt = llm.tokenize(b"Count: one two three", add_bos=True)
    llm.reset()
    generator = _ours(llm, prompt, 0.0)
    with pytest.raises(RuntimeError):
        for _ in range(300):  # more than the 256-token context
            next(generator)
    assert llm.n_tokens == 256
