"""Reading tool calls out of real model replies (Hermes/Qwen and Llama 3.x styles),
and the model's own template rendering tools and tool messages."""

from __future__ import annotations

import json

import pytest

from desktop_llm.core.engine.templates import GGUF, ChatTemplateError, TemplateChoice
from desktop_llm.core.engine.templates.render import render_prompt
from desktop_llm.server.api_errors import ApiError
from desktop_llm.server.openai_shapes import parse_chat
from desktop_llm.server.tool_calls import parse_tool_calls, template_takes_tools
from tests.support.gguf_builder import HERMES_TOOLS_TEMPLATE

# Qwen2.5-7B-Instruct, asked for the weather in two cities
QWEN_TWO_CALLS = """<tool_call>
{"name": "get_current_temperature", "arguments": {"location": "San Francisco, CA, USA"}}
</tool_call>
<tool_call>
{"name": "get_current_temperature", "arguments": {"location": "Tokyo, Japan", "unit": "celsius"}}
</tool_call>"""
# Hermes-2-Pro with a thought before its call
HERMES_WITH_TEXT = (
    "Let me look that up for you.\n<tool_call>\n"
    '{"arguments": {"symbol": "TSLA"}, "name": "get_stock_fundamentals"}\n</tool_call>'
)
# Llama 3.1 8B Instruct, JSON style, and with the python tag
LLAMA_JSON = '{"name": "get_weather", "parameters": {"city": "Paris", "days": 3}}'
LLAMA_TAGGED = '<|python_tag|>{"name": "search", "parameters": {"query": "llama.cpp grammar"}}'
LLAMA_TWO = '{"name": "a", "parameters": {"x": 1}}; {"name": "b", "parameters": {"y": "z"}}'


def _calls(text: str) -> list[tuple[str, dict[str, object]]]:
    _content, calls = parse_tool_calls(text)
    return [(c.name, json.loads(c.arguments)) for c in calls]


def test_hermes_qwen_calls() -> None:
    content, calls = parse_tool_calls(QWEN_TWO_CALLS)
    assert content is None
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("get_current_temperature", {"location": "San Francisco, CA, USA"}),
        ("get_current_temperature", {"location": "Tokyo, Japan", "unit": "celsius"}),
    ]
    assert len({c.id for c in calls}) == 2
    assert calls[0].to_openai()["type"] == "function"
    content, calls = parse_tool_calls(HERMES_WITH_TEXT)
    assert content == "Let me look that up for you."
    assert [c.name for c in calls] == ["get_stock_fundamentals"]
    # a last block the model did not close (it hit a stop string) still counts
    assert _calls('<tool_call>\n{"name": "f", "arguments": {}}') == [("f", {})]


def test_llama3_json_calls() -> None:
    assert _calls(LLAMA_JSON) == [("get_weather", {"city": "Paris", "days": 3})]
    assert _calls(LLAMA_TAGGED) == [("search", {"query": "llama.cpp grammar"})]
    assert _calls(LLAMA_TWO) == [("a", {"x": 1}), ("b", {"y": "z"})]
    # arguments written as JSON text are read too
    assert _calls('{"name": "f", "arguments": "{\\"a\\": 1}"}') == [("f", {"a": 1})]


@pytest.mark.parametrize(
    "text",
    [
        "The weather in Paris is sunny.",
        '{"city": "Paris"}',  # JSON but no name: an answer, not a call
        '<tool_call>{"name": "f", "arguments": {broken</tool_call>',
        '{"name": "f", "parameters": [1, 2]}',
        "",
    ],
)
def test_plain_replies_stay_content(text: str) -> None:
    assert parse_tool_calls(text) == (text, [])


def test_template_takes_tools() -> None:
    assert template_takes_tools(HERMES_TOOLS_TEMPLATE)
    assert not template_takes_tools("{% for m in messages %}{{ m.content }}{% endfor %}")
    assert not template_takes_tools(None)


TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]


def test_template_renders_tools_and_tool_messages() -> None:
    choice = TemplateChoice(name=GGUF, source="gguf", jinja=HERMES_TOOLS_TEMPLATE)
    call = parse_chat(
        {
            "model": "m",
            "tools": TOOLS,
            "messages": [
                {"role": "user", "content": "weather?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": "rain"},
            ],
        }
    )
    assert call.tools and call.tool_messages
    tools = json.loads(call.sampling.tools or "null")
    text = render_prompt(choice, call.messages, tools=tools).text
    assert '"name": "get_weather"' in text.split("</tools>")[0]
    assert '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}' in text
    assert "<tool_response>\nrain\n</tool_response>" in text
    assert text.endswith("<|im_start|>assistant\n")
    builtin = TemplateChoice(name="chatml", source="family")
    with pytest.raises(ChatTemplateError, match="model's own chat template"):
        render_prompt(builtin, call.messages, tools=tools)
    with pytest.raises(ValueError, match="role"):
        render_prompt(builtin, call.messages)


def test_request_checks() -> None:
    hello = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    call = parse_chat({**hello, "frequency_penalty": 0.5, "presence_penalty": -1})
    assert (call.sampling.frequency_penalty, call.sampling.presence_penalty) == (0.5, -1.0)
    plain = parse_chat(hello)
    assert (plain.sampling.frequency_penalty, plain.sampling.presence_penalty) == (0.0, 0.0)
    assert plain.sampling.json_schema is None and plain.sampling.tools is None
    assert not parse_chat({**hello, "tools": TOOLS, "tool_choice": "none"}).tools
    assert parse_chat({**hello, "response_format": {"type": "json_object"}}).sampling.json_schema
    for bad, words in (
        ({"frequency_penalty": 2.5}, "-2 to 2"),
        ({"tool_choice": {"type": "function", "function": {"name": "f"}}}, "not in 'tools'"),
        ({"tools": [{"type": "function"}]}, "tools[0]"),
        ({"response_format": {"type": "yaml"}}, "json_schema"),
        ({"response_format": {"type": "json_schema", "json_schema": {}}}, '"schema"'),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"schema": {"properties": {"a": {"type": "str"}}}},
                }
            },
            "schema.properties.a.type is 'str'",
        ),
        ({"messages": [{"role": "tool", "content": "x"}]}, "tool_call_id"),
    ):
        with pytest.raises(ApiError) as caught:
            parse_chat({**hello, **bad})
        assert caught.value.status == 400
        assert words in caught.value.message, caught.value.message
