"""Structured output and tools through ``desktop-llm serve`` with the real ``openai``
client: penalties, ``response_format`` (json_object, json_schema enforced by a grammar)
on the real SmolLM2 model, and tools on a tiny model whose chat template takes them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from desktop_llm.core.models.library import STARTER_NAME
from tests.e2e.test_cli import ok
from tests.support.gguf_builder import HERMES_TOOLS_TEMPLATE, write_tiny_llama
from tests.support.serve_process import ServeProcess

pytestmark = pytest.mark.model

TOOLS_MODEL = "Tiny Tools"
WEATHER = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smollm2: Path) -> Iterator[ServeProcess]:
    home = tmp_path_factory.mktemp("serve-structured")
    model = write_tiny_llama(
        tmp_path_factory.mktemp("tools-model") / "tiny-tools.gguf",
        chat_template=HERMES_TOOLS_TEMPLATE,
        ctx=1024,
    )
    ok(home, "import", str(model), "--name", TOOLS_MODEL)
    served = ServeProcess(home, "--max-loaded", "2")
    yield served
    served.close()


@pytest.fixture(scope="module")
def client(server: ServeProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=server.key, max_retries=0)


def _valid(value: Any, schema: dict[str, Any]) -> bool:
    """Just the keywords these tests use: type, properties, required,
    additionalProperties false, enum, maxLength, minimum/maximum."""
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            return False
        props = schema.get("properties", {})
        if any(key not in value for key in schema.get("required", [])):
            return False
        if schema.get("additionalProperties") is False and set(value) - set(props):
            return False
        return all(_valid(value[k], s) for k, s in props.items() if k in value)
    if kind == "array":
        return isinstance(value, list) and all(_valid(v, schema.get("items", {})) for v in value)
    if kind == "string" and (
        not isinstance(value, str) or len(value) > schema.get("maxLength", len(value))
    ):
        return False
    if kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        return False
    if kind == "integer" and not (
        schema.get("minimum", value) <= value <= schema.get("maximum", value)
    ):
        return False
    if kind == "boolean" and not isinstance(value, bool):
        return False
    return "enum" not in schema or value in schema["enum"]


PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 24},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "pets": {"type": "array", "items": {"type": "string", "enum": ["cat", "dog", "fish"]}},
        "married": {"type": "boolean"},
    },
    "required": ["name", "age", "pets", "married"],
    "additionalProperties": False,
}


def test_validator_catches_mistakes() -> None:
    assert _valid({"name": "Ann", "age": 3, "pets": ["cat"], "married": False}, PERSON)
    assert not _valid({"name": "Ann", "age": 3, "pets": ["cow"], "married": False}, PERSON)
    assert not _valid({"name": "Ann", "age": "3", "pets": [], "married": False}, PERSON)
    assert not _valid({"name": "Ann", "age": 3, "pets": [], "married": 0, "x": 1}, PERSON)


def test_json_schema_output_parses_and_validates(client: openai.OpenAI) -> None:
    for seed in (1, 2):
        reply = client.chat.completions.create(
            model=STARTER_NAME,
            messages=[{"role": "user", "content": "Describe a person called Tom, as JSON."}],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "person", "schema": PERSON, "strict": True},
            },
            temperature=0.8,
            seed=seed,
            max_tokens=120,
        )
        choice = reply.choices[0]
        assert choice.finish_reason == "stop", choice.message.content
        data = json.loads(choice.message.content or "")
        assert _valid(data, PERSON), data


def test_json_object_streams_an_object(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=STARTER_NAME,
        messages=[{"role": "user", "content": "Give me a JSON object about a cat."}],
        response_format={"type": "json_object"},
        temperature=0,
        seed=3,
        max_tokens=200,
        stream=True,
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert isinstance(json.loads(text), dict), text


def test_penalties_change_the_reply_and_default_is_off(client: openai.OpenAI) -> None:
    def ask(**extra: Any) -> str:
        reply = client.chat.completions.create(
            model=STARTER_NAME,
            messages=[{"role": "user", "content": "List ten fruits, one per line."}],
            temperature=0,
            seed=5,
            max_tokens=60,
            **extra,
        )
        return reply.choices[0].message.content or ""

    plain = ask()
    assert ask(frequency_penalty=0, presence_penalty=0) == plain
    assert ask(frequency_penalty=2.0, presence_penalty=2.0) != plain


def test_schema_the_grammar_builder_refuses_is_a_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=STARTER_NAME,
            messages=[{"role": "user", "content": "hi"}],
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "x", "schema": {"$ref": "#/$defs/missing"}},
            },
        )
    assert "can't be turned into a grammar" in str(caught.value)
    # the worker is fine afterwards
    reply = client.chat.completions.create(
        model=STARTER_NAME, messages=[{"role": "user", "content": "hi"}], max_tokens=5
    )
    assert reply.choices[0].message.content


def test_model_without_tools_in_its_template_is_a_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=STARTER_NAME,
            messages=[{"role": "user", "content": "weather in Paris?"}],
            tools=WEATHER,  # type: ignore[arg-type]
        )
    assert f"the model '{STARTER_NAME}' does not support tools" in str(caught.value)


def _usage(client: openai.OpenAI, **extra: Any) -> int:
    reply = client.chat.completions.create(
        model=TOOLS_MODEL,
        messages=[{"role": "user", "content": "weather in Paris?"}],
        max_tokens=4,
        temperature=0,
        **extra,
    )
    assert reply.usage is not None
    return reply.usage.prompt_tokens


def test_tools_reach_the_models_template(client: openai.OpenAI) -> None:
    without = _usage(client)
    with_tools = _usage(client, tools=WEATHER)
    # the template lists the tool's JSON in the prompt
    assert with_tools > without + len(json.dumps(WEATHER)) // 2
    assert _usage(client, tools=WEATHER, tool_choice="none") == without


# The tiny model has random weights: a grammar makes it write a Llama 3 style call.
FORCED_CALL = {
    "type": "json_schema",
    "json_schema": {
        "name": "call",
        "schema": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "enum": ["get_weather"]},
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string", "maxLength": 6}},
                    "required": ["city"],
                    "additionalProperties": False,
                },
            },
            "required": ["name", "parameters"],
            "additionalProperties": False,
        },
    },
}


def test_tool_calls_come_back_parsed(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=TOOLS_MODEL,
        messages=[{"role": "user", "content": "weather in Paris?"}],
        tools=WEATHER,  # type: ignore[arg-type]
        response_format=FORCED_CALL,  # type: ignore[arg-type]
        max_tokens=200,
        seed=1,
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls", choice.message
    assert choice.message.content is None
    calls = choice.message.tool_calls or []
    assert len(calls) == 1
    assert calls[0].type == "function" and calls[0].id.startswith("call_")
    assert calls[0].function.name == "get_weather"  # type: ignore[union-attr]
    arguments = json.loads(calls[0].function.arguments)  # type: ignore[union-attr]
    assert set(arguments) == {"city"}

    stream = client.chat.completions.create(
        model=TOOLS_MODEL,
        messages=[{"role": "user", "content": "weather in Paris?"}],
        tools=WEATHER,  # type: ignore[arg-type]
        response_format=FORCED_CALL,  # type: ignore[arg-type]
        max_tokens=200,
        seed=1,
        stream=True,
    )
    chunks = [c for c in stream if c.choices]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    streamed = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert [tc.function.name for tc in streamed] == ["get_weather"]  # type: ignore[union-attr]
    assert streamed[0].function.arguments == calls[0].function.arguments  # type: ignore[union-attr]

    # the result goes back as a tool message, through the model's template
    answer = client.chat.completions.create(
        model=TOOLS_MODEL,
        messages=[
            {"role": "user", "content": "weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [calls[0].model_dump()]},
            {"role": "tool", "tool_call_id": calls[0].id, "content": '{"temp_c": 21}'},
        ],
        tools=WEATHER,  # type: ignore[arg-type]
        max_tokens=4,
        temperature=0,
    )
    assert answer.choices[0].finish_reason in ("stop", "length")


# Two tools whose arguments a tiny random model can finish within max_tokens.
TWO_TOOLS = [
    WEATHER[0]
    | {
        "function": {
            **WEATHER[0]["function"],
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "maxLength": 6}},
                "required": ["city"],
                "additionalProperties": False,
            },
        }
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "parameters": {
                "type": "object",
                "properties": {"zone": {"type": "string", "enum": ["utc", "cet"]}},
                "required": ["zone"],
                "additionalProperties": False,
            },
        },
    },
]


def _forced(client: openai.OpenAI, choice: Any, seed: int, **extra: Any) -> Any:
    return client.chat.completions.create(
        model=TOOLS_MODEL,
        messages=[{"role": "user", "content": "what time is it?"}],
        tools=TWO_TOOLS,  # type: ignore[arg-type]
        tool_choice=choice,
        max_tokens=200,
        seed=seed,
        **extra,
    )


def test_tool_choice_required_and_named_force_a_call(client: openai.OpenAI) -> None:
    # The grammar makes even a random-weight model answer with a well-formed call.
    for seed in (1, 2, 3):
        choice = _forced(client, "required", seed).choices[0]
        assert choice.finish_reason == "tool_calls", choice.message
        calls = choice.message.tool_calls or []
        assert len(calls) == 1
        name = calls[0].function.name  # type: ignore[union-attr]
        arguments = json.loads(calls[0].function.arguments)  # type: ignore[union-attr]
        assert name in ("get_weather", "get_time")
        assert set(arguments) == ({"city"} if name == "get_weather" else {"zone"})

        named = {"type": "function", "function": {"name": "get_time"}}
        choice = _forced(client, named, seed).choices[0]
        assert choice.finish_reason == "tool_calls", choice.message
        calls = choice.message.tool_calls or []
        assert [c.function.name for c in calls] == ["get_time"]  # type: ignore[union-attr]
        assert json.loads(calls[0].function.arguments)["zone"] in ("utc", "cet")  # type: ignore[union-attr]

    stream = _forced(client, named, 4, stream=True)
    chunks = [c for c in stream if c.choices]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    streamed = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert [tc.function.name for tc in streamed] == ["get_time"]  # type: ignore[union-attr]


def test_tool_choice_mistakes_are_400s(client: openai.OpenAI) -> None:
    for choice, words in (
        ({"type": "function", "function": {"name": "nope"}}, "not in 'tools'"),
        ({"type": "function"}, "'tool_choice' must be"),
        ("sometimes", "'tool_choice' must be"),
    ):
        with pytest.raises(openai.BadRequestError) as caught:
            _forced(client, choice, 1)
        assert words in str(caught.value)
    with pytest.raises(openai.BadRequestError) as caught:
        _forced(client, "required", 1, response_format={"type": "json_object"})
    assert "send one of them" in str(caught.value)
