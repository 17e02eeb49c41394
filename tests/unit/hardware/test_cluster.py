"""RPC workers as the planner sees them: endpoints, a model split over this PC and the
workers (on SmolLM2's real header and a 7B-like one), and what the probe says of a dead
port and of a worker that accepts but does not answer (busy with another client)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from desktop_llm.core.hardware.cluster import (
    RPC_PROTOCOL,
    RpcDevice,
    check_workers,
    parse_endpoints,
    probe,
    rpc_library,
)
from desktop_llm.core.hardware.planner import Machine, ModelSizes, plan_load
from desktop_llm.core.models.gguf_info import read_header
from desktop_llm.errors import UserError
from tests.unit.hardware.test_planner import Q4_0, llama_header

GiB = 1 << 30


def test_endpoints_are_parsed_and_bad_ones_named() -> None:
    assert parse_endpoints("127.0.0.1:50052, pc2.local:50053") == (
        "127.0.0.1:50052",
        "pc2.local:50053",
    )
    for bad, words in [
        ("127.0.0.1", "HOST:PORT"),
        ("127.0.0.1:0", "from 1 to 65535"),
        ("127.0.0.1:port", "from 1 to 65535"),
        ("[::1]:50052", "IPv6"),
        ("a:1,a:1", "named twice"),
        (",", "no worker"),
    ]:
        with pytest.raises(UserError, match=words):
            parse_endpoints(bad)


def test_protocol_version_matches_the_installed_header() -> None:
    lib = rpc_library()
    header = Path(__import__("llama_cpp").__file__).parents[1] / "include" / "ggml-rpc.h"
    if not header.exists():
        pytest.skip(f"no ggml-rpc.h next to the engine (library: {lib})")
    text = header.read_text()
    found = tuple(
        int(text.split(f"RPC_PROTO_{part}_VERSION")[1].split()[0])
        for part in ("MAJOR", "MINOR", "PATCH")
    )
    assert found == RPC_PROTOCOL


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_dead_port_is_named_before_loading() -> None:
    endpoint = f"127.0.0.1:{_free_port()}"
    status = probe(endpoint)
    assert not status.reachable
    assert status.problem == (
        f"cannot reach the RPC worker {endpoint}: connection refused "
        "(is `desktop-llm rpc-worker` running there?)"
    )
    with pytest.raises(UserError, match=f"cannot reach the RPC worker {endpoint}"):
        check_workers((endpoint,))


def test_a_worker_that_accepts_but_never_answers_is_busy() -> None:
    # What a real rpc-worker does while it serves another client: the system accepts
    # the connection into its backlog, the server answers nobody else.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        endpoint = f"127.0.0.1:{server.getsockname()[1]}"
        status = probe(endpoint, timeout_s=0.5)
    assert status.problem is not None and "busy serving another program" in status.problem


def test_smollm2_splits_over_this_pc_and_two_workers(smollm2: Path) -> None:
    sizes = ModelSizes.from_header(read_header(smollm2))
    workers = (
        RpcDevice("127.0.0.1:50052", 0, 8 * GiB, 16 * GiB),
        RpcDevice("127.0.0.1:50053", 0, 8 * GiB, 16 * GiB),
    )
    plan = plan_load(sizes, Machine(ram_free=8 * GiB, offload=False, rpc=workers), ctx=2048)
    assert plan.fits
    names = [s.name for s in plan.split]
    assert names == ["this PC", "127.0.0.1:50052", "127.0.0.1:50053"]
    layers = [s.layers for s in plan.split]
    assert sum(layers) == sizes.n_layers == 30
    assert layers == [10, 10, 10]  # equal free memory: equal shares
    # llama.cpp counts the output layer as the last one: the last device holds it, so
    # n_gpu_layers is the devices' layers plus one, and tensor_split counts it there.
    assert [s.output for s in plan.split] == [False, False, True]
    assert plan.n_gpu_layers == 21
    assert plan.tensor_split == (10.0, 11.0)
    assert "this PC 10, 127.0.0.1:50052 10, 127.0.0.1:50053 10" in plan.description


def test_a_7b_model_too_big_for_one_pc_fits_on_three() -> None:
    sizes = ModelSizes.from_header(llama_header(quant=Q4_0))  # about 3.8 GB of weights
    alone = plan_load(sizes, Machine(ram_free=2 * GiB, offload=False), ctx=4096)
    assert not alone.fits
    workers = (
        RpcDevice("pc2:50052", 0, 4 * GiB, 8 * GiB),
        RpcDevice("pc3:50052", 0, 2 * GiB, 8 * GiB),
    )
    plan = plan_load(sizes, Machine(ram_free=2 * GiB, offload=False, rpc=workers), ctx=4096)
    assert plan.fits, plan.description
    shares = {s.name: s.layers for s in plan.split}
    assert shares["pc2:50052"] > shares["pc3:50052"] > 0  # more memory, more layers
    assert sum(shares.values()) == 32
    for share in plan.split:
        assert share.need_bytes <= share.free_bytes


def test_gpu_layers_by_hand_put_that_many_on_the_workers(smollm2: Path) -> None:
    sizes = ModelSizes.from_header(read_header(smollm2))
    workers = (RpcDevice("a:1", 0, 8 * GiB, 8 * GiB), RpcDevice("b:1", 0, 8 * GiB, 8 * GiB))
    machine = Machine(ram_free=8 * GiB, offload=False, rpc=workers)
    plan = plan_load(sizes, machine, ctx=2048, gpu_layers=-1)
    assert [s.layers for s in plan.split] == [0, 15, 15]
    assert plan.n_gpu_layers == 31
    plan = plan_load(sizes, machine, ctx=2048, gpu_layers=0)
    assert [s.layers for s in plan.split] == [30, 0, 0]
    assert plan.split[0].output
    assert plan.n_gpu_layers == 0


def test_a_model_no_place_can_hold_says_which_place_is_short() -> None:
    sizes = ModelSizes.from_header(llama_header(quant=Q4_0))
    workers = (RpcDevice("pc2:50052", 0, 1 * GiB, 1 * GiB),)
    plan = plan_load(sizes, Machine(ram_free=1 * GiB, offload=False, rpc=workers), ctx=4096)
    assert not plan.fits
    assert plan.description.startswith("will not fit: ")
    assert "pc2:50052 needs" in plan.description or "this PC needs" in plan.description


def test_a_worker_of_another_version_names_both_versions() -> None:
    # A server that answers HELLO as an rpc-server of protocol 6.1.0 would (ggml-rpc.cpp:
    # | size (8 bytes) | major, minor, patch, padding, 24 bytes of transport caps |).
    import struct
    import threading

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        endpoint = f"127.0.0.1:{server.getsockname()[1]}"

        def answer() -> None:
            conn, _ = server.accept()
            with conn:
                conn.recv(1 + 8 + 24)
                conn.sendall(struct.pack("<Q", 28) + bytes([6, 1, 0, 0]) + bytes(24))

        thread = threading.Thread(target=answer)
        thread.start()
        status = probe(endpoint)
        thread.join()
    assert status.version == (6, 1, 0)
    assert status.problem == (
        f"the RPC worker {endpoint} speaks RPC 6.1.0, this engine 7.0.0: run the same "
        "desktop-llm (llama.cpp) version on both PCs"
    )
