"""Worker side: speculative decoding, a faster way to the same tokens. A drafter guesses
the next few tokens; the model checks them all in one batch and keeps those it would
have picked itself.

Imported only in the worker process (it works on a ``Llama``). Where the drafts come
from is the :class:`Drafter`'s business: the conversation's own n-grams
(``prompt_lookup.PromptLookup``) or a small model of the same vocabulary
(``draft_model.DraftModel``). The model evaluates the pending token and the draft in
one batch, with logits for every position, and the sampler chain picks each next token
in order from those logits, exactly as one-token-at-a-time decoding would: a drafted
token is kept only while it is the token the sampler picked, and the first difference
ends the round (its cells are dropped from the KV cache). The sampler sees the same
calls in the same order (the same penalties, the same random draws).

How exact that is, at temperature 0 with a seed: the same reply with and without
drafts, on the same load. llama.cpp's CPU matrix products take one kernel for a single
row and another (llamafile's tinyBLAS) for two rows or more, and their sums differ in
the last bits, which thirty layers grow to ~1 in a logit of ~26 on SmolLM2 Q4_1: a kept
draft's logits and KV cells would come from the batch kernel, plain decoding's from the
single-row one, and a later near-tie could go the other way (measured: SmolLM2 drafting
for itself matched plain decoding on 2 of 8 prompts at 64 tokens). So every step here
evaluates at least two rows: when the drafter has no guess, the pending token is
followed by a one-token guess (the pending token again), which is checked like any
draft; the prompt's last pass is two rows or more too, also after a kept prefix. Rows
of batches of two or more are computed alike whatever the batch (tested
bit for bit), so a reply decoded with drafts and one decoded without them on this loop
(``NoDrafts``: a request that turns drafts off on such a load) are the same token for
token. Flash attention stays off on these loads (loader.py: its CPU kernel sums one
query's attention in split-KV chunks and a batch's in one pass). Plain decoding on a
load with flash attention on is another computation, whose greedy reply may differ at a
near-tie, as a long prompt read in one batch instead of token by token already may.

llama-cpp-python has the same idea (``LlamaPromptLookupDecoding`` with
``Llama(draft_model=...)``), but that path turns on ``logits_all``: a copy of
n_ctx x n_vocab floats and a copy of every batch's logits into it (REFERENCE.md:
it also fails once prompt and reply pass n_batch). This loop asks llama.cpp for
the batch's logits and samples from them in place.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

N_DRAFT = 16
FIRST_DRAFT = 8
GROW = 4


class Drafter(Protocol):
    """Where drafts come from."""

    def draft(self, history: np.ndarray[Any, Any], n: int) -> list[int]:
        """At most ``n`` tokens that may follow ``history`` (the conversation so far,
        the token about to be evaluated last); [] for no guess."""
        ...


class NoDrafts:
    """No guesses: decoding on a load that may draft, with drafts turned off for one
    request (each step still evaluates two rows, see above)."""

    def draft(self, history: np.ndarray[Any, Any], n: int) -> list[int]:
        return []


@dataclass
class DraftCounts:
    """How many tokens were drafted and how many of them the model kept."""

    drafted: int = 0
    accepted: int = 0


def speculative_generate(
    llm: Any,
    tokens: list[int],
    sampler: Any,
    counts: DraftCounts,
    drafter: Drafter,
    n_draft: int = N_DRAFT,
) -> Generator[int, None, None]:
    """Like ``Llama.generate(tokens)`` with ``sampler`` (from ``llm._init_sampler``):
    the same prefix reuse, the same tokens, with ``drafter``'s drafts checked in batches."""
    llm._sampler = sampler
    reuse_prefix(llm, tokens)
    if len(tokens) - int(llm.n_tokens) < 2 <= len(tokens):
        # Two rows at least here too: a kept prefix (or a prompt read in batches by
        # read_with_progress) would leave its last token to a single-row pass.
        llm._ctx.kv_cache_seq_rm(-1, len(tokens) - 2, -1)
        llm.n_tokens = len(tokens) - 2
    llm.eval(tokens[llm.n_tokens :])
    n_ctx = int(llm.n_ctx())
    limit = max(0, min(n_draft, int(llm.n_batch) - 1))
    pending = int(sampler.sample(llm._ctx, -1))
    valid = int(llm.n_tokens)  # tokens in the KV cache that belong to the reply
    # Draft length adapts: four more after a draft kept whole; after a miss, what was
    # kept plus one, but no less than half the length before. A copied text misses
    # one token here and there (a number that changes from block to block) and goes
    # on matching: cutting to the miss made every such step ramp up again from one
    # or two tokens (on the bench's code edit: 72 steps for 256 tokens, now 56).
    size = FIRST_DRAFT
    try:
        yield pending
        while True:
            n_past = int(llm.n_tokens)
            room = n_ctx - n_past - 1
            if room < 0:
                raise RuntimeError("the context is full")
            history = np.append(llm.input_ids[:n_past], pending).astype(np.intc)
            wanted = min(size, limit, room)
            draft = drafter.draft(history, wanted)[:wanted] if wanted > 0 else []
            # No guess: the pending token again, so that the step is a batch of two
            # and computed by the same kernels as every other (see above).
            padded = not draft and room > 0 and limit > 0
            if padded:
                draft = [pending]
            batch = [pending, *draft]
            llm._ctx.kv_cache_seq_rm(-1, n_past, -1)
            llm._batch.set_batch(batch=batch, n_past=n_past, logits_all=True)
            llm._ctx.decode(llm._batch)
            llm.input_ids[n_past : n_past + len(batch)] = batch
            llm.n_tokens = n_past + len(batch)
            valid = n_past + 1
            if not padded:  # a guess made to fill the batch is not a draft
                counts.drafted += len(draft)
            for i in range(len(batch)):
                token = int(sampler.sample(llm._ctx, i))
                kept = i < len(draft) and token == draft[i]
                if kept:
                    counts.accepted += 0 if padded else 1
                    valid = n_past + i + 2  # the drafted token is the reply's next
                yield token
                if not kept:
                    pending = token
                    if not padded:
                        size = min(size + GROW, limit) if i == len(draft) else max(i + 1, size // 2)
                    break
            _trim(llm, valid)
    finally:
        # A reply stopped mid-round leaves unchecked drafts in the cache: drop them,
        # so that the next prompt's prefix check sees only the conversation's tokens.
        _trim(llm, valid)


def _trim(llm: Any, n_tokens: int) -> None:
    if int(llm.n_tokens) > n_tokens:
        llm.n_tokens = n_tokens
        llm._ctx.kv_cache_seq_rm(-1, n_tokens, -1)


def reusable_prefix(llm: Any, tokens: list[int]) -> int:
    """How many of ``tokens`` the KV cache holds already and ``Llama.generate`` keeps:
    the longest common prefix, less one when it is the whole prompt and the last
    token's logits must be made again."""
    held = int(llm.n_tokens)
    if held == 0 or not tokens:
        return 0
    m = min(held, len(tokens))
    differ = np.flatnonzero(llm.input_ids[:m] != np.asarray(tokens[:m], dtype=np.intc))
    longest = int(differ[0]) if differ.size else m
    if longest == len(tokens):
        exact = held == len(tokens) and not llm._requires_eval
        return longest if exact else longest - 1
    return longest


def reuse_prefix(llm: Any, tokens: list[int]) -> None:
    """Keep the KV cache's prefix of ``tokens`` (as ``Llama.generate`` does), always
    leaving at least one token to evaluate, for the logits of the first sample."""
    keep = min(reusable_prefix(llm, tokens), len(tokens) - 1)
    if keep > 0 and llm._ctx.kv_cache_seq_rm(-1, keep, -1):
        llm.n_tokens = keep
    else:
        llm.reset()
