"""A model's own chat template (GGUF ``tokenizer.chat_template``), rendered in a Jinja
sandbox: the template is data from an untrusted file."""

from __future__ import annotations

import functools
import json
import logging
from datetime import datetime
from typing import Any, NoReturn

import jinja2
import jinja2.ext
import jinja2.nodes
import jinja2.parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

from desktop_llm.core.engine.templates.prompt import (
    RenderedPrompt,
    Turns,
    fold_system,
    stop_strings,
)
from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)


class ChatTemplateError(UserError):
    """The model's own chat template could not render the conversation."""


class _TemplateRaised(jinja2.TemplateError):
    """A template called raise_exception(message)."""


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


@functools.lru_cache(maxsize=8)
def _compile(source: str) -> jinja2.Template:
    # The same sandbox as transformers and llama-cpp-python: a GGUF file is untrusted.
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True,
        lstrip_blocks=True,
        loader=None,
        extensions=[_IgnoreGenerationTags, jinja2.ext.loopcontrols],
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    return env.from_string(source)


def render_jinja(source: str, system: str, turns: Turns, bos: str, eos: str) -> RenderedPrompt:
    def attempt(messages: list[dict[str, str]]) -> str:
        return _compile(source).render(
            messages=messages,
            add_generation_prompt=True,
            bos_token=bos,
            eos_token=eos,
            tools=None,
            documents=None,
        )

    system_msgs = [{"role": "system", "content": system}] if system else []
    messages = [*system_msgs, *({"role": r, "content": c} for r, c in turns)]
    try:
        # Broad on purpose: the template is data from the model file, and whatever it
        # trips over (TemplateError, TypeError on odd arithmetic, ...) is its problem.
        text = attempt(messages)
    except Exception as exc:
        if not system:
            raise ChatTemplateError(_failure(exc)) from exc
        # Gemma 2's and Mistral's templates refuse a system role; put it in the first
        # user turn rather than make the user pick a template.
        logger.info("chat template refused the system prompt (%s); folding it in", exc)
        try:
            text = attempt([{"role": r, "content": c} for r, c in fold_system(system, turns)])
        except Exception:
            raise ChatTemplateError(_failure(exc)) from exc

    stops = [eos]
    for marker, stop in (
        ("<|im_start|>", "<|im_end|>"),
        ("<|eot_id|>", "<|eot_id|>"),
        ("<end_of_turn>", "<end_of_turn>"),
        ("<|end|>", "<|end|>"),
    ):
        if marker in source:
            stops.append(stop)
    return RenderedPrompt(text, stop_strings(*stops), add_bos=not (bos and text.startswith(bos)))


def _failure(exc: BaseException) -> str:
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, jinja2.TemplateSyntaxError):
        reason = f"{exc.message} (line {exc.lineno})"
    return f"the model's chat template failed: {reason}; choose a template in the model's settings"
