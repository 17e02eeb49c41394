"""A model's own chat template (GGUF ``tokenizer.chat_template``), rendered in a Jinja
sandbox: the template is data from an untrusted file.

The sandbox keeps the template away from Python's objects (no ``__class__``, no
``__subclasses__``, no globals, no os), but not from the machine's time and memory:
``range()`` is capped at 100,000 items and nested loops still run for hours; ``"x" *
10**9`` is a gigabyte (REFERENCE.md, "Traps"). So a render also has limits
(:class:`_Limits`): a deadline (``RENDER_LIMIT_S``) checked from a trace function on
every line of the template's compiled code and every Python call it makes, a cap on
the size of every string and list it builds (``MAX_TEXT``: the operations that make
big values in one C call are checked before they run), and a cap on how much memory
the process may grow by while it renders. Past any of them the render stops with a
:class:`ChatTemplateError` that names the template; the model stays loaded, and a
built-in template chosen for the model works at once.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from types import FrameType
from typing import Any, Literal, NoReturn

import jinja2
import jinja2.ext
import jinja2.nodes
import jinja2.parser
import jinja2.runtime
import psutil
from jinja2.nodes import EvalContext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from desktop_llm.core.engine.templates.prompt import (
    ChatTemplateError,
    RenderedPrompt,
    Turns,
    fold_system,
    stop_strings,
)

logger = logging.getLogger(__name__)

RENDER_LIMIT_S = 2.0
"""The longest a model's own template may take to render a conversation."""
MAX_TEXT = 16 * 1024 * 1024
"""The longest string or list a template may build (a rendered prompt is far shorter
than this: a 128k-token context is well under a megabyte of text)."""
MAX_GROWTH = 512 * 1024 * 1024
"""How much the process's memory may grow while a template renders."""
_MAX_INT_ARG = 65536
"""The largest number a template may pass to a function (widths, counts) other than
range(), which the sandbox caps itself. Chat templates pass small ones."""
_MEMORY_EVERY_S = 0.005
_BIG_NUMBER = re.compile(r"\d{6,}")  # a width or precision in a format string
_TEMPLATE_FILE = "<template>"  # the file name of code compiled from a template string

_MB = 1024 * 1024


class _TemplateRaised(jinja2.TemplateError):
    """A template called raise_exception(message)."""


class _Stopped(BaseException):
    """A limit stopped the render (``error``: what the user is told). A BaseException so
    that no ``except Exception`` in Jinja's runtime (or ours, which retries without a
    system role) swallows it."""

    def __init__(self, error: ChatTemplateError) -> None:
        super().__init__(error.message)
        self.error = error
        self.message = error.message


def _too_big(
    what: Literal["value", "formatted string", "string", "repeated value", "prompt"],
) -> _Stopped:
    """The render built ``what`` larger than MAX_TEXT: one whole sentence each, for the
    window's translations."""
    mb = MAX_TEXT // _MB
    if what == "formatted string":
        error = ChatTemplateError.of(
            "the model's own chat template (from the GGUF) tried to build a formatted string "
            "larger than {mb} MB; choose a built-in template for this model in the chat settings",
            mb=mb,
        )
    elif what == "string":
        error = ChatTemplateError.of(
            "the model's own chat template (from the GGUF) tried to build a string "
            "larger than {mb} MB; choose a built-in template for this model in the chat settings",
            mb=mb,
        )
    elif what == "repeated value":
        error = ChatTemplateError.of(
            "the model's own chat template (from the GGUF) tried to build a repeated value "
            "larger than {mb} MB; choose a built-in template for this model in the chat settings",
            mb=mb,
        )
    elif what == "prompt":
        error = ChatTemplateError.of(
            "the model's own chat template (from the GGUF) tried to build a prompt "
            "larger than {mb} MB; choose a built-in template for this model in the chat settings",
            mb=mb,
        )
    else:
        error = ChatTemplateError.of(
            "the model's own chat template (from the GGUF) tried to build a value "
            "larger than {mb} MB; choose a built-in template for this model in the chat settings",
            mb=mb,
        )
    return _Stopped(error)


def _raise_exception(message: str) -> NoReturn:
    raise _TemplateRaised(message)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    # Transformers' tojson: no HTML escaping (jinja2's default filter turns < into \u003c).
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


class _IgnoreGenerationTags(jinja2.ext.Extension):
    """Pass through Hugging Face's `{% generation %}` tag, as transformers does."""

    tags = {"generation"}  # noqa: RUF012 -- the type jinja2.ext.Extension declares

    def parse(self, parser: jinja2.parser.Parser) -> list[jinja2.nodes.Node]:
        parser.stream.skip(1)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


# -- sizes ------------------------------------------------------------------------------
def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple | dict) else 0


def _check_size(value: Any) -> Any:
    if _size(value) > MAX_TEXT:
        raise _too_big("value")
    return value


def _check_args(args: Iterable[Any]) -> None:
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > _MAX_INT_ARG:
            raise _Stopped(
                ChatTemplateError.of(
                    "the model's own chat template (from the GGUF) passed the number {number} "
                    "to a function; choose a built-in template for this model in the chat "
                    "settings",
                    number=arg,
                )
            )


def _check_format(fmt: Any, args: Any = ()) -> None:
    # "%999999999d" % 1 and "{:>999999999}".format(1) are a gigabyte in one C call.
    if isinstance(fmt, str) and _BIG_NUMBER.search(fmt):
        raise _too_big("formatted string")
    _check_args(args if isinstance(args, tuple | list) else (args,))


def _check_replace(text: Any, old: Any, new: Any, count: Any = -1) -> None:
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return
    hits = text.count(old)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    if len(text) + hits * (len(new) - len(old)) > MAX_TEXT:
        raise _too_big("string")


def _check_join(separator: Any, items: list[Any]) -> None:
    total = _size(separator) * max(len(items) - 1, 0) + sum(_size(i) for i in items)
    if total > MAX_TEXT:
        raise _too_big("string")


def _capped_join(pieces: Iterable[Any]) -> str:
    # Jinja's `~` operator and {% set %} blocks join here: no cap would let a loop
    # double a string until memory runs out.
    items = [str(p) for p in pieces]
    _check_join("", items)
    return "".join(items)


def _guarded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)  # keeps jinja_pass_arg (pass_context and friends)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        values = [a for a in args if not isinstance(a, jinja2.runtime.Context | EvalContext)]
        _check_args(values[1:])  # widths and counts; the value itself may be any number
        _check_args(kwargs.values())
        if name == "replace" and len(values) >= 3:
            _check_replace(*values[:4])
        elif name == "format" and values:
            _check_format(values[0], tuple(values[1:]))
        elif name == "join" and values and not isinstance(values[0], str):
            items = list(values[0])
            separator = values[1] if len(values) > 1 else kwargs.get("d", "")
            _check_join(separator, items)
            args = tuple(items if a is values[0] else a for a in args)
        return _check_size(func(*args, **kwargs))

    return guarded


class _LimitedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with the operations that build big values in one step checked."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if operator == "*":
            count = right if isinstance(right, int) else left if isinstance(left, int) else 1
            if isinstance(count, int) and count * max(_size(left), _size(right)) > MAX_TEXT:
                raise _too_big("repeated value")
        elif operator == "**":
            if isinstance(right, int) and isinstance(left, int) and abs(left) > 1 and right > 4096:
                raise _Stopped(
                    ChatTemplateError.of(
                        "the model's own chat template (from the GGUF) raised a number to the "
                        "power {power}; choose a built-in template for this model in the chat "
                        "settings",
                        power=right,
                    )
                )
        elif operator == "+":
            if _size(left) + _size(right) > MAX_TEXT:
                raise _too_big("value")
        elif operator == "%":
            _check_format(left, right)
        return _check_size(super().call_binop(context, operator, left, right))

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, str) and attribute in ("format", "format_map"):
            # The sandbox hands out its own wrapper for str.format: check it here.
            _check_format(obj)
        return super().getattr(obj, attribute)

    def call(self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        receiver = getattr(obj, "__self__", None)
        method = getattr(obj, "__name__", "")
        if isinstance(receiver, str | list | tuple):
            _check_args(args)  # "x".ljust(10**9), ("\t" * n).expandtabs(...)
            _check_args(kwargs.values())
        if isinstance(receiver, str):
            if method == "replace":
                _check_replace(receiver, *args[:3])
            elif method == "join" and args:
                items = list(args[0])
                _check_join(receiver, items)
                args = (items, *args[1:])
            elif method == "expandtabs":
                tab = args[0] if args else kwargs.get("tabsize", 8)
                if isinstance(tab, int) and receiver.count("\t") * tab > MAX_TEXT:
                    raise _too_big("string")
        return _check_size(super().call(context, obj, *args, **kwargs))


class _Limits:
    """The render's deadline and memory cap, checked from a trace function: on every
    Python call made during the render and on every line of the template's own code
    (a loop with an empty body still runs lines)."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self.deadline = time.monotonic() + limit_s
        self._process = psutil.Process()
        self._start_rss = self._process.memory_info().rss
        self._next_memory = 0.0

    def check(self) -> None:
        now = time.monotonic()
        if now > self.deadline:
            raise _Stopped(
                ChatTemplateError.of(
                    "the model's own chat template (from the GGUF) took longer than {limit:g} s "
                    "to render; choose a built-in template for this model in the chat settings",
                    limit=self.limit_s,
                )
            )
        if now >= self._next_memory:
            self._next_memory = now + _MEMORY_EVERY_S
            if self._process.memory_info().rss - self._start_rss > MAX_GROWTH:
                raise _Stopped(
                    ChatTemplateError.of(
                        "the model's own chat template (from the GGUF) used more than {mb} MB "
                        "of memory to render; choose a built-in template for this model in the "
                        "chat settings",
                        mb=MAX_GROWTH // _MB,
                    )
                )

    def on_call(self, frame: FrameType, event: str, arg: Any) -> Any:
        self.check()
        return self.on_line if frame.f_code.co_filename == _TEMPLATE_FILE else None

    def on_line(self, frame: FrameType, event: str, arg: Any) -> Any:
        self.check()
        return self.on_line

    def run(self, work: Callable[[], str]) -> str:
        previous = sys.gettrace()
        sys.settrace(self.on_call)
        try:
            return work()
        finally:
            sys.settrace(previous)


@functools.lru_cache(maxsize=8)
def _compile(source: str) -> jinja2.Template:
    # The same sandbox as transformers and llama-cpp-python: a GGUF file is untrusted.
    env = _LimitedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        loader=None,
        extensions=[_IgnoreGenerationTags, jinja2.ext.loopcontrols],
    )
    env.filters["tojson"] = _tojson
    env.filters = {name: _guarded_filter(name, f) for name, f in env.filters.items()}
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    env.concat = _capped_join  # type: ignore[method-assign]
    template = env.from_string(source)
    # `~` compiles to a call of the template module's str_join (markup_join when
    # autoescaping): the module's globals are shared by its blocks and macros.
    namespace = template.root_render_func.__globals__
    namespace["str_join"] = namespace["markup_join"] = _capped_join
    return template


def _render(template: jinja2.Template, variables: dict[str, Any]) -> str:
    pieces: list[str] = []
    total = 0
    for piece in template.generate(**variables):
        total += len(piece)
        if total > MAX_TEXT:
            raise _too_big("prompt")
        pieces.append(piece)
    return "".join(pieces)


def render_jinja(
    source: str,
    system: str,
    turns: Turns,
    bos: str,
    eos: str,
    *,
    limit_s: float = RENDER_LIMIT_S,
) -> RenderedPrompt:
    limits = _Limits(limit_s)

    def attempt(messages: list[dict[str, str]]) -> str:
        variables: dict[str, Any] = {
            "messages": messages,
            "add_generation_prompt": True,
            "bos_token": bos,
            "eos_token": eos,
            "tools": None,
            "documents": None,
        }
        return limits.run(lambda: _render(_compile(source), variables))

    system_msgs = [{"role": "system", "content": system}] if system else []
    messages = [*system_msgs, *({"role": r, "content": c} for r, c in turns)]
    try:
        try:
            # Broad on purpose: the template is data from the model file, and whatever it
            # trips over (TemplateError, TypeError on odd arithmetic, ...) is its problem.
            text = attempt(messages)
        except Exception as exc:
            if not system:
                raise _failure(exc) from exc
            # Gemma 2's and Mistral's templates refuse a system role; put it in the first
            # user turn rather than make the user pick a template.
            logger.info("chat template refused the system prompt (%s); folding it in", exc)
            try:
                text = attempt([{"role": r, "content": c} for r, c in fold_system(system, turns)])
            except Exception:
                raise _failure(exc) from exc
    except _Stopped as stopped:
        logger.warning("chat template stopped: %s", stopped.message)
        raise stopped.error from None

    return RenderedPrompt(text, _stops(source, eos), add_bos=not (bos and text.startswith(bos)))


def render_jinja_tools(
    source: str,
    messages: list[dict[str, Any]],
    tools: list[Any] | None,
    bos: str,
    eos: str,
    *,
    limit_s: float = RENDER_LIMIT_S,
) -> RenderedPrompt:
    """The model's own template with OpenAI-style ``tools`` and the messages as they are
    (``tool`` results, assistant ``tool_calls``), the way HF-style templates read them."""
    limits = _Limits(limit_s)
    variables: dict[str, Any] = {
        "messages": messages,
        "add_generation_prompt": True,
        "bos_token": bos,
        "eos_token": eos,
        "tools": tools,
        "documents": None,
    }
    try:
        text = limits.run(lambda: _render(_compile(source), variables))
    except _Stopped as stopped:
        logger.warning("chat template stopped: %s", stopped.message)
        raise stopped.error from None
    except Exception as exc:  # data from the model file: whatever it trips over
        raise _failure(exc) from exc
    return RenderedPrompt(text, _stops(source, eos), add_bos=not (bos and text.startswith(bos)))


def _stops(source: str, eos: str) -> tuple[str, ...]:
    stops = [eos]
    for marker, stop in (
        ("<|im_start|>", "<|im_end|>"),
        ("<|eot_id|>", "<|eot_id|>"),
        ("<end_of_turn>", "<end_of_turn>"),
        ("<|end|>", "<|end|>"),
    ):
        if marker in source:
            stops.append(stop)
    return stop_strings(*stops)


def _failure(exc: BaseException) -> ChatTemplateError:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return ChatTemplateError.of(
            "the model's chat template failed: {reason} (line {line}); choose a template in "
            "the model's settings",
            reason=exc.message,
            line=exc.lineno,
        )
    return ChatTemplateError.of(
        "the model's chat template failed: {reason}; choose a template in the model's settings",
        reason=str(exc) or type(exc).__name__,
    )
