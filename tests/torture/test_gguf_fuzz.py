"""GGUF header fuzzing (issue 17): a model file is data from the internet.

Hypothesis mutates two real seeds, SmolLM2's header (the `smollm2` fixture; its tensor
data is kept as a sparse run of zeros, so a case costs no 100 MB copy) and a whole
generated tiny llama, through the fields the header's structure names (counts, string
and array lengths, value and tensor types, dimensions, offsets) and blindly (bit flips,
bytes, insertions, deletions, truncation). Each case goes where a downloaded file goes:

1. ``parse_header`` on the bytes (as for a remote prefix): a header, IncompleteHeader
   or a UserError;
2. ``read_header`` on the file: a header or a UserError;
3. the planner, as EngineSession plans a load: a plan, or a UserError;
4. for a sample of the cases that plan to fit, ``EngineHost.load`` in a real worker:
   loaded or a UserError.

Every case must end so within CASE_LIMIT_S: no hang, no exception but UserError, no
crash of this process. A case that fails is written to tests/torture/regressions/gguf/
(its seed and mutations, as JSON) and ``test_gguf_regressions`` replays every such file
through all four stages in `make test`.
"""

from __future__ import annotations

import hashlib
import json
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from desktop_llm.core.engine.host import EngineHost
from desktop_llm.core.engine.protocol import LoadParams
from desktop_llm.core.engine.templates import choose_template
from desktop_llm.core.hardware.planner import Machine
from desktop_llm.core.models.gguf_info import (
    GGUFHeader,
    IncompleteHeader,
    parse_header,
    read_header,
)
from desktop_llm.core.models.options import ModelOptions, plan_with_options
from desktop_llm.errors import UserError
from tests.support.gguf_builder import write_tiny_llama
from tests.torture.conftest import Campaign

CASE_LIMIT_S = 5.0
REGRESSIONS = Path(__file__).parent / "regressions" / "gguf"
N_CTX = 256

Op = list[Any]  # ["field", index, value] | ["flip", pos, bit] | ["byte", pos, value] |
# ["insert", pos, hex] | ["delete", pos, n] | ["truncate", size]

_INTERESTING = [0, 1, 2, 3, 4, 7, 8, 9, 12, 13, 31, 32, 33, 63, 64, 65, 255, 256]
_INTERESTING += [2**15, 2**16 - 1, 2**16, 2**31 - 1, 2**31, 2**32 - 1, 2**32]
_INTERESTING += [2**62, 2**63 - 1, 2**63, 2**64 - 1]


# ---- the seeds and the fields their structure names ---------------------------------


@dataclass(frozen=True)
class Field:
    pos: int
    width: int
    kind: str


@dataclass(frozen=True)
class Seed:
    name: str
    head: bytes
    """The bytes the mutations work on: the header (SmolLM2) or the whole file."""
    size: int
    """The file's size; beyond ``head`` it is zeros (a sparse file)."""
    fields: tuple[Field, ...]
    kinds: tuple[str, ...]


_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def scan_fields(data: bytes) -> list[Field]:
    """The position of every field in a valid GGUF header (first items of big arrays)."""
    fields = [Field(4, 4, "version"), Field(8, 8, "tensor_count"), Field(16, 8, "kv_count")]
    _, _, n_tensors, n_kv = struct.unpack_from("<4sIQQ", data, 0)
    pos = 24

    def string(kind: str) -> None:
        nonlocal pos
        fields.append(Field(pos, 8, kind))
        (length,) = struct.unpack_from("<Q", data, pos)
        pos += 8 + length

    def value(vtype: int, depth: int) -> None:
        nonlocal pos
        if vtype == 8:
            string("string_length")
        elif vtype == 9:
            fields.append(Field(pos, 4, "array_type"))
            fields.append(Field(pos + 4, 8, "array_count"))
            item, count = struct.unpack_from("<IQ", data, pos)
            pos += 12
            for i in range(count):
                if item in _SCALAR_SIZES and i >= 4:
                    pos += _SCALAR_SIZES[item] * (count - i)
                    break
                if item == 8 and i >= 4:
                    fields_before = len(fields)
                    string("array_string_length")
                    del fields[fields_before:]  # only the first few, or the vocabulary wins
                    continue
                value(item, depth + 1)
        else:
            size = _SCALAR_SIZES[vtype]
            if depth == 0:
                fields.append(Field(pos, size, "scalar"))
            pos += size

    for _ in range(n_kv):
        string("key_length")
        fields.append(Field(pos, 4, "value_type"))
        (vtype,) = struct.unpack_from("<I", data, pos)
        pos += 4
        value(vtype, 0)
    for _ in range(n_tensors):
        string("tensor_name_length")
        fields.append(Field(pos, 4, "n_dims"))
        (n_dims,) = struct.unpack_from("<I", data, pos)
        pos += 4
        for _ in range(n_dims):
            fields.append(Field(pos, 8, "dim"))
            pos += 8
        fields.append(Field(pos, 4, "ggml_type"))
        fields.append(Field(pos + 4, 8, "tensor_offset"))
        pos += 12
    return fields


def make_seed(name: str, path: Path, whole: bool) -> Seed:
    data = path.read_bytes()
    header = parse_header(data)
    head = data if whole else data[: header.data_offset]
    fields = tuple(scan_fields(data))
    return Seed(name, head, len(data), fields, tuple(sorted({f.kind for f in fields})))


@pytest.fixture(scope="module")
def seeds(smollm2: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Seed]:
    tiny = write_tiny_llama(tmp_path_factory.mktemp("fuzz-seed") / "tiny.gguf", seed=0)
    return {
        "smollm2": make_seed("smollm2", smollm2, whole=False),
        "tiny": make_seed("tiny", tiny, whole=True),
    }


# ---- mutations ----------------------------------------------------------------------


@st.composite
def mutations(draw: st.DrawFn, seed: Seed) -> list[Op]:
    ops: list[Op] = []
    # Mostly one change that keeps the structure readable (so that cases get past the
    # parser to the planner and llama.cpp), sometimes several or a blind one.
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 2, 3]))):
        how = draw(st.sampled_from(["field"] * 5 + ["hyper"] * 4 + ["flip"] * 2 + ["byte",
                                    "insert", "delete", "truncate"]))  # fmt: skip
        if how == "hyper":  # a hyperparameter or a tensor's shape, type or offset
            kind = draw(st.sampled_from(["scalar", "dim", "ggml_type", "tensor_offset"]))
            how = "field"
        else:
            kind = draw(st.sampled_from(seed.kinds))
        if how == "field":
            chosen = [i for i, f in enumerate(seed.fields) if f.kind == kind]
            index = draw(st.sampled_from(chosen))
            field = seed.fields[index]
            original = int.from_bytes(seed.head[field.pos : field.pos + field.width], "little")
            top = 2 ** (8 * field.width) - 1
            new = draw(
                st.one_of(
                    st.sampled_from(_INTERESTING),
                    st.integers(0, top),
                    st.integers(-3, 3).map(lambda d, o=original: o + d),
                )
            )
            ops.append(["field", index, new & top])
        elif how == "flip":
            near = draw(st.booleans())  # most structure is near the start
            end = min(len(seed.head), 4096) if near else len(seed.head)
            ops.append(["flip", draw(st.integers(0, end - 1)), draw(st.integers(0, 7))])
        elif how == "byte":
            pos = draw(st.integers(0, min(len(seed.head), 4096) - 1))
            ops.append(["byte", pos, draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF]))])
        elif how == "insert":
            pos = draw(st.integers(0, len(seed.head)))
            ops.append(["insert", pos, draw(st.binary(min_size=1, max_size=16)).hex()])
        elif how == "delete":
            pos = draw(st.integers(0, len(seed.head) - 1))
            ops.append(["delete", pos, draw(st.integers(1, 64))])
        else:
            ops.append(["truncate", draw(st.integers(0, seed.size))])
    return ops


def apply(seed: Seed, ops: list[Op]) -> tuple[bytes, int]:
    """The mutated head, and the size of the file it starts."""
    head = bytearray(seed.head)
    size = seed.size
    for op in ops:
        kind = op[0]
        if kind == "field":
            field = seed.fields[op[1]]
            if field.pos + field.width <= len(head):
                head[field.pos : field.pos + field.width] = op[2].to_bytes(field.width, "little")
        elif kind == "flip" and op[1] < len(head):
            head[op[1]] ^= 1 << op[2]
        elif kind == "byte" and op[1] < len(head):
            head[op[1]] = op[2]
        elif kind == "insert":
            extra = bytes.fromhex(op[2])
            head[op[1] : op[1]] = extra
            size += len(extra)
        elif kind == "delete":
            removed = len(head[op[1] : op[1] + op[2]])
            del head[op[1] : op[1] + op[2]]
            size -= removed
        elif kind == "truncate":
            size = min(size, op[1])
            del head[size:]
    return bytes(head), size


def write_case(path: Path, head: bytes, size: int) -> Path:
    with path.open("wb") as f:
        f.write(head[:size])
        f.truncate(size)  # the tensor data: a sparse run of zeros
    return path


# ---- the stages ---------------------------------------------------------------------


@dataclass
class Outcome:
    stages: dict[str, str]
    failure: str = ""


def machine() -> Machine:
    return Machine(ram_free=psutil.virtual_memory().available, gpu_free=(), offload=False)


def touch_header(header: GGUFHeader, file_name: str) -> None:
    """What the library and the window read off a header when a model is added."""
    for prop in ("architecture", "name", "chat_template", "context_length", "n_layers",
                 "embedding_length", "head_count", "head_count_kv", "vocab_size",
                 "bos_token_id", "eos_token_id", "file_type", "parameters",
                 "tensor_data_bytes", "required_file_size"):  # fmt: skip
        getattr(header, prop)
    choose_template(
        chat_template=header.chat_template,
        architecture=header.architecture,
        model_name=header.name,
        file_name=file_name,
    )


def run_case(head: bytes, size: int, path: Path, host: EngineHost | None, *, load: bool) -> Outcome:
    """One case through the stages; ``failure`` says what broke the rules."""
    stages: dict[str, str] = {}
    started = time.monotonic()
    try:
        try:
            parse_header(head[:size])
            stages["parse"] = "header"
        except IncompleteHeader:
            stages["parse"] = "incomplete"
        except UserError:
            stages["parse"] = "user_error"
        write_case(path, head, size)
        try:
            header = read_header(path)
        except UserError:
            stages["read"] = "user_error"
            return Outcome(stages)
        stages["read"] = "header"
        touch_header(header, path.name)
        try:
            plan = plan_with_options(
                ModelOptions(), header, machine(), n_ctx=N_CTX, name=path.name, total_bytes=size
            )
        except UserError:
            stages["plan"] = "user_error"
            return Outcome(stages)
        if not plan.fits:
            stages["plan"] = "wont_fit"  # EngineSession refuses it with a UserError
            return Outcome(stages)
        stages["plan"] = "fits"
        if not load or host is None:
            return Outcome(stages)
        watchdog = _Watchdog(host, 30.0)
        try:
            host.load(LoadParams(str(path), n_ctx=max(plan.ctx, 64), n_threads=1))
            stages["load"] = "loaded"
        except UserError:
            stages["load"] = "user_error"
        finally:
            watchdog.stop()
            host.unload()
        return Outcome(stages)
    except Exception as exc:
        return Outcome(stages, f"{type(exc).__name__}: {exc}"[:500])
    finally:
        took = time.monotonic() - started
        if took > CASE_LIMIT_S:
            stages["slow"] = f"{took:.1f} s"


class _Watchdog:
    """Kills a worker that hangs, so that a hang is counted rather than waited out."""

    def __init__(self, host: EngineHost, after_s: float) -> None:
        self._host = host
        self._timer = threading.Timer(after_s, self._kill)
        self._timer.daemon = True
        self._timer.start()

    def _kill(self) -> None:
        pid = self._host.pid
        if pid is not None:
            psutil.Process(pid).kill()

    def stop(self) -> None:
        self._timer.cancel()


def failure_of(outcome: Outcome) -> str:
    if outcome.failure:
        return outcome.failure
    if "slow" in outcome.stages:
        return f"took {outcome.stages['slow']} (stages {outcome.stages})"
    return ""


def keep_regression(seed: str, ops: list[Op], failure: str) -> Path:
    REGRESSIONS.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"seed": seed, "ops": ops}, sort_keys=True)
    path = REGRESSIONS / f"{seed}-{hashlib.sha256(body.encode()).hexdigest()[:12]}.json"
    path.write_text(json.dumps({"seed": seed, "ops": ops, "failure": failure}, indent=1) + "\n")
    return path


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineHost]:
    engine = EngineHost(tmp_path_factory.mktemp("fuzz-logs"))
    yield engine
    engine.unload()


# ---- the campaign and its regressions -----------------------------------------------


def test_gguf_fuzz(
    seeds: dict[str, Seed], host: EngineHost, campaign: Campaign, tmp_path: Path
) -> None:
    cases = campaign.scale(300, 10_000)
    load_every = campaign.scale(5, 10)  # of the cases that plan to fit
    counts: Counter[str] = Counter()
    failures: list[str] = []
    fits_seen = [0]

    @settings(
        max_examples=cases,
        deadline=None,
        phases=[Phase.generate],  # no shrinking: a failing case is kept as it is
        database=None,
        derandomize=not campaign.full,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def one_case(data: st.DataObject) -> None:
        seed = seeds[data.draw(st.sampled_from(sorted(seeds)), label="seed")]
        ops = data.draw(mutations(seed), label="ops")
        head, size = apply(seed, ops)
        fit_index = fits_seen[0]
        outcome = run_case(
            head, size, tmp_path / "case.gguf", host, load=fit_index % load_every == 0
        )
        if outcome.stages.get("plan") == "fits":
            fits_seen[0] += 1
        counts["cases"] += 1
        counts[f"seed {seed.name}"] += 1
        for stage, result in outcome.stages.items():
            if stage != "slow":
                counts[f"{stage}: {result}"] += 1
        failure = failure_of(outcome)
        if failure:
            kept = keep_regression(seed.name, ops, failure)
            failures.append(f"{kept.name}: {failure}")

    one_case()
    campaign.report(
        {
            "cases": counts["cases"],
            "seeds": {name: counts[f"seed {name}"] for name in sorted(seeds)},
            "parse_header": _stage(counts, "parse"),
            "read_header": _stage(counts, "read"),
            "planner": _stage(counts, "plan"),
            "worker_load": _stage(counts, "load"),
            "reached": {
                "read_header": sum(_stage(counts, "read").values()),
                "planner": sum(_stage(counts, "plan").values()),
                "worker_load": sum(_stage(counts, "load").values()),
            },
            "case_limit_s": CASE_LIMIT_S,
            "failures": len(failures),
        }
    )
    assert not failures, failures


def _stage(counts: Counter[str], stage: str) -> dict[str, int]:
    prefix = f"{stage}: "
    return {k.removeprefix(prefix): v for k, v in sorted(counts.items()) if k.startswith(prefix)}


@pytest.mark.parametrize(
    "case", sorted(REGRESSIONS.glob("*.json")), ids=lambda p: p.stem if isinstance(p, Path) else ""
)
def test_gguf_regressions(
    case: Path, seeds: dict[str, Seed], host: EngineHost, tmp_path: Path
) -> None:
    """Every case the fuzzer once failed on, through all four stages."""
    kept = json.loads(case.read_text())
    head, size = apply(seeds[kept["seed"]], kept["ops"])
    outcome = run_case(head, size, tmp_path / "case.gguf", host, load=True)
    assert not failure_of(outcome), (failure_of(outcome), kept.get("failure"))
