"""Which chat template a model gets: the user's override, the model's own, or a builtin
guessed from its architecture, name or file name; plain completion for a base model.

A family guess needs evidence that the model was tuned to chat: either the family only
exists as chat models (Vicuna, Zephyr, OpenHermes...), or an instruct marker ("-it",
"instruct", "chat", ...) in its name, file name or ``general.tags``. A base Gemma or Llama 3
given Gemma's or Llama 3's chat template answers junk; plain completion continues the text
sensibly, which is what a base model is for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from desktop_llm.errors import UserError

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
    guessed_kind: str = ""
    """What the family was read from: "name", "file name" or "architecture" (the
    window words it in its language)."""
    guessed_value: str = ""

    @property
    def title(self) -> str:
        """The template's name in English ("ChatML"; "model's own template")."""
        if self.name == GGUF:
            return "model's own template"
        return _TITLES.get(self.name, self.name)

    def describe(self) -> str:
        """One line for the model's settings and the CLI, e.g. "ChatML (guessed from ...)"."""
        title = self.title
        if self.source == "override":
            return f"{title} (chosen in the model's settings)"
        if self.source == "family":
            return f"{title} (guessed from {self.guessed_from})" if self.guessed_from else title
        if self.source == "fallback":
            return "plain completion (no chat template)"
        return title


@dataclass(frozen=True)
class _Rule:
    template: str
    patterns: tuple[str, ...]  # any of these (regex, on normalized lower-case text) ...
    also: tuple[str, ...] = ()  # ... and, when given, any of these too
    base_too: bool = False
    """The family is published as base models as well: guess it only with an instruct marker."""


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
    _Rule("chatml", (r"hermes", r"dolphin", r"chatml")),
    _Rule("chatml", (r"qwen", r"smollm"), base_too=True),
    _Rule("llama-3", (r"llama-?3(?!\d)",), base_too=True),
    _Rule("llama-2", (r"llama-?2(?!\d)",), also=(r"chat",)),
    _Rule("mistral-instruct", (r"mistral", r"mixtral"), also=(r"instruct",)),
    _Rule("gemma", (r"gemma",), base_too=True),
    _Rule("phi-3", (r"phi-?3(?!\d)",), base_too=True),
)

# Words that say a model was tuned to follow instructions or chat, in its name, file name or
# general.tags ("gemma-2-2b-it", "Qwen2.5-7B-Instruct", "llama-3-8b-chat", a "conversational"
# tag as the Hub writes it).
_INSTRUCT_MARKERS = re.compile(
    r"(?:^|[-.])(?:it|instruct|chat|conversational|rlhf|sft|dpo|assistant)(?:$|[-.\d])"
    r"|instruct|chat"
)


def has_instruct_marker(*texts: str) -> bool:
    """Whether any of ``texts`` (names, file names, tags) says the model is an instruct or
    chat model."""
    return any(text and _INSTRUCT_MARKERS.search(_normalize(text)) for text in texts)


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
    tags: tuple[str, ...] = (),
) -> TemplateChoice:
    """Pick the chat template for a model from its metadata and the user's override.

    ``tags`` are the model's ``general.tags``; with the names they decide whether a family
    that also ships base models is guessed at all (see the module's docstring).

    Raises UserError for an unknown override, or "gguf" for a model without a template.
    """
    has_own = bool(chat_template and chat_template.strip())
    wanted = (override or "").strip().lower()
    if wanted:
        if wanted == GGUF:
            if not has_own:
                raise UserError.of(
                    "this model has no chat template of its own; choose one of: {names}",
                    names=", ".join(BUILTIN_TEMPLATES),
                )
            return TemplateChoice(name=GGUF, source="override", jinja=chat_template)
        if wanted not in BUILTIN_TEMPLATES:
            raise UserError.of(
                "unknown chat template {name!r}; choose one of: {names}",
                name=override,
                names=", ".join((GGUF, *BUILTIN_TEMPLATES)),
            )
        return TemplateChoice(name=wanted, source="override")

    if has_own:
        return TemplateChoice(name=GGUF, source="gguf", jinja=chat_template)

    candidates = [
        ("name", model_name or ""),
        ("file name", PurePath(file_name).name),
        ("architecture", architecture or ""),
    ]
    tuned = has_instruct_marker(model_name or "", PurePath(file_name).name, *tags)
    for rule in _RULES:
        if rule.base_too and not tuned:
            continue
        for kind, text in candidates:
            if text and _matches(rule, _normalize(text)):
                return TemplateChoice(
                    name=rule.template,
                    source="family",
                    guessed_from=f"the {kind} {text!r}",
                    guessed_kind=kind,
                    guessed_value=text,
                )
    return TemplateChoice(name="completion", source="fallback")
