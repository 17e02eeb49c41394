"""``POST /v1/embeddings`` through ``desktop-llm serve`` with the real ``openai`` client:
a tiny generated model whose GGUF declares mean pooling (an embedding model, as far as
llama.cpp is concerned), and the real SmolLM2, which declares none (a 400)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import openai
import pytest

from desktop_llm.core.models.library import STARTER_NAME
from tests.e2e.test_cli import ok
from tests.support.gguf_builder import write_tiny_llama
from tests.support.serve_process import ServeProcess

pytestmark = pytest.mark.model

EMBED = "Tiny Embed"
N_EMBD = 64
LLAMA_POOLING_MEAN = 1


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smollm2: Path) -> Iterator[ServeProcess]:
    home = tmp_path_factory.mktemp("serve-embeddings")
    model = write_tiny_llama(
        tmp_path_factory.mktemp("embed-model") / "tiny-embed.gguf",
        n_embd=N_EMBD,
        pooling_type=LLAMA_POOLING_MEAN,
    )
    ok(home, "import", str(model), "--name", EMBED)
    served = ServeProcess(home, "--max-loaded", "2")
    yield served
    served.close()


@pytest.fixture(scope="module")
def client(server: ServeProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=server.key, max_retries=0)


def _post(server: ServeProcess, body: object) -> httpx.Response:
    return httpx.post(
        server.base_url + "/embeddings",
        json=body,
        headers={"Authorization": f"Bearer {server.key}"},
        timeout=60,
    )


def _close(a: list[float], b: list[float], tol: float = 1e-5) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def test_one_text_and_a_batch(client: openai.OpenAI) -> None:
    # The openai package asks for base64 by default and decodes it.
    one = client.embeddings.create(model=EMBED, input="hello world")
    assert one.object == "list" and one.model == EMBED
    assert len(one.data) == 1 and one.data[0].index == 0
    vector = one.data[0].embedding
    assert len(vector) == N_EMBD
    assert math.isclose(math.fsum(x * x for x in vector), 1.0, rel_tol=1e-4)
    assert one.usage.prompt_tokens > 0
    assert one.usage.total_tokens == one.usage.prompt_tokens

    texts = ["the cat", "hello world", "a blue sky and a red sun"]
    batch = client.embeddings.create(model=EMBED, input=texts, encoding_format="float")
    assert [d.index for d in batch.data] == [0, 1, 2]
    # the same text gives the same vector alone, in a batch, as floats or base64
    assert _close(batch.data[1].embedding, vector)
    assert not _close(batch.data[0].embedding, vector, tol=1e-3)
    assert batch.usage.prompt_tokens > one.usage.prompt_tokens


def test_token_ids_as_input(client: openai.OpenAI) -> None:
    tokens = [1, 300, 301, 302]
    single = client.embeddings.create(model=EMBED, input=tokens)
    assert single.usage.prompt_tokens == len(tokens)
    several = client.embeddings.create(model=EMBED, input=[tokens, [1, 400]])
    assert len(several.data) == 2
    assert several.usage.prompt_tokens == len(tokens) + 2
    assert _close(several.data[0].embedding, single.data[0].embedding)


def test_a_chat_model_is_a_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=STARTER_NAME, input="hello")
    error = caught.value.response.json()["error"]
    assert error["code"] == "model_not_supported"
    assert error["param"] == "model"
    assert f"the model '{STARTER_NAME}' does not make embeddings" in error["message"]
    assert "pooling" in error["message"]


def test_an_embedding_model_does_not_chat(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model=EMBED, messages=[{"role": "user", "content": "hi"}], max_tokens=2
        )
    assert "is an embedding model" in str(caught.value)


def test_bad_input_is_a_400_and_it_keeps_serving(
    server: ServeProcess, client: openai.OpenAI
) -> None:
    for body, words in (
        ({"model": EMBED}, "'input' is required"),
        ({"model": EMBED, "input": ""}, "input[0] is empty"),
        ({"model": EMBED, "input": [{"text": "x"}]}, "input[0] is not valid"),
        ({"model": EMBED, "input": "x", "encoding_format": "int8"}, "'float' or 'base64'"),
        ({"model": EMBED, "input": "x", "dimensions": 8}, "dimensions"),
        ({"model": EMBED, "input": [1, 10**9]}, "outside this model's vocabulary"),
        ({"model": EMBED, "input": "word " * 400}, "more than this model embeds at once"),
        ({"model": "nope", "input": "x"}, "does not exist"),
    ):
        response = _post(server, body)
        assert response.status_code in (400, 404), (body, response.text)
        error = response.json()["error"]
        assert set(error) >= {"message", "type", "code"}
        assert words in error["message"], (words, error["message"])
    assert len(client.embeddings.create(model=EMBED, input="still here").data) == 1
