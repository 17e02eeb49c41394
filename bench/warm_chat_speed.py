"""Warm chats (issue 19): a long chat answers at once after a restart or a switch, and
prompt lookup decodes a reply that repeats the conversation faster than llama-bench.

Three measurements on SmolLM2, each against its reference in the same run:

- a follow-up in a ~3,000-token chat after an app restart (a new worker): time to
  first token with the chat's restored KV state, against processing it all again;
- two long chats taking turns (every message switches the worker's chat: one state
  saved, the other restored), against a follow-up in a chat that stays warm;
- generation speed of an "edit this code" reply (most of a 300-line file comes back)
  with prompt lookup, against decoding without drafts on the same load (the text must
  be the same) and llama-bench's tg at the same depth. Greedy without a repeat penalty,
  the settings of a code edit: a penalty of 1.1 pushes the model off the text it should
  copy (SmolLM2 then keeps 44 of 115 drafted tokens and repeats little of the file).

Run alone: ``python bench/warm_chat_speed.py``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import llama_bench
from bench.common import Row, median, smollm2, template_of
from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.protocol import LoadParams, SamplingParams
from desktop_llm.core.engine.templates import TemplateChoice
from desktop_llm.core.hardware.detect import physical_cores

N_CTX = 4096
FIRST_TOKEN = SamplingParams(temperature=0.0, max_tokens=1, seed=1)
TOPICS = [
    "the water cycle",
    "how bridges carry loads",
    "the history of printing",
    "why the sky is blue",
    "how vaccines train the immune system",
    "the rules of chess",
    "how a compiler works",
    "the life of honey bees",
]


def long_chat(salt: str, turns: int = 16) -> list[dict[str, str]]:
    """About 3,000 tokens of conversation (SmolLM2's tokenizer), ending with a user turn."""
    messages = [{"role": "system", "content": f"You are a patient teacher ({salt})."}]
    for i in range(turns):
        topic = TOPICS[i % len(TOPICS)]
        messages.append({"role": "user", "content": f"Explain {topic} ({salt}, part {i})."})
        answer = " ".join(
            f"Point {j} about {topic}: it matters because step {j} leads to step {j + 1}, "
            f"and the {salt} example number {i * 10 + j} shows it."
            for j in range(5)
        )
        messages.append({"role": "assistant", "content": answer})
    messages.append({"role": "user", "content": f"Sum it up in one line ({salt})."})
    return messages


def follow(messages: list[dict[str, str]], reply: str, n: int) -> list[dict[str, str]]:
    return [
        *messages,
        {"role": "assistant", "content": reply},
        {"role": "user", "content": f"And one more thing, number {n}?"},
    ]


class Hosts:
    def __init__(self, log_dir: Path, model: Path, threads: int) -> None:
        self.log_dir, self.model, self.threads = log_dir, model, threads
        self.kv_dir = log_dir / "kv-states"

    def start(self, **extra: object) -> EngineHost:
        host = EngineHost(self.log_dir, kv_cache_dir=self.kv_dir)
        params = LoadParams(
            str(self.model),
            n_ctx=N_CTX,
            n_threads=self.threads,
            kv_cache_dir=str(self.kv_dir),
            **extra,  # type: ignore[arg-type]
        )
        host.load(params)
        return host


def restart_rows(hosts: Hosts, template: TemplateChoice, rounds: int) -> list[Row]:
    restored: list[float] = []
    reprocessed: list[float] = []
    tokens: list[int] = []
    cached: list[int] = []
    for r in range(rounds):
        chat = long_chat(f"restart {r}")
        host = hosts.start()
        first = host.chat(chat, FIRST_TOKEN, template, cache_key=f"restart:{r}")
        host.unload()  # the app closes: the worker saves the chat's state
        follow_up = follow(chat, first.text, r)
        for kind in ("restored", "reprocessed") if r % 2 == 0 else ("reprocessed", "restored"):
            host = hosts.start()
            key = f"restart:{r}" if kind == "restored" else None
            stats = host.chat(follow_up, FIRST_TOKEN, template, cache_key=key).stats
            host.unload()
            if kind == "restored":
                restored.append(stats.ttft_s * 1000)
                cached.append(stats.cached_tokens)
            else:
                reprocessed.append(stats.ttft_s * 1000)
                tokens.append(stats.prompt_tokens or 0)
    value, reference = median(restored), median(reprocessed)
    return [
        Row(
            f"Follow-up after a restart, {median(tokens):.0f}-token chat: time to first "
            "token, restored state (ms)",
            value,
            "ms",
            reference,
            "processing the chat again",
            "<= 0.2x",
            value <= 0.2 * reference,
            {"restored_ms": restored, "reprocessed_ms": reprocessed, "cached_tokens": cached},
        )
    ]


def switch_rows(hosts: Hosts, template: TemplateChoice, rounds: int) -> list[Row]:
    host = hosts.start()
    chats = {key: long_chat(key) for key in ("chat-a", "chat-b")}
    try:
        for key, messages in chats.items():
            reply = host.chat(messages, FIRST_TOKEN, template, cache_key=key).text
            chats[key] = follow(messages, reply, 0)
        switched, warm = [], []
        for r in range(1, rounds + 1):
            for key in ("chat-a", "chat-b"):  # each message switches chats
                result = host.chat(chats[key], FIRST_TOKEN, template, cache_key=key)
                switched.append(result.stats.ttft_s * 1000)
                chats[key] = follow(chats[key], result.text, r)
            # The same chat again: the warm reference.
            result = host.chat(chats["chat-b"], FIRST_TOKEN, template, cache_key="chat-b")
            warm.append(result.stats.ttft_s * 1000)
            chats["chat-b"] = follow(chats["chat-b"], result.text, r + 100)
    finally:
        host.unload()
    value, reference = median(switched), median(warm)
    return [
        Row(
            "Two long chats taking turns: time to first token of a message (ms)",
            value,
            "ms",
            reference,
            "a follow-up in a warm chat",
            "<= 1.5x",
            value <= 1.5 * reference,
            {"switched_ms": switched, "warm_ms": warm},
        )
    ]


def code_file(lines: int = 300) -> str:
    out: list[str] = []
    i = 0
    while len(out) < lines:
        out += [
            f"def handle_{i}(request, store):",
            f'    """Answer request kind {i}."""',
            f"    item = store.get(request.key, default={i})",
            "    if item is None:",
            f"        return Response(404, 'missing {i}')",
            f"    return Response(200, item.render(width={i % 80}))",
            "",
        ]
        i += 1
    return "\n".join(out[:lines])


def lookup_rows(hosts: Hosts, template: TemplateChoice, n_gen: int, rounds: int = 3) -> list[Row]:
    source = code_file()
    prompt = [
        {
            "role": "user",
            "content": "Here is a Python file:\n\n```python\n"
            f"{source}\n```\n\nRename `store` to `repository` everywhere and repeat the whole "
            "file, unchanged otherwise.",
        }
    ]
    greedy = SamplingParams(
        temperature=0.0, repeat_penalty=1.0, max_tokens=n_gen, seed=3, ignore_eos=True
    )
    host = hosts.start(prompt_lookup=True)  # flash attention off: see loader.py
    try:
        runs: dict[bool, list[float]] = {False: [], True: []}
        texts: dict[bool, str] = {}
        accepted = drafted = depth = 0
        # llama-bench runs between our replies, in the same rounds: this machine's speed
        # drifts by a third over minutes, and a reference taken once, after, follows it.
        tg: dict[str, list[float]] = {"auto": [], "off": []}
        for r in range(rounds):
            for lookup in (False, True) if r % 2 == 0 else (True, False):
                sampling = SamplingParams(**{**greedy.to_dict(), "prompt_lookup": lookup})
                result = host.chat(prompt, sampling, template)
                runs[lookup].append(result.stats.gen_tps)
                texts[lookup] = result.text
                depth = result.stats.prompt_tokens or 0
                if lookup:
                    accepted, drafted = result.stats.accepted_tokens, result.stats.drafted_tokens
            for fa in tg:
                tg[fa].append(llama_bench_tg(hosts.model, hosts.threads, depth, n_gen, fa))
    finally:
        host.unload()
    same = texts[True] == texts[False]
    fast, plain, reference = median(runs[True]), median(runs[False]), median(tg["auto"])
    detail = {
        "prompt_tokens": depth,
        "lookup_tps": runs[True],
        "plain_tps": runs[False],
        "accepted": accepted,
        "drafted": drafted,
        "output_identical": same,
        # llama-bench's default is flash attention "auto" (on, on a CPU); our load has it
        # off (exact batches: loader.py), which at this depth is the faster on this CPU.
        "llama_bench_tps": tg["auto"],
        "llama_bench_fa_off_tps": tg["off"],
    }
    return [
        Row(
            f'"Edit this code" reply, {n_gen} tokens after {depth}: prompt lookup (tok/s)',
            fast,
            "tok/s",
            reference,
            f"llama-bench tg{n_gen} at depth {depth}",
            ">= 1.5x, output identical",
            fast >= 1.5 * reference and same,
            detail,
        ),
        Row(
            "The same reply without drafts on the same load (tok/s)",
            plain,
            "tok/s",
            reference,
            f"llama-bench tg{n_gen} at depth {depth}",
            "",
            None,
            {"plain_tps": runs[False]},
        ),
    ]


def llama_bench_tg(model: Path, threads: int, depth: int, n_gen: int, fa: str = "auto") -> float:
    """llama-bench's tg tokens/s after ``depth`` tokens of context (no pp test), flash
    attention ``fa`` (on, off or auto, llama-bench's default)."""
    exe = llama_bench.build()
    args = [str(exe), "-m", str(model), "-t", str(threads), "-p", "0", "-n", str(n_gen)]
    args += ["-d", str(depth), "-fa", fa, "-r", "1", "-o", "json"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return float(json.loads(out)[0]["avg_ts"])


def run(
    rounds: int = 2, n_gen: int = 256, log_dir: Path = Path("/tmp/desktop-llm-bench/warm")
) -> list[Row]:
    path = smollm2()
    shutil.rmtree(log_dir, ignore_errors=True)
    hosts = Hosts(log_dir, path, physical_cores())
    template = template_of(path)
    parts: list[Callable[[], list[Row]]] = [
        lambda: restart_rows(hosts, template, rounds),
        lambda: switch_rows(hosts, template, rounds),
        lambda: lookup_rows(hosts, template, n_gen),
    ]
    rows: list[Row] = []
    for part in parts:
        new = part()
        rows += new
        for row in new:
            print(row, flush=True)  # each figure as soon as it is measured
    return rows


if __name__ == "__main__":
    # Run alone: ``python -m bench.warm_chat_speed [ROUNDS]`` (writes
    # bench/results/warm_chat_speed.json).
    from bench.common import RESULTS, write_json

    done = run(rounds=int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    print(f"written to {write_json(RESULTS / 'warm_chat_speed.json', done, [])}")
