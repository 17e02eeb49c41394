"""Worker side: a draft model, a small model of the same vocabulary whose greedy guesses
the loaded model checks in one batch (speculative.py: the reply of decoding without
drafts on the same load, token for token).

Imported only in the worker process (it imports llama_cpp). The draft is a second
``Llama`` in the same worker, with the main model's context length and a small batch.
It keeps its own KV cache: each round it keeps the prefix it shares with the
conversation (drafts the model refused are dropped) and evaluates only what is new, at
most ``CATCH_UP`` tokens a round: a long conversation it hasn't read (the first reply
after a chat's state was restored) is read over several rounds while the model goes on
alone, so no token waits seconds for the draft and Stop is never held up by it. Then it
generates greedily, one token at a time, up to the length the loop asks for, and
only while it is sure of its guess (its top token's probability at least ``P_MIN``, as
llama.cpp's own speculative example does): a guess it isn't sure of would cost the
model a longer batch for a token it likely refuses. A draft model that is never sure
drafts nothing, and the reply goes as fast as without it, less the draft's own work.

Whether a draft model fits the loaded one is llama.cpp's rule (common/speculative.cpp,
``common_speculative_are_compatible``): the same kind of vocabulary, the same start
and end tokens (and whether each is added), sizes at most 128 tokens apart, and the
same text for every token id both have from 5 on.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import llama_cpp
import numpy as np

from desktop_llm.core.defaults import DRAFT_BATCH
from desktop_llm.core.engine.speculative import reuse_prefix
from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

VOCAB_SIZE_SLACK = 128  # llama.cpp's SPEC_VOCAB_MAX_SIZE_DIFFERENCE
FIRST_COMPARED_TOKEN = 5  # llama.cpp's SPEC_VOCAB_CHECK_START_TOKEN_ID
P_MIN = 0.75  # llama.cpp's common_speculative_params.p_min
CATCH_UP = 2 * DRAFT_BATCH
"""Conversation tokens the draft reads at most per round before it drafts again."""

_Llama: Any = llama_cpp.Llama


class DraftModel:
    """The :class:`~desktop_llm.core.engine.speculative.Drafter` of a draft model."""

    def __init__(self, llm: Any, n_vocab_shared: int) -> None:
        self.llm = llm
        self.name = Path(llm.model_path).name
        self._vocab = llm._model.vocab
        self._n_vocab = int(llm.n_vocab())
        # Tokens past either vocabulary are never drafted nor read (sizes may differ).
        self._n_shared = n_vocab_shared

    @classmethod
    def load(cls, path: str, *, n_ctx: int, n_threads: int, n_gpu_layers: int) -> DraftModel:
        """Load the draft model (its vocabulary is checked by :func:`check_compatible`).
        Raises ValueError (llama.cpp's "Failed to load model from file") or OSError."""
        llm = _Llama(
            model_path=path,
            n_ctx=n_ctx,
            n_batch=DRAFT_BATCH,
            n_ubatch=DRAFT_BATCH,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            n_gpu_layers=n_gpu_layers,
            verbose=False,
        )
        return cls(llm, int(llm.n_vocab()))

    def draft(self, history: np.ndarray[Any, Any], n: int) -> list[int]:
        if n <= 0 or int(history.max(initial=0)) >= self._n_shared:
            return []
        llm = self.llm
        tokens = history.tolist()
        reuse_prefix(llm, tokens)
        llm.eval(tokens[llm.n_tokens : llm.n_tokens + CATCH_UP])
        if llm.n_tokens < len(tokens):
            return []  # still reading the conversation
        drafted: list[int] = []
        while True:
            # The last token's logits, read in place (no copy).
            logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(self._n_vocab,))
            token = int(np.argmax(logits[: self._n_shared]))
            if _probability(logits, token) < P_MIN:
                break
            drafted.append(token)
            if len(drafted) >= n or llama_cpp.llama_vocab_is_eog(self._vocab, token):
                break
            llm.eval([token])
        return drafted

    def close(self) -> None:
        self.llm.close()


def _probability(logits: np.ndarray[Any, Any], token: int) -> float:
    """The softmax probability of ``token`` (one pass over the vocabulary)."""
    return float(1.0 / np.exp(logits - logits[token]).sum())


def check_compatible(model: Any, draft: DraftModel, model_name: str) -> None:
    """UserError, naming both models, unless ``draft`` can draft for ``model`` (both
    ``Llama``); narrows the shared vocabulary to the smaller of the two."""
    target, mine = model._model, draft.llm._model
    names = {"draft": draft.name, "model": model_name}
    if target.vocab_type() != mine.vocab_type():
        raise UserError.of(
            "{draft} can't be the draft model of {model}: its vocabulary is of another "
            "kind; choose a draft model of the same family (the same tokenizer)",
            **names,
        )
    if (
        target.token_bos() != mine.token_bos()
        or target.token_eos() != mine.token_eos()
        or target.add_bos_token() != mine.add_bos_token()
        or target.add_eos_token() != mine.add_eos_token()
    ):
        raise UserError.of(
            "{draft} can't be the draft model of {model}: their start and end tokens "
            "differ; choose a draft model of the same family (the same tokenizer)",
            **names,
        )
    n_target, n_draft = int(target.n_vocab()), int(mine.n_vocab())
    if abs(n_target - n_draft) > VOCAB_SIZE_SLACK:
        raise UserError.of(
            "{draft} can't be the draft model of {model}: its vocabulary has {n_draft:,} "
            "tokens and the model's {n_model:,}; choose a draft model of the same family "
            "(the same tokenizer)",
            n_draft=n_draft,
            n_model=n_target,
            **names,
        )
    shared = min(n_target, n_draft)
    get_text = llama_cpp.llama_vocab_get_text
    for token in range(FIRST_COMPARED_TOKEN, shared):
        if get_text(target.vocab, token) != get_text(mine.vocab, token):
            raise UserError.of(
                "{draft} can't be the draft model of {model}: token {token} differs "
                "between them; choose a draft model of the same family (the same tokenizer)",
                token=token,
                **names,
            )
    draft._n_shared = shared
    logger.info("draft model %s fits %s (%d shared tokens)", draft.name, model_name, shared)
