"""Chat templates: which one a model gets, and turning a conversation into prompt text.

The choice, in order: the user's override from the model's settings; the model's own
Jinja template (GGUF `tokenizer.chat_template`); a builtin template guessed from the
architecture, `general.name` and the file name; and for a base model plain completion.

We render prompts ourselves instead of leaving it to llama-cpp-python, because with no
template it silently falls back to "llama-2", which can make a base model answer with
nothing. This package is pure stdlib + jinja2: it runs in the engine worker and in the
GUI and CLI (which show the choice), so it must never import llama_cpp.

Builtin templates put the special-token text (`<|im_end|>`, `</s>`, ...) into the prompt,
so the worker must tokenize with special tokens parsed. The leading BOS is left to the
tokenizer (`RenderedPrompt.add_bos`).

- ``choice``: which template (``choose_template``, ``TemplateChoice``).
- ``render``: ``render_prompt``, with a ``builtin`` format or the model's own template
  in a Jinja ``sandbox``; ``prompt`` holds what both share (``RenderedPrompt``).
"""

from desktop_llm.core.engine.templates.choice import (
    BUILTIN_TEMPLATES,
    GGUF,
    TemplateChoice,
    choose_template,
    has_instruct_marker,
)
from desktop_llm.core.engine.templates.prompt import ChatTemplateError, RenderedPrompt
from desktop_llm.core.engine.templates.render import render_prompt

__all__ = [
    "BUILTIN_TEMPLATES",
    "GGUF",
    "ChatTemplateError",
    "RenderedPrompt",
    "TemplateChoice",
    "choose_template",
    "has_instruct_marker",
    "render_prompt",
]
