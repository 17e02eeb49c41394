"""Hostile chat templates (issue 17): a GGUF's ``tokenizer.chat_template`` is data from
the internet. Injection (reaching Python's objects), loop bombs and gigabyte outputs are
refused or stopped inside the worker with a message that names the template; the model
stays loaded, the next request (with a built-in template) works, and the app process
(this one) neither raises anything but UserError nor grows.

Real llama.cpp in a real worker, real GGUF files written by tests/support/gguf_builder.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.protocol import LoadParams, SamplingParams
from desktop_llm.core.engine.templates import TemplateChoice
from desktop_llm.core.engine.templates.sandbox import RENDER_LIMIT_S
from desktop_llm.core.models.library import ModelLibrary
from desktop_llm.errors import UserError
from desktop_llm.storage import connect
from desktop_llm.storage.models_repo import ModelRepository
from tests.support.gguf_builder import write_tiny_llama
from tests.torture.conftest import Campaign

CHATML = TemplateChoice(name="chatml", source="override")
GREEDY = SamplingParams(temperature=0.0, max_tokens=4, seed=1)
HELLO = [{"role": "user", "content": "hello"}]

LOOP_BOMB = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"

# (name, template, what the message must say). The marker file proves that no injection
# ran code: every template that reaches os tries to create it.
INJECTIONS = [
    ("class", "{{ ''.__class__.__mro__[1].__subclasses__() }}", "unsafe"),
    ("mro", "{{ messages.__class__.__base__.__subclasses__() }}", "unsafe"),
    ("globals", "{{ raise_exception.__globals__['os'].system('touch MARKER') }}", ""),
    ("cycler_os", "{{ cycler.__init__.__globals__.os.system('touch MARKER') }}", "unsafe"),
    ("joiner_os", "{{ joiner.__init__.__globals__.os.popen('touch MARKER') }}", "unsafe"),
    ("namespace", "{{ namespace.__init__.__globals__.os.system('touch MARKER') }}", "unsafe"),
    ("lipsum", "{{ lipsum.__globals__['os'].system('touch MARKER') }}", ""),
    ("func_code", "{{ strftime_now.__code__ }}{{ strftime_now.__globals__ }}", ""),
    ("getattr", "{{ messages|attr('__class__') }}", ""),
    ("format_attr", "{{ '{0.__class__.__mro__}'.format(messages) }}", "unsafe"),
    ("mutate", "{% set _ = messages.append({'role': 'user', 'content': 'x'}) %}", "unsafe"),
    ("dict_update", "{{ messages[0].update({'content': 'pwned'}) }}", "unsafe"),
    ("import", "{% import 'os' as os %}", "chat template"),
    ("include", "{% include '/etc/passwd' %}", "chat template"),
    ("extends", "{% extends '/etc/passwd' %}", "chat template"),
]

BOMBS = [
    ("loop_bomb", LOOP_BOMB, "took longer than 2 s"),
    (
        "list_loop_bomb",
        "{% set a = range(100000)|list %}{% for i in a %}{% for j in a %}{% endfor %}{% endfor %}",
        "took longer than 2 s",
    ),
    (
        "macro_bomb",
        "{% macro f(n) %}{% for i in range(100000) %}{% endfor %}{{ f(n) if n > 0 }}"
        "{% endmacro %}{% for i in range(100000) %}{{ f(0) }}{% endfor %}",
        "took longer than 2 s",
    ),
    ("recursion", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "chat template"),
    ("power", "{{ 10 ** (10 ** 10) }}", "power"),
]

HUGE = [
    ("repeat_1gb", "{{ 'x' * 1000000000 }}", "larger than"),
    ("output_1gb", "{% for i in range(100000) %}{{ 'x' * 10000 }}{% endfor %}", "larger than"),
    ("ljust_1gb", "{{ 'x'.ljust(1000000000) }}", "number"),
    ("center_1gb", "{{ 'x'|center(1000000000) }}", "number"),
    ("percent_1gb", "{{ '%999999999d' % 1 }}", "larger than"),
    ("format_1gb", "{{ '{:>999999999}'.format(1) }}", "larger than"),
    (
        "doubling",
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
        "larger than",
    ),
    (
        "doubling_plus",
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}"
        "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}",
        "larger than",
    ),
    (
        "doubling_block",
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set b %}{{ ns.s }}"
        "{{ ns.s }}{% endset %}{% set ns.s = b %}{% endfor %}{{ ns.s }}",
        "larger than",
    ),
    ("replace_blowup", "{% set s = 'x' * 4000000 %}{{ s.replace('', s) }}", "larger than"),
    ("replace_filter", "{% set s = 'x' * 4000000 %}{{ s|replace('', s) }}", "larger than"),
    ("join_blowup", "{% set s = 'x' * 4000000 %}{{ range(1000)|join(s) }}", "larger than"),
    (
        "tabs",
        "{{ ('\\t' * 1000000).expandtabs(65536) }}",
        "larger than",
    ),
]

CASES = INJECTIONS + BOMBS + HUGE


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile-template-logs")


@pytest.fixture(scope="module")
def bomb_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny real model whose own chat template is a loop bomb."""
    return write_tiny_llama(
        tmp_path_factory.mktemp("hostile") / "bomb-chat.gguf", chat_template=LOOP_BOMB
    )


@pytest.fixture(scope="module")
def host(bomb_model: Path, logs: Path) -> Iterator[EngineHost]:
    engine = EngineHost(logs)
    engine.load(LoadParams(str(bomb_model), n_ctx=256, n_threads=1))
    yield engine
    engine.unload()


def test_a_loop_bomb_in_the_gguf_stops_after_the_limit_and_the_override_works(
    host: EngineHost, bomb_model: Path, tmp_path: Path
) -> None:
    """Task 1: the template comes from the GGUF through the library (real SQLite); it
    is stopped after RENDER_LIMIT_S with a message naming it, and the built-in template
    the user then picks in the model's settings (the override) answers at once."""
    db = connect(tmp_path / "chats.sqlite3")
    library = ModelLibrary(ModelRepository(db), tmp_path / "models")
    record = library.import_file(bomb_model)
    own = library.ref_for(record).template()
    assert own.name == "gguf" and own.jinja == LOOP_BOMB

    pid = host.pid
    started = time.monotonic()
    with pytest.raises(UserError) as caught:
        host.chat(HELLO, GREEDY, own)
    took = time.monotonic() - started
    assert RENDER_LIMIT_S <= took < RENDER_LIMIT_S + 3
    assert caught.value.message == (
        "the model's own chat template (from the GGUF) took longer than 2 s to render; "
        "choose a built-in template for this model in the chat settings"
    )
    assert host.pid == pid and host.loaded is not None  # stopped in the worker, not killed

    record = library.set_template_override(record.id, "chatml")
    chosen = library.ref_for(record).template()
    assert chosen.name == "chatml" and chosen.source == "override"
    started = time.monotonic()
    reply = host.chat(HELLO, GREEDY, chosen)
    assert time.monotonic() - started < 5
    assert reply.stats.completion_tokens > 0 or reply.stats.finish_reason == "stop"
    db.close()


def test_hostile_templates(host: EngineHost, campaign: Campaign, tmp_path: Path) -> None:
    """Every hostile template is refused or stopped in the worker with a clear message;
    nothing runs, the worker lives on, and this process stays as it was."""
    marker = tmp_path / "MARKER"
    me = psutil.Process()
    rss_before = me.memory_info().rss
    pid = host.pid
    outcomes: dict[str, int] = {}
    failures: list[str] = []
    slowest = 0.0
    rounds = campaign.scale(1, 3)
    for _ in range(rounds):
        for name, source, expected in CASES:
            choice = TemplateChoice(
                name="gguf", source="gguf", jinja=source.replace("MARKER", str(marker))
            )
            started = time.monotonic()
            try:
                host.chat(HELLO, GREEDY, choice)
                outcome = "rendered harmlessly"
            except UserError as exc:
                outcome = "stopped" if "2 s" in exc.message else "refused"
                if "chat template" not in exc.message or expected not in exc.message:
                    failures.append(f"{name}: unclear message {exc.message!r}")
            except Exception as exc:
                outcome = "bug"
                failures.append(f"{name}: {type(exc).__name__}: {exc}")
            took = time.monotonic() - started
            slowest = max(slowest, took)
            if took > RENDER_LIMIT_S + 3:
                failures.append(f"{name}: took {took:.1f} s")
            if expected and outcome == "rendered harmlessly":
                failures.append(f"{name}: rendered, expected {expected!r}")
            if marker.exists():
                failures.append(f"{name}: the template ran code")
                marker.unlink()
            if host.pid != pid or host.loaded is None:
                failures.append(f"{name}: the worker died")
                pid = host.pid
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            # The next request, with a built-in template, works at once.
            host.chat(HELLO, GREEDY, CHATML)
    grown = me.memory_info().rss - rss_before
    if grown > 200 * 1024 * 1024:
        failures.append(f"the app process grew by {grown // 2**20} MB")
    campaign.report(
        {
            "cases": rounds * len(CASES),
            "templates": len(CASES),
            "injections": len(INJECTIONS),
            "bombs": len(BOMBS),
            "huge_outputs": len(HUGE),
            "outcomes": outcomes,
            "slowest_s": round(slowest, 2),
            "render_limit_s": RENDER_LIMIT_S,
            "app_process_growth_mb": round(grown / 2**20, 1),
            "failures": len(failures),
        }
    )
    assert not failures, failures
