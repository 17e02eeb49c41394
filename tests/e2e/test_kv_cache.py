"""Each chat's KV state kept on disk (kv_cache_store.py), on the real SmolLM2 in real
worker processes: a restored chat answers with exactly the tokens a full reprocessing
gives, never from a state that doesn't match, and the folder keeps its size limit."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.kv_cache_folder import clear_folder, folder_size
from desktop_llm.core.engine.kv_cache_store import ASIDE_SUFFIX, file_crc32
from desktop_llm.core.engine.protocol import LoadParams, SamplingParams
from desktop_llm.core.engine.templates import TemplateChoice, choose_template
from desktop_llm.core.models.gguf_info import read_header

GREEDY = SamplingParams(temperature=0.0, max_tokens=16, seed=3)
SEEDED = SamplingParams(temperature=0.8, max_tokens=16, seed=11)
FIRST = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Name three rivers in Europe and say one thing about each."},
]


def template_of(path: Path) -> TemplateChoice:
    header = read_header(path)
    return choose_template(
        chat_template=header.chat_template,
        architecture=header.architecture,
        model_name=header.name,
        file_name=path.name,
        override=None,
    )


@pytest.fixture
def kv_dir(tmp_path: Path) -> Path:
    return tmp_path / "kv"


@pytest.fixture
def start(tmp_path: Path, smollm2: Path, kv_dir: Path) -> Iterator[object]:
    hosts: list[EngineHost] = []

    def make(limit: int = 2 * 1024**3, n_ctx: int = 2048) -> EngineHost:
        host = EngineHost(tmp_path / "logs", kv_cache_dir=kv_dir)
        host.load(
            LoadParams(str(smollm2), n_ctx=n_ctx, kv_cache_dir=str(kv_dir), kv_cache_limit=limit)
        )
        hosts.append(host)
        return host

    yield make
    for host in hosts:
        host.unload()


def follow_up(first_reply: str) -> list[dict[str, str]]:
    return [
        *FIRST,
        {"role": "assistant", "content": first_reply},
        {"role": "user", "content": "Which of them is the longest?"},
    ]


def test_restore_after_restart_gives_the_tokens_of_a_full_reprocessing(
    start, smollm2: Path, kv_dir: Path
) -> None:
    template = template_of(smollm2)
    sampling = GREEDY
    host = start()
    first = host.chat(FIRST, sampling, template, cache_key="chat:1")
    host.unload()  # the app closes: the worker saves chat 1's state
    assert folder_size(kv_dir) > 0

    host = start()  # a new worker process
    restored = host.chat(follow_up(first.text), sampling, template, cache_key="chat:1")
    assert restored.stats.cached_tokens > 0
    assert restored.stats.prompt_eval_tokens < restored.stats.prompt_tokens
    host.unload()

    clear_folder(kv_dir)
    host = start()
    again = host.chat(follow_up(first.text), sampling, template, cache_key="chat:1")
    assert again.stats.cached_tokens == 0
    assert again.stats.prompt_eval_tokens == again.stats.prompt_tokens
    assert restored.text == again.text


def test_a_restored_chat_samples_as_the_warm_chat_would(start, smollm2: Path) -> None:
    """At a temperature above 0 the restored state is the very state the warm worker
    had: the same seed draws the same tokens. (Against a full reprocessing, the last
    bits of a batched evaluation may tip a random draw: only greedy is compared.)"""
    template = template_of(smollm2)
    host = start()
    first = host.chat(FIRST, SEEDED, template, cache_key="chat:1")
    host.unload()
    host = start()
    restored = host.chat(follow_up(first.text), SEEDED, template, cache_key="chat:1")
    assert restored.stats.cached_tokens > 0
    host.unload()

    host = start()  # the same chat kept warm in one worker, under another key
    assert host.chat(FIRST, SEEDED, template, cache_key="warm").text == first.text
    warm = host.chat(follow_up(first.text), SEEDED, template, cache_key="warm")
    assert warm.stats.cached_tokens == restored.stats.cached_tokens
    assert restored.text == warm.text


def test_switching_chats_keeps_each_chat(start, smollm2: Path) -> None:
    template = template_of(smollm2)
    host = start()
    other = [{"role": "user", "content": "Write a haiku about snow on a mountain."}]
    first = host.chat(FIRST, GREEDY, template, cache_key="chat:1")
    host.chat(other, GREEDY, template, cache_key="chat:2")  # chat 1 is saved
    back = host.chat(follow_up(first.text), GREEDY, template, cache_key="chat:1")
    # Chat 1's whole first exchange comes back from its saved state.
    assert back.stats.cached_tokens >= first.stats.prompt_tokens
    assert back.stats.prompt_eval_tokens < back.stats.prompt_tokens - first.stats.prompt_tokens + 8


def test_a_chat_saved_again_leaves_one_checked_state(start, smollm2: Path, kv_dir: Path) -> None:
    """A chat saved twice (its previous file renamed aside, freed in the background)
    ends with one state per chat, each with the checksum of its own file in the
    sidecar, once the worker has unloaded; nothing is left aside."""
    template = template_of(smollm2)
    host = start()
    other = [{"role": "user", "content": "Write a haiku about snow on a mountain."}]
    first = host.chat(FIRST, GREEDY, template, cache_key="chat:1")
    host.chat(other, GREEDY, template, cache_key="chat:2")  # chat 1 saved
    host.chat(follow_up(first.text), GREEDY, template, cache_key="chat:1")  # chat 2 saved
    host.chat(other, GREEDY, template, cache_key="chat:2")  # chat 1 saved again
    host.unload()  # chat 2 saved again; the background work finishes
    assert saved_keys(kv_dir) == {"chat:1", "chat:2"}
    assert not list(kv_dir.glob("*" + ASIDE_SUFFIX))
    for state in kv_dir.glob("*.kvstate"):
        meta = json.loads(state.with_suffix(".json").read_text())
        assert meta["state_crc32"] == file_crc32(state)
        assert meta["state_bytes"] == state.stat().st_size


def test_a_state_without_its_checksum_is_not_read_by_another_worker(
    start, smollm2: Path, kv_dir: Path
) -> None:
    """The app stopped before the background thread wrote the checksum: the state is
    dropped, not read unchecked."""
    template = template_of(smollm2)
    host = start()
    first = host.chat(FIRST, GREEDY, template, cache_key="chat:1")
    host.unload()
    state, sidecar = _saved_files(kv_dir)
    meta = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps({**meta, "state_crc32": None}))
    aside = state.with_name(state.name + ".0a1b2c3d" + ASIDE_SUFFIX)
    aside.write_bytes(b"a previous state a killed worker left aside")

    host = start()
    reply = host.chat(follow_up(first.text), GREEDY, template, cache_key="chat:1")
    assert reply.stats.cached_tokens == 0
    assert reply.text
    host.unload()
    assert not aside.exists()  # a new worker removes what was left aside
    state, sidecar = _saved_files(kv_dir)  # the follow-up's own state, checked
    assert json.loads(sidecar.read_text())["state_crc32"] == file_crc32(state)


def test_an_edited_earlier_message_is_not_served_from_the_stale_state(start, smollm2: Path) -> None:
    template = template_of(smollm2)
    host = start()
    first = host.chat(FIRST, GREEDY, template, cache_key="chat:1")
    host.unload()
    edited = follow_up(first.text)
    edited[1] = {"role": "user", "content": "Name three mountains in Asia and their heights."}

    host = start()
    from_state = host.chat(edited, GREEDY, template, cache_key="chat:1")
    host.unload()
    # Only the part before the edit (system prompt and the template's lead-in) is kept.
    assert 0 < from_state.stats.cached_tokens < 30

    host = start(n_ctx=2048)
    fresh = host.chat(edited, GREEDY, template)  # no key: nothing saved or restored
    assert fresh.stats.cached_tokens == 0
    assert from_state.text == fresh.text


def _saved_files(kv_dir: Path) -> tuple[Path, Path]:
    states = sorted(kv_dir.glob("*.kvstate"))
    assert len(states) == 1
    return states[0], states[0].with_suffix(".json")


def test_a_truncated_state_file_is_ignored_and_removed(start, smollm2: Path, kv_dir: Path) -> None:
    template = template_of(smollm2)
    host = start()
    first = host.chat(FIRST, GREEDY, template, cache_key="chat:1")
    host.unload()
    state, sidecar = _saved_files(kv_dir)
    data = state.read_bytes()
    state.write_bytes(data[: len(data) // 2])
    # A sidecar that agrees on the size: the checksum must catch it (llama.cpp's
    # reader aborts the process on such a file).
    meta = json.loads(sidecar.read_text())
    meta["state_bytes"] = len(data) // 2
    sidecar.write_text(json.dumps(meta))

    host = start()
    reply = host.chat(follow_up(first.text), GREEDY, template, cache_key="chat:1")
    assert reply.stats.cached_tokens == 0
    assert reply.text
    assert not state.exists()


def test_a_foreign_state_file_is_ignored_and_removed(
    start, smollm2: Path, kv_dir: Path, tiny_llama: Path, tmp_path: Path
) -> None:
    template = template_of(smollm2)
    # A state saved by another model, put where SmolLM2's chat 1 state belongs.
    other_dir = tmp_path / "other-kv"
    other = EngineHost(tmp_path / "logs", kv_cache_dir=other_dir)
    other.load(LoadParams(str(tiny_llama), n_ctx=2048, kv_cache_dir=str(other_dir)))
    completion = TemplateChoice(name="completion", source="fallback")
    other.chat([{"role": "user", "content": "hello there"}], GREEDY, completion, cache_key="x")
    other.unload()
    foreign_state, foreign_sidecar = _saved_files(other_dir)

    host = start()
    first = host.chat(FIRST, GREEDY, template, cache_key="chat:1")
    host.unload()
    state, sidecar = _saved_files(kv_dir)
    shutil.copyfile(foreign_state, state)
    meta = json.loads(sidecar.read_text())
    meta["state_bytes"] = foreign_state.stat().st_size
    sidecar.write_text(json.dumps(meta))  # a sidecar that claims the file is fine

    host = start()
    reply = host.chat(follow_up(first.text), GREEDY, template, cache_key="chat:1")
    assert reply.stats.cached_tokens == 0
    assert not state.exists()

    # A sidecar of another model (the file copied as it is) is refused before reading.
    host.unload()
    shutil.copyfile(foreign_state, state)
    shutil.copyfile(foreign_sidecar, sidecar)
    host = start()
    reply = host.chat(follow_up(first.text), GREEDY, template, cache_key="chat:1")
    assert reply.stats.cached_tokens == 0


def test_the_size_limit_evicts_the_least_recently_used(start, smollm2: Path, kv_dir: Path) -> None:
    template = template_of(smollm2)
    host = start()
    host.chat(FIRST, GREEDY, template, cache_key="chat:1")
    host.chat(FIRST, GREEDY, template, cache_key="chat:2")  # saves chat 1
    host.unload()  # saves chat 2
    one_state = max(p.stat().st_size for p in kv_dir.glob("*.kvstate"))
    assert saved_keys(kv_dir) == {"chat:1", "chat:2"}

    # Room for two states, not three: saving a third removes the oldest (chat 1).
    host = start(limit=int(one_state * 2.5))
    host.chat(FIRST, GREEDY, template, cache_key="chat:2")  # restores (touches) chat 2
    host.chat(FIRST, GREEDY, template, cache_key="chat:3")  # saves chat 2
    host.unload()  # saves chat 3: over the limit
    assert saved_keys(kv_dir) == {"chat:2", "chat:3"}
    assert folder_size(kv_dir) <= one_state * 2.5


def saved_keys(kv_dir: Path) -> set[str]:
    return {json.loads(p.read_text())["key"] for p in kv_dir.glob("*.json")}
