"""The engine worker: runs in its own process and owns one ``llama_cpp.Llama``.

This is the only module that imports llama_cpp, and it does so inside the child
process only (the import is inside :func:`main`), so the app process never loads
llama.cpp. A llama.cpp abort or segfault kills this process, not the app; the host
sees the pipe close and reports it.

The generation loop is our own, on top of ``Llama.generate`` (llama.cpp's sampler
chain, no per-token logits copies): we count tokens ourselves (llama-cpp-python skips
its ``max_tokens`` check while the text ends in an incomplete UTF-8 character),
treat a full context as a clean "length" finish, and check the cancel flag between
tokens.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import faulthandler
import logging
import os
import random
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

from desktop_llm.core.engine.protocol import (
    BenchDone,
    BenchRequest,
    CancelFlag,
    ChatRequest,
    Chunk,
    Done,
    Failed,
    GenerationStats,
    Loaded,
    LoadFailed,
    LoadParams,
    LoadProgress,
    PerplexityDone,
    PerplexityProgress,
    PerplexityRequest,
    SamplingParams,
    Shutdown,
)
from desktop_llm.core.engine.templates import render_prompt
from desktop_llm.core.hardware.detect import physical_cores
from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

CHUNK_INTERVAL_S = 0.025

# ggml log levels (ggml.h): 1 debug, 2 info, 3 warn, 4 error, 5 continuation of the
# previous line. llama-cpp-python's _logger.py comment has the old, wrong numbering.
_LOG_WARN, _LOG_ERROR, _LOG_CONT = 3, 4, 5
# Rows of logits alive at once while scoring a text (each row is n_vocab floats).
_PPL_BATCH = 128


def main(conn: Connection, params: LoadParams, log_path: str, cancel: CancelFlag) -> None:
    """Entry point of the worker process (multiprocessing spawn target)."""
    log_file = _redirect_output(Path(log_path))
    # Ctrl-C in a terminal reaches the whole process group; the host decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        engine = _Engine.load(params, conn, cancel, log_file)
    except _LoadError as exc:
        _send(conn, LoadFailed(str(exc), cancelled=cancel.is_set()))
        return
    try:
        engine.serve()
    finally:
        engine.close()


def _redirect_output(log_path: Path) -> IO[bytes]:
    """Point fds 1 and 2 at the worker's log file.

    llama.cpp and ggml write to the C streams; a windowed app (pythonw, a frozen build)
    has no valid fds 1/2, and llama-cpp-python's ``verbose=False`` then fails with EBADF.
    """
    log_file = log_path.open("ab", buffering=0)
    os.dup2(log_file.fileno(), 1)
    os.dup2(log_file.fileno(), 2)
    stream = open(2, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)  # noqa: SIM115
    sys.stdout = sys.stderr = stream
    logging.basicConfig(
        stream=stream, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    faulthandler.enable(file=log_file)
    return log_file


def _send(conn: Connection, message: object) -> None:
    with contextlib.suppress(OSError, EOFError):  # the host is gone; nothing to tell
        conn.send(message)


class _LoadError(Exception):
    pass


class _Engine:
    def __init__(self, llm: Any, conn: Connection, cancel: CancelFlag, params: LoadParams) -> None:
        import llama_cpp

        self._llama_cpp = llama_cpp
        self.llm = llm
        self.conn = conn
        self.cancel = cancel
        self.params = params
        self.vocab = llm._model.vocab
        self.bos_token = _token_text(llm, llm.token_bos())
        self.eos_token = _token_text(llm, llm.token_eos())
        # Kept as an attribute so ctypes doesn't free it while llama.cpp holds the pointer.
        self._abort_cb = llama_cpp.ggml_abort_callback(lambda _data: self.cancel.is_set())
        self._no_abort_cb = llama_cpp.ggml_abort_callback()
        self._eog_ids: list[int] | None = None

    # -- load ---------------------------------------------------------------------
    @classmethod
    def load(
        cls, params: LoadParams, conn: Connection, cancel: CancelFlag, log_file: IO[bytes]
    ) -> _Engine:
        started = time.perf_counter()
        import llama_cpp
        import llama_cpp.llama_cpp as low

        recent: deque[str] = deque(maxlen=40)
        last_level = [0]

        def on_log(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
            line = text.decode("utf-8", "replace")
            with contextlib.suppress(OSError):
                log_file.write(text)
            level = last_level[0] if level == _LOG_CONT else level
            last_level[0] = level
            if level in (_LOG_WARN, _LOG_ERROR) and line.strip():
                recent.append(line.strip())

        log_cb = llama_cpp.llama_log_callback(on_log)
        globals()["_log_cb"] = log_cb  # keep alive for the life of the process
        llama_cpp.llama_log_set(log_cb, ctypes.c_void_p(0))

        last_sent = [-1.0]

        def on_progress(progress: float, _user: ctypes.c_void_p) -> bool:
            if progress - last_sent[0] >= 0.02 or progress >= 1.0:
                last_sent[0] = progress
                _send(conn, LoadProgress(float(progress)))
            return not cancel.is_set()

        progress_cb = llama_cpp.llama_progress_callback(on_progress)
        original_defaults = low.llama_model_default_params

        def defaults_with_progress() -> Any:
            # Llama() doesn't expose llama.cpp's progress callback; it builds its
            # params from this function, so we hook it for the one call (REFERENCE.md).
            model_params = original_defaults()
            model_params.progress_callback = progress_cb
            return model_params

        original_init_context = low.llama_init_from_model

        def init_context(model: Any, context_params: Any) -> Any:
            # Llama() only knows flash attention on or off; None asks for llama.cpp's
            # "auto", which llama-bench uses too (on where the backend supports it).
            if params.flash_attn is None:
                context_params.flash_attn_type = low.LLAMA_FLASH_ATTN_TYPE_AUTO
            return original_init_context(model, context_params)

        threads = params.n_threads or physical_cores()
        low.llama_model_default_params = defaults_with_progress
        low.llama_init_from_model = init_context
        try:
            llm = _llama_class(llama_cpp)(
                model_path=params.model_path,
                n_ctx=params.n_ctx,
                n_batch=params.n_batch,
                n_threads=threads,
                n_threads_batch=threads,
                n_gpu_layers=params.n_gpu_layers,
                use_mmap=params.use_mmap,
                use_mlock=params.use_mlock,
                flash_attn=bool(params.flash_attn),
                type_k=params.type_k,
                type_v=params.type_v,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise _LoadError(_load_failure_message(params.model_path, recent, exc)) from exc
        finally:
            low.llama_model_default_params = original_defaults
            low.llama_init_from_model = original_init_context
        engine = cls(llm, conn, cancel, params)
        info = Loaded(
            n_ctx=int(llm.n_ctx()),
            n_ctx_train=int(llm._model.n_ctx_train()),
            n_threads=threads,
            n_gpu_layers=params.n_gpu_layers,
            load_s=time.perf_counter() - started,
            bos_token=engine.bos_token,
            eos_token=engine.eos_token,
            system_info=llama_cpp.llama_print_system_info().decode("utf-8", "replace"),
        )
        _send(conn, info)
        return engine

    def close(self) -> None:
        # Free llama.cpp's memory before interpreter shutdown, not from __del__.
        self.llm.close()

    # -- serve --------------------------------------------------------------------
    def serve(self) -> None:
        while True:
            try:
                request = self.conn.recv()
            except (EOFError, OSError):
                return  # the host went away
            if isinstance(request, Shutdown):
                return
            if isinstance(request, ChatRequest):
                self._chat(request)
            elif isinstance(request, BenchRequest):
                self._send_bench(request)
            elif isinstance(request, PerplexityRequest):
                self._send_perplexity(request)
            else:
                logger.warning("unknown request %r", request)

    def _send_bench(self, request: BenchRequest) -> None:
        try:
            _send(self.conn, self._bench(request))
        except (UserError, ValueError, RuntimeError) as exc:
            _send(self.conn, Failed(request.request_id, str(exc), user_error=True))

    def _bench(self, request: BenchRequest) -> BenchDone:
        """Like llama-bench's pp/tg tests, but generation goes through the app's own
        per-token path: llama.cpp's sampler chain, detokenizing and a Chunk per token."""
        llama_cpp, llm = self._llama_cpp, self.llm
        n_ctx = int(llm.n_ctx())
        if request.n_prompt < 1 or request.n_prompt + request.n_gen > n_ctx:
            raise UserError(
                f"prompt ({request.n_prompt}) plus generated tokens "
                f"({request.n_gen}) must fit the context length ({n_ctx})"
            )
        rng = random.Random(request.seed)
        n_vocab = int(llm.n_vocab())
        tokens = [rng.randrange(n_vocab) for _ in range(request.n_prompt)]
        llm.reset()  # no KV reuse: every run processes the whole prompt
        llm.set_seed(request.seed)
        llama_cpp.llama_perf_context_reset(llm.ctx)
        sender = _ChunkSender(self.conn, request.request_id)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        started = time.perf_counter()
        t_first = started
        count = 0
        generator: Iterator[int] = llm.generate(
            tokens, top_k=40, top_p=0.95, min_p=0.05, temp=0.7, repeat_penalty=1.1
        )
        try:
            for token in generator:
                if count == 0:
                    t_first = time.perf_counter()
                sender.add(decoder.decode(llm.detokenize([token])))
                count += 1
                if count >= request.n_gen or self.cancel.is_set():
                    break
        finally:
            generator.close()  # type: ignore[attr-defined]
            sender.flush()
        ended = time.perf_counter()
        perf = llama_cpp.llama_perf_context(llm.ctx)
        prompt_s = perf.t_p_eval_ms / 1000.0 if perf.n_p_eval > 0 else t_first - started
        llm.reset()
        return BenchDone(
            request.request_id,
            request.n_prompt,
            count,
            prompt_s,
            t_first - started,
            ended - t_first,
        )

    def _send_perplexity(self, request: PerplexityRequest) -> None:
        try:
            _send(self.conn, self._perplexity(request))
        except UserError as exc:
            _send(self.conn, Failed(request.request_id, exc.message, user_error=True))
        except (ValueError, RuntimeError) as exc:
            self.llm.reset()
            _send(self.conn, Failed(request.request_id, str(exc), user_error=True))

    def _perplexity(self, request: PerplexityRequest) -> PerplexityDone:
        """Per-token log-probabilities from llama.cpp's logits, one batch at a time.

        Logits are requested for every token of the batch (what ``logits_all`` does),
        but only ``_PPL_BATCH`` rows of n_vocab floats are alive at once, not n_ctx rows.
        """
        import numpy as np

        llm = self.llm
        started = time.perf_counter()
        data = request.text.encode("utf-8")
        add_bos = bool(llm._model.add_bos_token())
        tokens: list[int] = llm.tokenize(data, add_bos=add_bos, special=False)
        if len(tokens) < 2:
            raise UserError("the text is too short to score: it needs at least two tokens")
        n_ctx = int(llm.n_ctx())
        window = min(request.window or n_ctx, n_ctx)
        if window < 16:
            raise UserError(f"the window must be at least 16 tokens (got {window})")
        step = max(1, min(int(llm.n_batch), _PPL_BATCH))
        n_vocab = int(llm.n_vocab())
        total = len(tokens) - 1  # every token but the first is predicted once
        scored = 0
        nll = 0.0
        start = 0
        llm.reset()
        try:
            while True:
                end = min(start + window, len(tokens))
                first_scored = max(start + 1, scored + 1)  # positions already scored skip
                llm._ctx.kv_cache_clear()
                for offset in range(0, end - start, step):
                    if self.cancel.is_set():
                        raise UserError("scoring was cancelled")
                    batch = tokens[start + offset : min(end, start + offset + step)]
                    llm._batch.set_batch(batch=batch, n_past=offset, logits_all=True)
                    llm._ctx.decode(llm._batch)
                    # Row j predicts the token after position start + offset + j.
                    rows = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(len(batch), n_vocab))
                    positions = np.arange(len(batch)) + start + offset + 1
                    keep = (positions >= first_scored) & (positions < end)
                    if keep.any():
                        logits = rows[keep].astype(np.float64)
                        targets = np.asarray(tokens, dtype=np.int64)[positions[keep]]
                        peak = logits.max(axis=1)
                        lse = peak + np.log(np.exp(logits - peak[:, None]).sum(axis=1))
                        picked = logits[np.arange(len(targets)), targets]
                        nll += float((lse - picked).sum())
                        scored += int(keep.sum())
                    _send(self.conn, PerplexityProgress(request.request_id, scored, total))
                if end >= len(tokens):
                    break
                start = end - window // 2
        finally:
            llm._ctx.kv_cache_clear()
            llm.reset()
        return PerplexityDone(
            request.request_id, scored, nll, len(data), time.perf_counter() - started
        )

    def _chat(self, request: ChatRequest) -> None:
        try:
            result = self._generate(request)
        except UserError as exc:
            _send(self.conn, Failed(request.request_id, exc.message, user_error=True))
            return
        except ValueError as exc:
            _send(self.conn, Failed(request.request_id, str(exc), user_error=True))
            return
        except Exception as exc:
            # A bug in one request must not take the loaded model down with it.
            logger.exception("request %d failed", request.request_id)
            message = f"{type(exc).__name__}: {exc}"
            _send(self.conn, Failed(request.request_id, message, user_error=False))
            return
        _send(self.conn, result)

    def _generate(self, request: ChatRequest) -> Done:
        llama_cpp, llm = self._llama_cpp, self.llm
        started = time.perf_counter()
        rendered = render_prompt(
            request.template, request.messages, bos_token=self.bos_token, eos_token=self.eos_token
        )
        rendered_at = time.perf_counter()
        add_bos = rendered.add_bos and bool(llm._model.add_bos_token())
        tokens = llm.tokenize(rendered.text.encode("utf-8"), add_bos=add_bos, special=True)
        tokenized_at = time.perf_counter()
        if not tokens:
            # llama.cpp asserts on an empty prompt (REFERENCE.md)
            raise UserError("the prompt is empty")
        n_ctx = int(llm.n_ctx())
        if len(tokens) >= n_ctx:
            raise UserError(
                f"the conversation is {len(tokens):,} tokens, more than the context length "
                f"({n_ctx:,}); start a new chat or raise the context length"
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
        llama_cpp.llama_set_abort_callback(llm.ctx, self._abort_cb, None)

        stopper = _StopFilter(rendered.stop)
        sender = _ChunkSender(self.conn, request.request_id)
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
        generator: Iterator[int] = self._start(tokens, sampling, None)
        try:
            while True:
                try:
                    token = next(generator)
                except StopIteration:
                    break
                now = time.perf_counter()
                if t_first is None:
                    t_first = now
                    llama_cpp.llama_set_abort_callback(llm.ctx, self._no_abort_cb, None)
                t_last = now
                if llama_cpp.llama_vocab_is_eog(self.vocab, token) and not sampling.ignore_eos:
                    if may_retry_empty and n_gen < budget and not _visible(pieces, stopper):
                        may_retry_empty = False
                        generator.close()  # type: ignore[attr-defined]
                        generator = self._start(
                            tokens + generated,
                            sampling,
                            self._eog_ban(lambda: _visible(pieces, stopper)),
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
                if self.cancel.is_set():
                    finish = "cancelled"
                    break
                if n_gen >= budget:
                    finish = "length"
                    break
        except RuntimeError as exc:
            # decode returns 2 when our abort hook fired, 1 when the KV cache is full
            llm.reset()
            if self.cancel.is_set():
                finish = "cancelled"
            else:
                logger.warning("generation ended early: %s", exc)
                finish = "length"
        finally:
            generator.close()  # type: ignore[attr-defined]
            llama_cpp.llama_set_abort_callback(llm.ctx, self._no_abort_cb, None)
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
        )
        return Done(request.request_id, "".join(pieces), stats)

    def _start(
        self, tokens: list[int], sampling: SamplingParams, logits_processor: Any
    ) -> Iterator[int]:
        generator: Iterator[int] = self.llm.generate(
            tokens,
            top_k=sampling.top_k,
            top_p=sampling.top_p,
            min_p=sampling.min_p,
            temp=sampling.temperature,
            repeat_penalty=sampling.repeat_penalty,
            logits_processor=logits_processor,
        )
        return generator

    def _eog_ban(self, lifted: Callable[[], bool]) -> list[Callable[[Any, Any], Any]]:
        """A logits processor that rules out every end-of-generation token until
        ``lifted()``. A Python step in the sampler chain costs a little per token, so
        it is used only for the rare retry of an empty reply."""
        import numpy as np

        if self._eog_ids is None:
            n_vocab = int(self.llm.n_vocab())
            is_eog = self._llama_cpp.llama_vocab_is_eog
            self._eog_ids = [t for t in range(n_vocab) if is_eog(self.vocab, t)]
        eog_ids = self._eog_ids

        def ban(_input_ids: Any, scores: Any) -> Any:
            if lifted():
                return scores
            scores = scores.copy()
            scores[eog_ids] = -np.inf
            return scores

        return [ban]


def _llama_class(llama_cpp: Any) -> Any:
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
    internals = llama_cpp._internals

    class Llama(llama_cpp.Llama):  # type: ignore[misc]
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
            sampler = internals.LlamaSampler()
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

    return Llama


def _visible(pieces: list[str], stopper: _StopFilter) -> bool:
    """Whether the reply so far (sent or held back) has any non-blank text."""
    return any(p.strip() for p in pieces) or bool(stopper.held.strip())


class _ChunkSender:
    """Sends streamed text to the host at most every CHUNK_INTERVAL_S (the first piece at
    once). A message per token would wake the host process 60+ times a second, and on a
    machine with as many cores as engine threads every wake-up stalls llama.cpp's threads;
    the GUI draws at most every 30 ms anyway."""

    def __init__(self, conn: Connection, request_id: int) -> None:
        self._conn = conn
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
            _send(self._conn, Chunk(self._id, text))


class _StopFilter:
    """Holds back text that might be the start of a stop string, and cuts at one."""

    def __init__(self, stops: tuple[str, ...]) -> None:
        self.stops = tuple(s for s in stops if s)
        self.held = ""
        self.stopped = False

    def feed(self, text: str) -> tuple[str, bool]:
        if not self.stops:
            return text, False
        buffer = self.held + text
        cut = min((i for i in (buffer.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.held = ""
            self.stopped = True
            return buffer[:cut], True
        keep = 0
        for stop in self.stops:
            for n in range(min(len(stop) - 1, len(buffer)), 0, -1):
                if buffer.endswith(stop[:n]):
                    keep = max(keep, n)
                    break
        self.held = buffer[len(buffer) - keep :] if keep else ""
        return buffer[: len(buffer) - keep], False

    def flush(self) -> str:
        held, self.held = self.held, ""
        return held


def _token_text(llm: Any, token: int) -> str:
    if token < 0:
        return ""
    try:
        return str(llm._model.token_get_text(token))
    except (UnicodeDecodeError, ValueError):
        return ""


def _load_failure_message(model_path: str, recent: deque[str], exc: Exception) -> str:
    name = Path(model_path).name
    reasons = [
        line
        for line in recent
        if "error" in line.lower() or "failed" in line.lower() or "unknown" in line.lower()
    ]
    reason = _clean_reason(reasons[0] if reasons else (recent[-1] if recent else str(exc)))
    return f"llama.cpp could not load {name}: {reason}"


def _clean_reason(line: str) -> str:
    # llama.cpp prefixes lines with the function name ("llama_model_load: error loading
    # model: ..."); the user needs only the last, most specific part.
    parts = [p.strip() for p in line.split(": ") if p.strip()]
    while len(parts) > 1 and (
        parts[0].startswith(("llama_", "gguf_", "ggml_", "load"))
        or parts[0] in {"error loading model", "error"}
    ):
        parts.pop(0)
    return ": ".join(parts) or line


def probe(conn: Connection) -> None:
    """Entry point of a short-lived process that reports what the engine was built with."""
    log = Path(os.devnull).open("wb")  # noqa: SIM115 - lives as long as this process
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    import importlib.metadata

    import llama_cpp

    system_info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    gpu = bool(llama_cpp.llama_supports_gpu_offload())
    upper = system_info.upper()
    if "CUDA" in upper:
        backend = "cuda"
    elif "METAL" in upper:
        backend = "metal"
    elif gpu:
        backend = "vulkan" if "VULKAN" in upper or _has_vulkan(llama_cpp) else "gpu"
    else:
        backend = "cpu"
    _send(
        conn,
        {
            "version": importlib.metadata.version("llama-cpp-python"),
            "backend": backend,
            "gpu_offload": gpu,
            "system_info": system_info,
        },
    )


def _has_vulkan(llama_cpp: Any) -> bool:
    lib_dir = Path(llama_cpp.__file__).parent / "lib"
    return any("vulkan" in p.name.lower() for p in lib_dir.glob("*"))
