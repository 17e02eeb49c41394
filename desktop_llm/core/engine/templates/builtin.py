"""The builtin chat templates, written out in Python: one function per format."""

from __future__ import annotations

from collections.abc import Callable

from desktop_llm.core.engine.templates.prompt import (
    RenderedPrompt,
    Turns,
    fold_system,
    stop_strings,
)

# Each builtin below gives its exact layout for: system S, user U1, assistant A1, user U2.
# Where llama-cpp-python 0.3.36 has the format (llama_cpp/llama_chat_format.py,
# https://github.com/abetlen/llama-cpp-python/blob/main/llama_cpp/llama_chat_format.py)
# we produce the same text except where noted. None write the leading BOS: the
# tokenizer adds it.


def _chatml(system: str, turns: Turns, eos: str, bos: str) -> RenderedPrompt:
    # <|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU1<|im_end|>\n
    # <|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nU2<|im_end|>\n
    # <|im_start|>assistant\n
    # As llama-cpp-python's "chatml", except that with no system prompt we write no
    # system turn (it writes an empty one).
    # https://github.com/openai/openai-python/blob/release-v0.28.0/chatml.md
    parts = [f"<|im_start|>system\n{system}<|im_end|>\n"] if system else []
    parts += [f"<|im_start|>{role}\n{content}<|im_end|>\n" for role, content in turns]
    parts.append("<|im_start|>assistant\n")
    return RenderedPrompt("".join(parts), stop_strings("<|im_end|>", eos), add_bos=True)


def _llama2(system: str, turns: Turns, eos: str, bos: str) -> RenderedPrompt:
    # [INST] <<SYS>>\nS\n<</SYS>>\n\nU1 [/INST] A1 </s><s>[INST] U2 [/INST]
    # Meta's reference layout (chat_completion in
    # https://github.com/meta-llama/llama/blob/main/llama/generation.py): each exchange is
    # BOS "[INST] {user} [/INST] {answer} " EOS, the system prompt inside the first [INST].
    # llama-cpp-python's "llama-2" mangles the spacing:
    # "[INST] <<SYS>>\nS\n<</SYS>> U1 [/INST]A1 </s><s>[INST]U2  [/INST]".
    eos_text, bos_text = eos or "</s>", bos or "<s>"
    turns = fold_system(f"<<SYS>>\n{system}\n<</SYS>>" if system else "", turns)
    text = ""
    for role, content in turns:
        if role == "user":
            text += ("" if not text else bos_text) + f"[INST] {content} [/INST]"
        else:
            text += f" {content} {eos_text}"
    return RenderedPrompt(text, stop_strings("[INST]", eos), add_bos=True)


def _llama3(system: str, turns: Turns, eos: str, bos: str) -> RenderedPrompt:
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
    return RenderedPrompt(text, stop_strings("<|eot_id|>", eos), add_bos=True)


def _gemma(system: str, turns: Turns, eos: str, bos: str) -> RenderedPrompt:
    # <start_of_turn>user\nS\n\nU1<end_of_turn>\n<start_of_turn>model\nA1<end_of_turn>\n
    # <start_of_turn>user\nU2<end_of_turn>\n<start_of_turn>model\n
    # As llama-cpp-python's "gemma", which drops the system prompt; Gemma has no system
    # role, so like Gemma 3's own template we put it before the first user message.
    # https://ai.google.dev/gemma/docs/core/prompt-structure
    text = "".join(
        f"<start_of_turn>{'model' if role == 'assistant' else 'user'}\n{content}<end_of_turn>\n"
        for role, content in fold_system(system, turns)
    )
    text += "<start_of_turn>model\n"
    return RenderedPrompt(text, stop_strings("<end_of_turn>", eos), add_bos=True)


def _mistral_instruct(system: str, turns: Turns, eos: str, bos: str) -> RenderedPrompt:
    # [INST] S\n\nU1 [/INST]A1</s>[INST] U2 [/INST]
    # As llama-cpp-python's "mistral-instruct" (and Mistral-7B-Instruct-v0.1's own
    # template: https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.1), which drops
    # the system prompt; there is no system slot, so it goes before the first user turn.
    eos_text = eos or "</s>"
    text = ""
    for role, content in fold_system(system, turns):
        text += f"[INST] {content} [/INST]" if role == "user" else f"{content}{eos_text}"
    return RenderedPrompt(text, stop_strings("[INST]", eos), add_bos=True)


_ALPACA_INTRO = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request."
)


def _alpaca(system: str, turns: Turns, eos: str, bos: str) -> RenderedPrompt:
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
    return RenderedPrompt(text, stop_strings("### Instruction:", eos), add_bos=True)


_VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions."
)


def _vicuna(system: str, turns: Turns, eos: str, bos: str) -> RenderedPrompt:
    # S USER: U1 ASSISTANT: A1</s>USER: U2 ASSISTANT:
    # As llama-cpp-python's "vicuna" and FastChat's vicuna_v1.1
    # (https://github.com/lm-sys/FastChat/blob/main/fastchat/conversation.py), except
    # that the user's system prompt replaces the default one.
    eos_text = eos or "</s>"
    text = (system or _VICUNA_SYSTEM) + " "
    for role, content in turns:
        text += f"USER: {content} " if role == "user" else f"ASSISTANT: {content}{eos_text}"
    text += "ASSISTANT:"
    return RenderedPrompt(text, stop_strings("USER:", eos), add_bos=True)


def _oasst(system: str, turns: Turns, eos: str, bos: str) -> RenderedPrompt:
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
    return RenderedPrompt(text, stop_strings("<|prompter|>", eos), add_bos=True)


def _dolly(system: str, turns: Turns, eos: str, bos: str) -> RenderedPrompt:
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
    return RenderedPrompt(text, stop_strings("### End", "### Instruction:", eos), add_bos=True)


def _stablelm_tuned(system: str, turns: Turns, eos: str, bos: str) -> RenderedPrompt:
    # <|SYSTEM|>S<|USER|>U1<|ASSISTANT|>A1<|USER|>U2<|ASSISTANT|>
    # https://huggingface.co/stabilityai/stablelm-tuned-alpha-7b#usage
    text = f"<|SYSTEM|>{system}" if system else ""
    for role, content in turns:
        text += f"<|USER|>{content}" if role == "user" else f"<|ASSISTANT|>{content}"
    text += "<|ASSISTANT|>"
    return RenderedPrompt(text, stop_strings("<|USER|>", "<|SYSTEM|>", eos), add_bos=True)


def _zephyr(system: str, turns: Turns, eos: str, bos: str) -> RenderedPrompt:
    # <|system|>\nS</s>\n<|user|>\nU1</s>\n<|assistant|>\nA1</s>\n<|user|>\nU2</s>\n
    # <|assistant|>\n
    # Zephyr's own template (https://huggingface.co/HuggingFaceH4/zephyr-7b-beta).
    # llama-cpp-python's "zephyr" writes "<|user|>\n\n" (a doubled newline) and an empty
    # system turn when there is no system prompt; we don't.
    eos_text = eos or "</s>"
    parts = [("system", system)] if system else []
    text = "".join(f"<|{role}|>\n{content}{eos_text}\n" for role, content in [*parts, *turns])
    text += "<|assistant|>\n"
    return RenderedPrompt(text, stop_strings(eos_text, "<|user|>"), add_bos=True)


def _phi3(system: str, turns: Turns, eos: str, bos: str) -> RenderedPrompt:
    # <|system|>\nS<|end|>\n<|user|>\nU1<|end|>\n<|assistant|>\nA1<|end|>\n
    # <|user|>\nU2<|end|>\n<|assistant|>\n
    # https://huggingface.co/microsoft/Phi-3.5-mini-instruct#input-formats
    parts = [("system", system)] if system else []
    text = "".join(f"<|{role}|>\n{content}<|end|>\n" for role, content in [*parts, *turns])
    text += "<|assistant|>\n"
    return RenderedPrompt(text, stop_strings("<|end|>", "<|user|>", eos), add_bos=True)


def _completion(system: str, turns: Turns, eos: str, bos: str) -> RenderedPrompt:
    # S\n\nUser: U1\nAssistant: A1\nUser: U2\nAssistant:
    # A base model has no chat format; a transcript still makes it write the next turn.
    text = f"{system}\n\n" if system else ""
    for role, content in turns:
        text += f"{'User' if role == 'user' else 'Assistant'}: {content}\n"
    text += "Assistant:"
    return RenderedPrompt(text, stop_strings("\nUser:", eos), add_bos=True)


Renderer = Callable[[str, Turns, str, str], RenderedPrompt]

BUILTINS: dict[str, Renderer] = {
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
