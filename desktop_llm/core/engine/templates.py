"""Chat templates: which one a model gets, and turning a conversation into prompt text.

The choice, in order: the user's override from the model's settings; the model's own
Jinja template (GGUF `tokenizer.chat_template`); a builtin template guessed from the
architecture, `general.name` and the file name; and for a base model plain completion.

We render prompts ourselves instead of leaving it to llama-cpp-python, because with no
template it silently falls back to "llama-2", which can make a base model answer with
nothing. This module is pure stdlib + jinja2: it runs in the engine worker and in the
GUI and CLI (which show the choice), so it must never import llama_cpp.

Builtin templates put the special-token text (`<|im_end|>`, `</s>`, ...) into the prompt,
so the worker must tokenize with special tokens parsed. The leading BOS is left to the
tokenizer (`RenderedPrompt.add_bos`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any, NoReturn

import jinja2
import jinja2.ext
import jinja2.nodes
import jinja2.parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

BUILTIN_TEMPLATES: tuple[str, ...] = (
    "chatml",
    "llama-2",
    "llama-3",
    "gemma",
    "mistral-instruct",
    "alpaca",
    "vicuna",
    "oasst",
    "dolly",
    "stablelm-tuned",
    "zephyr",
    "phi-3",
    "completion",
)

GGUF = "gguf"
"""The name of the choice that uses the model's own template."""

_TITLES: dict[str, str] = {
    "chatml": "ChatML",
    "llama-2": "Llama 2 chat",
    "llama-3": "Llama 3",
    "gemma": "Gemma",
    "mistral-instruct": "Mistral Instruct",
    "alpaca": "Alpaca",
    "vicuna": "Vicuna",
    "oasst": "OpenAssistant",
    "dolly": "Dolly v2",
    "stablelm-tuned": "StableLM Tuned",
    "zephyr": "Zephyr",
    "phi-3": "Phi-3",
    "completion": "plain completion",
}


@dataclass(frozen=True)
class TemplateChoice:
    """Which chat template a model gets, and why.

    name: "gguf" for the model's own template, else one of BUILTIN_TEMPLATES.
    source: "override" (the user chose it), "gguf" (the model's metadata), "family"
        (guessed from architecture, name or file name) or "fallback" (plain completion).
    jinja: the model's template text when name is "gguf".
    guessed_from: for source "family", what the guess was read from, e.g.
        "the name 'Qwen2.5 7B Instruct'".
    """

    name: str
    source: str
    jinja: str | None = None
    guessed_from: str = ""

    def describe(self) -> str:
        """One line for the model's settings and the CLI, e.g. "ChatML (guessed from ...)"."""
        if self.name == GGUF:
            title = "model's own template"
        elif self.name == "completion":
            title = "plain completion"
        else:
            title = _TITLES.get(self.name, self.name)
        if self.source == "override":
            return f"{title} (chosen in the model's settings)"
        if self.source == "family":
            return f"{title} (guessed from {self.guessed_from})" if self.guessed_from else title
        if self.source == "fallback":
            return "plain completion (no chat template)"
        return title


@dataclass(frozen=True)
class RenderedPrompt:
    """Prompt text ready to tokenize (with special tokens parsed).

    stop: strings that end the reply when the model writes them.
    add_bos: whether the tokenizer should still add BOS; False when the text already
        starts with the BOS token's text (many GGUF templates write `{{ bos_token }}`).
    """

    text: str
    stop: tuple[str, ...]
    add_bos: bool


# ---------------------------------------------------------------------------- choice


@dataclass(frozen=True)
class _Rule:
    template: str
    patterns: tuple[str, ...]  # any of these (regex, on normalized lower-case text) ...
    also: tuple[str, ...] = ()  # ... and, when given, any of these too


# The first rule that matches wins, so specific names come before the base families
# they are fine-tuned from: "vicuna-7b" is a llama, "dolphin-2.9-llama3" and
# "openhermes-2.5-mistral" are ChatML, "stablelm-zephyr" is Zephyr.
# "llama-?3(?!\d)" keeps "llama-30b" (LLaMA 1, 30B) from reading as Llama 3.
_RULES: tuple[_Rule, ...] = (
    _Rule("vicuna", (r"vicuna",)),
    _Rule("oasst", (r"oasst", r"open-?assistant")),
    _Rule("dolly", (r"dolly",)),
    _Rule("alpaca", (r"alpaca",)),
    _Rule("zephyr", (r"zephyr",)),
    # TinyLlama-1.1B-Chat-v1.0 was trained on Zephyr's format.
    _Rule("zephyr", (r"tinyllama",), also=(r"chat",)),
    _Rule("stablelm-tuned", (r"stablelm",), also=(r"tuned", r"chat")),
    _Rule("chatml", (r"qwen", r"smollm", r"hermes", r"dolphin", r"chatml")),
    _Rule("llama-3", (r"llama-?3(?!\d)",)),
    _Rule("llama-2", (r"llama-?2(?!\d)",), also=(r"chat",)),
    _Rule("mistral-instruct", (r"mistral", r"mixtral"), also=(r"instruct",)),
    _Rule("gemma", (r"gemma",)),
    _Rule("phi-3", (r"phi-?3(?!\d)",)),
)


def _normalize(text: str) -> str:
    # "Meta Llama 3 8B Instruct", "Meta_Llama_3" and "Meta-Llama-3" read alike.
    return re.sub(r"[\s_]+", "-", text.strip().lower())


def _matches(rule: _Rule, text: str) -> bool:
    if not any(re.search(p, text) for p in rule.patterns):
        return False
    return not rule.also or any(re.search(p, text) for p in rule.also)


def choose_template(
    *,
    chat_template: str | None,
    architecture: str | None,
    model_name: str | None,
    file_name: str,
    override: str | None = None,
) -> TemplateChoice:
    """Pick the chat template for a model from its metadata and the user's override.

    Raises UserError for an unknown override, or "gguf" for a model without a template.
    """
    has_own = bool(chat_template and chat_template.strip())
    wanted = (override or "").strip().lower()
    if wanted:
        if wanted == GGUF:
            if not has_own:
                raise UserError(
                    "this model has no chat template of its own; choose one of: "
                    + ", ".join(BUILTIN_TEMPLATES)
                )
            return TemplateChoice(name=GGUF, source="override", jinja=chat_template)
        if wanted not in BUILTIN_TEMPLATES:
            raise UserError(
                f"unknown chat template {override!r}; choose one of: "
                + ", ".join((GGUF, *BUILTIN_TEMPLATES))
            )
        return TemplateChoice(name=wanted, source="override")

    if has_own:
        return TemplateChoice(name=GGUF, source="gguf", jinja=chat_template)

    candidates = [
        (f"the name {model_name!r}", model_name or ""),
        (f"the file name {PurePath(file_name).name!r}", PurePath(file_name).name),
        (f"the architecture {architecture!r}", architecture or ""),
    ]
    for rule in _RULES:
        for label, text in candidates:
            if text and _matches(rule, _normalize(text)):
                return TemplateChoice(name=rule.template, source="family", guessed_from=label)
    return TemplateChoice(name="completion", source="fallback")


# ------------------------------------------------------------------------- rendering

_Turns = list[tuple[str, str]]  # (role, content), role "user" or "assistant"


def _prepare(messages: Sequence[Mapping[str, str]]) -> tuple[str, _Turns]:
    """Split off the system prompt and merge consecutive turns of the same role.

    All system messages join into one system prompt (templates have one slot for it).
    Empty messages are dropped; consecutive same-role messages are joined, because
    several templates (Mistral's, Gemma's) refuse turns that don't alternate.
    """
    system_parts: list[str] = []
    turns: _Turns = []
    for message in messages:
        role = message.get("role", "")
        content = message.get("content") or ""
        if role not in ("system", "user", "assistant"):
            raise ValueError(f"unknown message role {role!r}")
        if not content.strip():
            continue
        if role == "system":
            system_parts.append(content)
        elif turns and turns[-1][0] == role:
            turns[-1] = (role, turns[-1][1] + "\n\n" + content)
        else:
            turns.append((role, content))
    if not system_parts and not turns:
        # llama.cpp asserts on an empty prompt; never send one.
        raise ValueError("the conversation has no messages with content")
    return "\n\n".join(system_parts), turns


def _fold_system(system: str, turns: _Turns) -> _Turns:
    """Put the system prompt in front of the first user turn, for templates with no slot."""
    if not system:
        return list(turns)
    folded = list(turns)
    for i, (role, content) in enumerate(folded):
        if role == "user":
            folded[i] = (role, f"{system}\n\n{content}")
            return folded
    return [("user", system), *folded]


def _stops(*stops: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for s in stops if s))


# Each builtin below gives its exact layout for: system S, user U1, assistant A1, user U2.
# Where llama-cpp-python 0.3.36 has the format (llama_cpp/llama_chat_format.py,
# https://github.com/abetlen/llama-cpp-python/blob/main/llama_cpp/llama_chat_format.py)
# we produce the same text except where noted. None write the leading BOS: the
# tokenizer adds it.


def _chatml(system: str, turns: _Turns, eos: str, bos: str) -> RenderedPrompt:
    # <|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU1<|im_end|>\n
    # <|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nU2<|im_end|>\n
    # <|im_start|>assistant\n
    # As llama-cpp-python's "chatml", except that with no system prompt we write no
    # system turn (it writes an empty one).
    # https://github.com/openai/openai-python/blob/release-v0.28.0/chatml.md
    parts = [f"<|im_start|>system\n{system}<|im_end|>\n"] if system else []
    parts += [f"<|im_start|>{role}\n{content}<|im_end|>\n" for role, content in turns]
    parts.append("<|im_start|>assistant\n")
    return RenderedPrompt("".join(parts), _stops("<|im_end|>", eos), add_bos=True)


def _llama2(system: str, turns: _Turns, eos: str, bos: str) -> RenderedPrompt:
    # [INST] <<SYS>>\nS\n<</SYS>>\n\nU1 [/INST] A1 </s><s>[INST] U2 [/INST]
    # Meta's reference layout (chat_completion in
    # https://github.com/meta-llama/llama/blob/main/llama/generation.py): each exchange is
    # BOS "[INST] {user} [/INST] {answer} " EOS, the system prompt inside the first [INST].
    # llama-cpp-python's "llama-2" mangles the spacing:
    # "[INST] <<SYS>>\nS\n<</SYS>> U1 [/INST]A1 </s><s>[INST]U2  [/INST]".
    eos_text, bos_text = eos or "</s>", bos or "<s>"
    turns = _fold_system(f"<<SYS>>\n{system}\n<</SYS>>" if system else "", turns)
    text = ""
    for role, content in turns:
        if role == "user":
            text += ("" if not text else bos_text) + f"[INST] {content} [/INST]"
        else:
            text += f" {content} {eos_text}"
    return RenderedPrompt(text, _stops("[INST]", eos), add_bos=True)


def _llama3(system: str, turns: _Turns, eos: str, bos: str) -> RenderedPrompt:
    # <|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>
    # <|start_header_id|>user<|end_header_id|>\n\nU1<|eot_id|>
    # <|start_header_id|>assistant<|end_header_id|>\n\nA1<|eot_id|>
    # <|start_header_id|>user<|end_header_id|>\n\nU2<|eot_id|>
    # <|start_header_id|>assistant<|end_header_id|>\n\n
    # Same as llama-cpp-python's "llama-3"; Meta's reference:
    # https://github.com/meta-llama/llama3/blob/main/llama/tokenizer.py (ChatFormat)
    parts = [("system", system)] if system else []
    text = "".join(
        f"<|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>"
        for role, content in [*parts, *turns]
    )
    text += "<|start_header_id|>assistant<|end_header_id|>\n\n"
    return RenderedPrompt(text, _stops("<|eot_id|>", eos), add_bos=True)


def _gemma(system: str, turns: _Turns, eos: str, bos: str) -> RenderedPrompt:
    # <start_of_turn>user\nS\n\nU1<end_of_turn>\n<start_of_turn>model\nA1<end_of_turn>\n
    # <start_of_turn>user\nU2<end_of_turn>\n<start_of_turn>model\n
    # As llama-cpp-python's "gemma", which drops the system prompt; Gemma has no system
    # role, so like Gemma 3's own template we put it before the first user message.
    # https://ai.google.dev/gemma/docs/core/prompt-structure
    text = "".join(
        f"<start_of_turn>{'model' if role == 'assistant' else 'user'}\n{content}<end_of_turn>\n"
        for role, content in _fold_system(system, turns)
    )
    text += "<start_of_turn>model\n"
    return RenderedPrompt(text, _stops("<end_of_turn>", eos), add_bos=True)


def _mistral_instruct(system: str, turns: _Turns, eos: str, bos: str) -> RenderedPrompt:
    # [INST] S\n\nU1 [/INST]A1</s>[INST] U2 [/INST]
    # As llama-cpp-python's "mistral-instruct" (and Mistral-7B-Instruct-v0.1's own
    # template: https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.1), which drops
    # the system prompt; there is no system slot, so it goes before the first user turn.
    eos_text = eos or "</s>"
    text = ""
    for role, content in _fold_system(system, turns):
        text += f"[INST] {content} [/INST]" if role == "user" else f"{content}{eos_text}"
    return RenderedPrompt(text, _stops("[INST]", eos), add_bos=True)


_ALPACA_INTRO = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request."
)


def _alpaca(system: str, turns: _Turns, eos: str, bos: str) -> RenderedPrompt:
    # S\n\n### Instruction: U1\n\n### Response: A1</s>### Instruction: U2\n\n### Response:
    # llama-cpp-python's "alpaca" (separators "\n\n" and "</s>"), plus the final
    # "### Response:" it forgets, and Stanford Alpaca's intro when there is no system
    # prompt (https://github.com/tatsu-lab/stanford_alpaca#data-release).
    eos_text = eos or "</s>"
    text = (system or _ALPACA_INTRO) + "\n\n"
    for role, content in turns:
        if role == "user":
            text += f"### Instruction: {content}\n\n"
        else:
            text += f"### Response: {content}{eos_text}"
    text += "### Response:"
    return RenderedPrompt(text, _stops("### Instruction:", eos), add_bos=True)


_VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions."
)


def _vicuna(system: str, turns: _Turns, eos: str, bos: str) -> RenderedPrompt:
    # S USER: U1 ASSISTANT: A1</s>USER: U2 ASSISTANT:
    # As llama-cpp-python's "vicuna" and FastChat's vicuna_v1.1
    # (https://github.com/lm-sys/FastChat/blob/main/fastchat/conversation.py), except
    # that the user's system prompt replaces the default one.
    eos_text = eos or "</s>"
    text = (system or _VICUNA_SYSTEM) + " "
    for role, content in turns:
        text += f"USER: {content} " if role == "user" else f"ASSISTANT: {content}{eos_text}"
    text += "ASSISTANT:"
    return RenderedPrompt(text, _stops("USER:", eos), add_bos=True)


def _oasst(system: str, turns: _Turns, eos: str, bos: str) -> RenderedPrompt:
    # [INST] <<SYS>>\nS\n<</SYS>>\n\n<|prompter|>U1</s><|assistant|>A1</s>
    # <|prompter|>U2</s><|assistant|>
    # As llama-cpp-python's "oasst_llama", except that with no system prompt we write
    # no <<SYS>> block. Open-Assistant's layout:
    # https://huggingface.co/OpenAssistant/oasst-sft-6-llama-30b-xor#prompting
    eos_text = eos or "</s>"
    text = f"[INST] <<SYS>>\n{system}\n<</SYS>>\n\n" if system else ""
    for role, content in turns:
        tag = "<|prompter|>" if role == "user" else "<|assistant|>"
        text += f"{tag}{content}{eos_text}"
    text += "<|assistant|>"
    return RenderedPrompt(text, _stops("<|prompter|>", eos), add_bos=True)


def _dolly(system: str, turns: _Turns, eos: str, bos: str) -> RenderedPrompt:
    # S\n\n### Instruction:\nU1\n\n### Response:\nA1\n\n### End\n\n
    # ### Instruction:\nU2\n\n### Response:\n
    # Dolly v2's training layout (INTRO_BLURB, INSTRUCTION_KEY, RESPONSE_KEY, END_KEY in
    # https://github.com/databrickslabs/dolly/blob/master/training/consts.py); the intro
    # is the default system prompt.
    text = (system or _ALPACA_INTRO) + "\n\n"
    for role, content in turns:
        if role == "user":
            text += f"### Instruction:\n{content}\n\n"
        else:
            text += f"### Response:\n{content}\n\n### End\n\n"
    text += "### Response:\n"
    return RenderedPrompt(text, _stops("### End", "### Instruction:", eos), add_bos=True)


def _stablelm_tuned(system: str, turns: _Turns, eos: str, bos: str) -> RenderedPrompt:
    # <|SYSTEM|>S<|USER|>U1<|ASSISTANT|>A1<|USER|>U2<|ASSISTANT|>
    # https://huggingface.co/stabilityai/stablelm-tuned-alpha-7b#usage
    text = f"<|SYSTEM|>{system}" if system else ""
    for role, content in turns:
        text += f"<|USER|>{content}" if role == "user" else f"<|ASSISTANT|>{content}"
    text += "<|ASSISTANT|>"
    return RenderedPrompt(text, _stops("<|USER|>", "<|SYSTEM|>", eos), add_bos=True)


def _zephyr(system: str, turns: _Turns, eos: str, bos: str) -> RenderedPrompt:
    # <|system|>\nS</s>\n<|user|>\nU1</s>\n<|assistant|>\nA1</s>\n<|user|>\nU2</s>\n
    # <|assistant|>\n
    # Zephyr's own template (https://huggingface.co/HuggingFaceH4/zephyr-7b-beta).
    # llama-cpp-python's "zephyr" writes "<|user|>\n\n" (a doubled newline) and an empty
    # system turn when there is no system prompt; we don't.
    eos_text = eos or "</s>"
    parts = [("system", system)] if system else []
    text = "".join(f"<|{role}|>\n{content}{eos_text}\n" for role, content in [*parts, *turns])
    text += "<|assistant|>\n"
    return RenderedPrompt(text, _stops(eos_text, "<|user|>"), add_bos=True)


def _phi3(system: str, turns: _Turns, eos: str, bos: str) -> RenderedPrompt:
    # <|system|>\nS<|end|>\n<|user|>\nU1<|end|>\n<|assistant|>\nA1<|end|>\n
    # <|user|>\nU2<|end|>\n<|assistant|>\n
    # https://huggingface.co/microsoft/Phi-3.5-mini-instruct#input-formats
    parts = [("system", system)] if system else []
    text = "".join(f"<|{role}|>\n{content}<|end|>\n" for role, content in [*parts, *turns])
    text += "<|assistant|>\n"
    return RenderedPrompt(text, _stops("<|end|>", "<|user|>", eos), add_bos=True)


def _completion(system: str, turns: _Turns, eos: str, bos: str) -> RenderedPrompt:
    # S\n\nUser: U1\nAssistant: A1\nUser: U2\nAssistant:
    # A base model has no chat format; a transcript still makes it write the next turn.
    text = f"{system}\n\n" if system else ""
    for role, content in turns:
        text += f"{'User' if role == 'user' else 'Assistant'}: {content}\n"
    text += "Assistant:"
    return RenderedPrompt(text, _stops("\nUser:", eos), add_bos=True)


_Renderer = Callable[[str, _Turns, str, str], RenderedPrompt]

_BUILTINS: dict[str, _Renderer] = {
    "chatml": _chatml,
    "llama-2": _llama2,
    "llama-3": _llama3,
    "gemma": _gemma,
    "mistral-instruct": _mistral_instruct,
    "alpaca": _alpaca,
    "vicuna": _vicuna,
    "oasst": _oasst,
    "dolly": _dolly,
    "stablelm-tuned": _stablelm_tuned,
    "zephyr": _zephyr,
    "phi-3": _phi3,
    "completion": _completion,
}


# ------------------------------------------------------------------- GGUF templates


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


def _render_jinja(source: str, system: str, turns: _Turns, bos: str, eos: str) -> RenderedPrompt:
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
            text = attempt([{"role": r, "content": c} for r, c in _fold_system(system, turns)])
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
    return RenderedPrompt(text, _stops(*stops), add_bos=not (bos and text.startswith(bos)))


def _failure(exc: BaseException) -> str:
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, jinja2.TemplateSyntaxError):
        reason = f"{exc.message} (line {exc.lineno})"
    return f"the model's chat template failed: {reason}; choose a template in the model's settings"


def render_prompt(
    choice: TemplateChoice,
    messages: Sequence[Mapping[str, str]],
    *,
    bos_token: str = "",
    eos_token: str = "",
) -> RenderedPrompt:
    """Turn a conversation into prompt text that ends where the assistant's reply begins.

    messages: {"role": "system" | "user" | "assistant", "content": str}, oldest first.
    Raises ValueError for a conversation with nothing in it (llama.cpp asserts on an
    empty prompt), ChatTemplateError (a UserError) when the model's own template fails.
    """
    system, turns = _prepare(messages)
    if choice.name == GGUF:
        if not choice.jinja:
            raise ValueError("a 'gguf' template choice needs the template text")
        return _render_jinja(choice.jinja, system, turns, bos_token, eos_token)
    renderer = _BUILTINS.get(choice.name)
    if renderer is None:
        raise ValueError(f"unknown chat template {choice.name!r}")
    rendered = renderer(system, turns, eos_token, bos_token)
    if bos_token and rendered.text.startswith(bos_token):
        # SmolLM2's BOS is "<|im_start|>": ChatML text already begins with it.
        return dataclasses.replace(rendered, add_bos=False)
    return rendered
