"""Worker side: one chat reply, token by token, streamed to the host.

Imported only in the worker process (it imports llama_cpp). The loop is our own, on
top of ``Llama.generate`` (llama.cpp's sampler chain, no per-token logits copies): we
count tokens ourselves (llama-cpp-python skips its ``max_tokens`` check while the text
ends in an incomplete UTF-8 character), treat a full context as a clean "length"
finish, cut the text at the template's stop strings (:class:`StopFilter`), and check
the cancel flag between tokens and, during the prompt pass, from llama.cpp's abort
callback.
"""

from __future__ import annotations

import codecs
import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp import llama_grammar

from desktop_llm.core.engine.loader import LoadedModel
from desktop_llm.core.engine.prompt_lookup import PromptLookup
from desktop_llm.core.engine.protocol import (
    ChatRequest,
    Chunk,
    Done,
    GenerationStats,
    PromptProgress,
    SamplingParams,
)
from desktop_llm.core.engine.speculative import (
    DraftCounts,
    Drafter,
    NoDrafts,
    reusable_prefix,
    reuse_prefix,
    speculative_generate,
)
from desktop_llm.core.engine.stop_filter import StopFilter
from desktop_llm.core.engine.templates import render_prompt
from desktop_llm.core.engine.token_loop import plain_generate
from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

CHUNK_INTERVAL_S = 0.025


def generate(model: LoadedModel, request: ChatRequest) -> Done:
    """The reply to ``request`` (its chunks already sent). UserError for a prompt that
    is empty or longer than the context."""
    llm = model.llm
    started = time.perf_counter()
    if model.kv_store is not None:
        # Save the chat the KV cache holds, if another, and restore this one's.
        model.kv_store.switch_to(llm, request.cache_key)
    grammar = build_grammar(model, request.sampling)
    tools = json.loads(request.sampling.tools) if request.sampling.tools is not None else None
    rendered = render_prompt(
        request.template,
        request.messages,
        bos_token=model.bos_token,
        eos_token=model.eos_token,
        tools=tools,
    )
    rendered_at = time.perf_counter()
    add_bos = rendered.add_bos and bool(llm._model.add_bos_token())
    tokens = llm.tokenize(rendered.text.encode("utf-8"), add_bos=add_bos, special=True)
    tokenized_at = time.perf_counter()
    if not tokens:
        # llama.cpp asserts on an empty prompt (REFERENCE.md)
        raise UserError.of("the prompt is empty")
    n_ctx = int(llm.n_ctx())
    if len(tokens) >= n_ctx:
        raise UserError.of(
            "the conversation is {tokens:,} tokens, more than the context length "
            "({n_ctx:,}); start a new chat or raise the context length",
            tokens=len(tokens),
            n_ctx=n_ctx,
        )
    sampling = request.sampling
    budget = (
        min(sampling.max_tokens, n_ctx - len(tokens))
        if sampling.max_tokens > 0
        else n_ctx - len(tokens)
    )
    llm.set_seed(
        sampling.seed
        if sampling.seed is not None and sampling.seed >= 0
        else random.randrange(2**31)
    )
    llama_cpp.llama_perf_context_reset(llm.ctx)
    # The abort hook only during prompt processing: a Python callback per graph node
    # would cost several percent of generation speed.
    llama_cpp.llama_set_abort_callback(llm.ctx, model.abort_cb, None)

    stopper = StopFilter(rendered.stop)
    sender = ChunkSender(model, request.request_id)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pieces: list[str] = []
    generated: list[int] = []
    n_gen = 0
    finish = "stop"
    t_first: float | None = None
    t_last = started
    # A base model (plain completion) may end its reply before it says anything;
    # "never an empty reply": if it does, resample with end-of-generation banned
    # until some visible text is out (once; the prompt stays in the KV cache).
    may_retry_empty = request.template.name == "completion"
    cached = reusable_prefix(llm, tokens)
    counts = DraftCounts()
    drafter = _drafter(model, sampling)
    try:
        read_with_progress(model, request.request_id, tokens)
    except RuntimeError:  # decode aborted by a cancel (the abort hook) or a full KV cache
        llm.reset()
        if not model.cancelled():
            raise
    generator: Iterator[int] = _start(llm, tokens, sampling, None, grammar, counts, drafter)
    try:
        while True:
            if t_first is None and model.cancelled():
                # A cancel the host sent before this request began: no prompt pass.
                finish = "cancelled"
                break
            try:
                token = next(generator)
            except StopIteration:
                break
            now = time.perf_counter()
            if t_first is None:
                t_first = now
                llama_cpp.llama_set_abort_callback(llm.ctx, model.no_abort_cb, None)
            t_last = now
            if llama_cpp.llama_vocab_is_eog(model.vocab, token) and not sampling.ignore_eos:
                if may_retry_empty and n_gen < budget and not _visible(pieces, stopper):
                    may_retry_empty = False
                    generator.close()  # type: ignore[attr-defined]
                    generator = _start(
                        llm,
                        tokens + generated,
                        sampling,
                        _eog_ban(model, lambda: _visible(pieces, stopper)),
                        grammar,
                        counts,
                        drafter,
                    )
                    continue
                break
            n_gen += 1
            generated.append(token)
            text = decoder.decode(llm.detokenize([token]))
            out, stopped = stopper.feed(text)
            if out:
                pieces.append(out)
                sender.add(out)
            if stopped:
                break
            if model.cancelled():
                finish = "cancelled"
                break
            if n_gen >= budget:
                finish = "length"
                break
    except RuntimeError as exc:
        # decode returns 2 when our abort hook fired, 1 when the KV cache is full
        llm.reset()
        if model.cancelled():
            finish = "cancelled"
        else:
            logger.warning("generation ended early: %s", exc)
            finish = "length"
    finally:
        generator.close()  # type: ignore[attr-defined]
        llama_cpp.llama_set_abort_callback(llm.ctx, model.no_abort_cb, None)
    tail = "" if stopper.stopped else stopper.flush() + decoder.decode(b"", final=True)
    if tail:
        pieces.append(tail)
        sender.add(tail)
    sender.flush()
    ended = time.perf_counter()
    perf = llama_cpp.llama_perf_context(llm.ctx)
    ttft = (t_first - started) if t_first is not None else ended - started
    if perf.n_p_eval > 0 and perf.t_p_eval_ms > 0:
        prompt_tps = perf.n_p_eval / (perf.t_p_eval_ms / 1000.0)
    else:
        prompt_tps = len(tokens) / ttft if ttft > 0 else 0.0
    gen_tps = (
        (n_gen - 1) / (t_last - t_first)
        if t_first is not None and n_gen > 1 and t_last > t_first
        else 0.0
    )
    stats = GenerationStats(
        prompt_tokens=len(tokens),
        completion_tokens=n_gen,
        ttft_s=ttft,
        prompt_tps=prompt_tps,
        gen_tps=gen_tps,
        finish_reason=finish,
        total_s=ended - started,
        context_used=len(tokens) + n_gen,
        n_ctx=n_ctx,
        render_s=rendered_at - started,
        tokenize_s=tokenized_at - rendered_at,
        prompt_eval_tokens=int(perf.n_p_eval),
        prompt_eval_s=perf.t_p_eval_ms / 1000.0,
        cached_tokens=cached,
        drafted_tokens=counts.drafted,
        accepted_tokens=counts.accepted,
    )
    return Done(request.request_id, "".join(pieces), stats)


def read_with_progress(model: LoadedModel, request_id: int, tokens: list[int]) -> None:
    """Read a long prompt into the KV cache one batch at a time, saying how far it got
    after each (PromptProgress); what is left, the last token, is read when generation
    starts, which keeps the prefix. A prompt that fits one batch is left to generation."""
    llm = model.llm
    batch = max(1, int(llm.n_batch))
    if len(tokens) - 1 - reusable_prefix(llm, tokens) <= batch:
        return
    reuse_prefix(llm, tokens)
    end = len(tokens) - 1
    while int(llm.n_tokens) < end and not model.cancelled():
        start = int(llm.n_tokens)
        llm.eval(tokens[start : min(start + batch, end)])
        model.send(PromptProgress(request_id, int(llm.n_tokens), len(tokens)))


def _drafter(model: LoadedModel, sampling: SamplingParams) -> Drafter | None:
    """Where this reply's drafts come from: the request's choice (``prompt_lookup``
    True or False), else the load's (prompt lookup or a draft model); None on a load
    whose batches don't decode as single tokens do (flash attention on). Drafts turned
    off on a load that drafts: ``NoDrafts``, the same loop and kernels (speculative.py),
    so that the reply is the same token for token with and without them."""
    if not model.exact_batches:
        return None
    if sampling.prompt_lookup is False:
        return NoDrafts()
    if sampling.prompt_lookup:
        return PromptLookup()
    return model.drafter


def _start(
    llm: Any,
    tokens: list[int],
    sampling: SamplingParams,
    logits_processor: Any,
    grammar: Any,
    counts: DraftCounts,
    drafter: Drafter | None,
) -> Iterator[int]:
    options: dict[str, Any] = {
        "top_k": sampling.top_k,
        "top_p": sampling.top_p,
        "min_p": sampling.min_p,
        "temp": sampling.temperature,
        "repeat_penalty": sampling.repeat_penalty,
        "frequency_penalty": sampling.frequency_penalty,
        "presence_penalty": sampling.presence_penalty,
        "logits_processor": logits_processor,
        "grammar": grammar,
    }
    if logits_processor is None and grammar is None:
        sampler = llm._init_sampler(**options)
        if drafter is not None:
            return speculative_generate(llm, tokens, sampler, counts, drafter)
        return plain_generate(llm, tokens, sampler)
    # Grammars and Python logits processors keep llama-cpp-python's own loop.
    generator: Iterator[int] = llm.generate(tokens, **options)
    return generator


def build_grammar(model: LoadedModel, sampling: SamplingParams) -> Any:
    """The request's grammar (``sampling.grammar``, or one made from
    ``sampling.json_schema``) as a ``LlamaGrammar``, or None. UserError for a schema or
    grammar llama.cpp can't use: checked here, because a grammar sampler that fails to
    build is a NULL pointer in the sampler chain."""
    if sampling.grammar is None and sampling.json_schema is None:
        return None
    text = sampling.grammar
    if text is None:
        try:
            text = llama_grammar.json_schema_to_gbnf(sampling.json_schema or "{}")
        except Exception as exc:  # the converter asserts and raises KeyError on bad input
            reason = str(exc) or type(exc).__name__
            raise UserError.of(
                "response_format.json_schema can't be turned into a grammar: {reason}; "
                "fix the schema (supported: type, properties, required, items, enum, const, "
                "anyOf/oneOf, local $ref, string and number bounds)",
                reason=reason,
            ) from None
    probe = llama_cpp.llama_sampler_init_grammar(
        model.vocab, text.encode("utf-8"), llama_grammar.LLAMA_GRAMMAR_DEFAULT_ROOT.encode()
    )
    if not probe:
        raise UserError.of("the grammar is not valid GBNF (llama.cpp's log says where)")
    llama_cpp.llama_sampler_free(probe)
    return llama_grammar.LlamaGrammar.from_string(text, verbose=False)


def _eog_ban(model: LoadedModel, lifted: Callable[[], bool]) -> list[Callable[[Any, Any], Any]]:
    """A logits processor that rules out every end-of-generation token until
    ``lifted()``. A Python step in the sampler chain costs a little per token, so
    it is used only for the rare retry of an empty reply."""
    if model.eog_ids is None:
        n_vocab = int(model.llm.n_vocab())
        is_eog = llama_cpp.llama_vocab_is_eog
        model.eog_ids = [t for t in range(n_vocab) if is_eog(model.vocab, t)]
    eog_ids = model.eog_ids

    def ban(_input_ids: Any, scores: Any) -> Any:
        if lifted():
            return scores
        scores = scores.copy()
        scores[eog_ids] = -np.inf
        return scores

    return [ban]


def _visible(pieces: list[str], stopper: StopFilter) -> bool:
    """Whether the reply so far (sent or held back) has any non-blank text."""
    return any(p.strip() for p in pieces) or bool(stopper.held.strip())


class ChunkSender:
    """Sends streamed text to the host at most every CHUNK_INTERVAL_S (the first piece at
    once). A message per token would wake the host process 60+ times a second, and on a
    machine with as many cores as engine threads every wake-up stalls llama.cpp's threads;
    the GUI draws at most every 30 ms anyway."""

    def __init__(self, model: LoadedModel, request_id: int) -> None:
        self._model = model
        self._id = request_id
        self._parts: list[str] = []
        self._last = 0.0

    def add(self, text: str) -> None:
        if not text:
            return
        self._parts.append(text)
        now = time.perf_counter()
        if now - self._last >= CHUNK_INTERVAL_S:
            self._last = now
            self.flush()

    def flush(self) -> None:
        if self._parts:
            text, self._parts = "".join(self._parts), []
            self._model.send(Chunk(self._id, text))
