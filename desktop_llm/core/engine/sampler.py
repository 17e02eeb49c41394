"""Worker side: ``Llama``, llama-cpp-python's class with a faster sampler chain.

Imported only in the worker process (it imports llama_cpp), and by the test that
checks it against llama-cpp-python's own chain (tests/e2e/test_sampler_order.py).
"""

from __future__ import annotations

from typing import Any

import llama_cpp

# Typed as Any: the override below takes llama-cpp-python's keywords as **kw, and its
# _internals are untyped; the same whether mypy sees llama_cpp installed or not.
_Llama: Any = llama_cpp.Llama
_internals: Any = llama_cpp._internals


class Llama(_Llama):  # type: ignore[misc]
    """``llama_cpp.Llama`` with a faster sampler chain that picks the same tokens.

    llama-cpp-python's chain starts with the repeat penalties and ends with ``dist``,
    both over the whole vocabulary (49k tokens for SmolLM2: 0.4 ms a token, 2-3% of
    generation at 60 tok/s). Ours first keeps the top ``k + last_n`` candidates, then
    applies the penalties, then the usual top-k and the rest (0.05 ms a token).

    Same tokens, not just similar ones: penalties that only lower logits (repeat
    penalty >= 1, frequency and presence >= 0) touch at most ``last_n`` distinct
    tokens, so a token outside the top ``k + last_n`` before them has at least ``k``
    untouched tokens above it after them, and can't be in the top k either way. The
    candidates reaching top-p, min-p, temperature and ``dist`` are the same, in the
    same order, so a seed gives the same reply (logits tied exactly can come out in
    another order: the one exception). Anything else (a penalty < 1 raises
    logits, mirostat, grammars, Python logits processors as in the empty-reply retry,
    temperature < 0, top_k <= 0 when sampling) keeps llama-cpp-python's own chain.
    """

    def _init_sampler(self, **kw: Any) -> Any:
        top_k = int(kw.get("top_k", 40))
        temp = float(kw.get("temp", 0.8))
        repeat = float(kw.get("repeat_penalty", 1.0))
        frequency = float(kw.get("frequency_penalty", 0.0))
        presence = float(kw.get("presence_penalty", 0.0))
        last_n = int(self.last_n_tokens_size)
        if (
            (top_k <= 0 and temp > 0.0)  # greedy decoding has no top-k anyway
            or temp < 0.0
            or repeat < 1.0
            or frequency < 0.0
            or presence < 0.0
            or last_n <= 0
            or kw.get("mirostat_mode")
            or kw.get("grammar") is not None
            or kw.get("logits_processor") is not None
        ):
            return super()._init_sampler(**kw)
        sampler = _internals.LlamaSampler()
        # Greedy decoding in llama-cpp-python has no top-k: the best token after
        # the penalties is among the top 1 + last_n before them.
        kept = (1 if temp == 0.0 else top_k) + last_n
        sampler.add_top_k(kept)
        sampler.add_penalties(self._n_vocab, last_n, repeat, frequency, presence)
        if temp == 0.0:
            sampler.add_greedy()
            return sampler
        sampler.add_top_k(top_k)
        typical_p = float(kw.get("typical_p", 1.0))
        if typical_p < 1.0:
            sampler.add_typical(typical_p, 1)
        sampler.add_top_p(float(kw.get("top_p", 0.95)), 1)
        sampler.add_min_p(float(kw.get("min_p", 0.05)), 1)
        sampler.add_temp(temp)
        sampler.add_dist(self._seed)
        return sampler
