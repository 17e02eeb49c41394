"""``desktop-llm rpc-worker``: lend this PC's backend (CPU or GPU) to another desktop_llm.

The server is ggml's own (``ggml_backend_rpc_start_server``, from the engine's library),
run in a child process of its own: a llama.cpp abort ends that process, not this one, and
Ctrl-C here ends it. Its own output (a banner, a line per client) goes to
``logs/rpc-worker-PORT.log``; this command prints the endpoint, the device and its free
memory. RPC has no authentication: anything but loopback gets a loud warning.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from desktop_llm.cli.context import EXIT_OK, Context
from desktop_llm.core.formatting import format_size
from desktop_llm.core.hardware.cluster import (
    DEFAULT_PORT,
    RPC_PROTOCOL,
    parse_endpoints,
    rpc_library,
    wait_until_listening,
    with_workers,
)
from desktop_llm.core.hardware.detect import physical_cores
from desktop_llm.core.hardware.planner import Machine
from desktop_llm.core.models.library import ModelRef
from desktop_llm.core.models.options import ModelOptions, plan_with_options
from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

_START_TIMEOUT_S = 60.0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = sub.add_parser(
        "rpc-worker",
        help="lend this PC's CPU or GPU to another desktop-llm (llama.cpp RPC)",
        description="Run llama.cpp's RPC server so that another desktop-llm can load part "
        "of a model on this PC (its --rpc option, or Settings > Cluster). RPC has no "
        "authentication: use it only on a trusted home network. Ctrl-C stops it.",
    )
    worker.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: only this computer; use this PC's "
        "address on the home network to lend it to another PC)",
    )
    worker.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    worker.add_argument("--threads", type=int, help="CPU threads (default: physical cores)")
    worker.add_argument(
        "--cache",
        action="store_true",
        help="keep the tensors it receives in the cache folder, so a model loads faster "
        "the next time",
    )
    worker.add_argument("--cpu", action="store_true", help="lend the CPU even if there is a GPU")
    worker.set_defaults(func=cmd_rpc_worker)


def add_rpc_option(parser: argparse.ArgumentParser) -> None:
    """``--rpc HOST:PORT[,HOST:PORT...]``, shared by chat, compare, serve, bench and plan."""
    parser.add_argument(
        "--rpc",
        metavar="HOST:PORT[,...]",
        type=_endpoints_arg,
        default=(),
        help="split the model over this PC and these `desktop-llm rpc-worker`s "
        "(llama.cpp RPC; only on a trusted home network)",
    )


def _endpoints_arg(text: str) -> tuple[str, ...]:
    try:
        return parse_endpoints(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(exc.message.removeprefix("--rpc: ")) from exc


def rpc_machine(
    args: argparse.Namespace, machine: Callable[[], Machine]
) -> Callable[[], Machine] | None:
    """``machine`` with the ``--rpc`` workers' devices (each asked before a load: an
    unreachable one is a UserError naming it); None without ``--rpc``."""
    endpoints: tuple[str, ...] = getattr(args, "rpc", ())
    if not endpoints:
        return None
    if rpc_library() is None:
        raise UserError(
            "--rpc needs an engine built with llama.cpp's RPC backend (no libggml-rpc in "
            "llama_cpp/lib); rebuild it with `make engine`"
        )
    return with_workers(machine, endpoints)


def rpc_split(args: argparse.Namespace, ctx: Context, ref: ModelRef) -> dict[str, Any]:
    """``run_benchmark``'s arguments for ``--rpc``: the workers, and the planner's layers
    on them and per device (nothing without ``--rpc``)."""
    source = rpc_machine(args, ctx.machine)
    if source is None:
        return {}
    plan = plan_with_options(
        ModelOptions(),
        ref.header,
        source(),
        n_ctx=args.ctx,
        name=ref.name,
        total_bytes=ref.total_bytes,
    )
    return {"rpc": args.rpc, "n_gpu_layers": plan.n_gpu_layers, "tensor_split": plan.tensor_split}


def cmd_rpc_worker(args: argparse.Namespace, ctx: Context) -> int:
    if not 0 < args.port < 65536:
        raise UserError("--port must be between 1 and 65535")
    if args.threads is not None and args.threads < 1:
        raise UserError("--threads must be at least 1")
    host = args.host.strip()
    if not host or ":" in host:
        raise UserError("--host: give an IPv4 address or a name (IPv6 is not supported by RPC)")
    if rpc_library() is None:
        raise UserError(
            "this engine was built without llama.cpp's RPC backend (no libggml-rpc in "
            "llama_cpp/lib); rebuild it with `make engine`"
        )
    _check_port(host, args.port)
    endpoint = f"{host}:{args.port}"
    threads = args.threads or physical_cores()
    cache_dir = ctx.paths.cache / "rpc" if args.cache else None
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_path = ctx.paths.logs / f"rpc-worker-{args.port}.log"
    if not _is_loopback(host):
        print(
            f"WARNING: listening on {host}: anyone who can reach this computer on that "
            "network can use its CPU, GPU and memory, and send it data. llama.cpp's RPC has "
            "no password and no encryption: use it only on a trusted home network.",
            file=sys.stderr,
            flush=True,
        )

    spawn = multiprocessing.get_context("spawn")
    parent_conn, child_conn = spawn.Pipe(duplex=False)
    process = spawn.Process(
        target=serve,
        args=(child_conn, endpoint, str(cache_dir) if cache_dir else None, threads, args.cpu),
        kwargs={"log_path": str(log_path)},
        name="desktop-llm-rpc-worker",
        daemon=True,
    )
    process.start()
    child_conn.close()
    try:
        device = _wait_ready(parent_conn, process, log_path)
        probe_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        if not wait_until_listening(probe_host, args.port, _START_TIMEOUT_S):
            raise UserError(f"the RPC worker did not start listening on {endpoint}; see {log_path}")
        version = ".".join(map(str, RPC_PROTOCOL))
        print(f"rpc-worker listening on {endpoint} (llama.cpp RPC {version})", flush=True)
        print(
            f"backend: {device['name']} ({device['description']}), "
            f"{format_size(device['free'])} free of {format_size(device['total'])}, "
            f"{threads} threads",
            flush=True,
        )
        if cache_dir is not None:
            print(f"tensor cache: {cache_dir}", flush=True)
        print(f"use it from the main PC with: desktop-llm chat MODEL --rpc {endpoint}", flush=True)
        print("Ctrl-C stops the worker.", flush=True)
        while process.is_alive():
            process.join(0.5)
        raise UserError(
            f"the RPC worker stopped ({_exit_text(process.exitcode)}): {_last_line(log_path)}"
        )
    except KeyboardInterrupt:
        print("\nrpc-worker stopped", file=sys.stderr, flush=True)
        return EXIT_OK
    finally:
        _stop(process)
        parent_conn.close()


def _check_port(host: str, port: int) -> None:
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}: unknown address") from exc
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(infos[0][4])
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            raise UserError(
                f"cannot listen on {host} port {port}: {reason} (another program or "
                "rpc-worker may use it; choose another with --port)"
            ) from exc


def _is_loopback(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _wait_ready(
    conn: Connection, process: multiprocessing.process.BaseProcess, log_path: Path
) -> dict[str, Any]:
    """The device the child lends, once it is about to serve; UserError if it can't."""
    deadline = _START_TIMEOUT_S
    while deadline > 0:
        try:
            if conn.poll(0.2):
                kind, value = conn.recv()
                if kind == "error":
                    raise UserError(str(value))
                return dict(value)
        except EOFError:
            break
        if not process.is_alive():
            break
        deadline -= 0.2
    raise UserError(f"the RPC worker could not start: {_last_line(log_path)}")


def _stop(process: multiprocessing.process.BaseProcess) -> None:
    if process.is_alive():
        process.terminate()
        process.join(5)
    if process.is_alive():
        process.kill()
        process.join(5)


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def _last_line(log_path: Path) -> str:
    try:
        lines = [
            line.strip()
            for line in log_path.read_text("utf-8", "replace").splitlines()
            if line.strip()
        ]
    except OSError:
        return "no log"
    return lines[-1] if lines else f"see {log_path}"


def serve(
    conn: Connection,
    endpoint: str,
    cache_dir: str | None,
    threads: int,
    cpu_only: bool,
    *,
    log_path: str,
) -> None:
    """The child process: ggml's RPC server, until terminated."""
    log = Path(log_path).open("ab", buffering=0)  # noqa: SIM115 - lives as long as this process
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us on Ctrl-C
    _exit_with_parent()
    from desktop_llm.core.engine import rpc_backend  # loads llama.cpp: in this process only

    try:
        device = rpc_backend.best_device(cpu_only)
        info = rpc_backend.describe(device)
    except UserError as exc:
        conn.send(("error", exc.message))
        return
    conn.send(("ready", info.__dict__))
    conn.close()
    rpc_backend.start_server(endpoint, cache_dir, threads, device)
    os._exit(3)  # start_server returns only when it could not listen


def _exit_with_parent() -> None:
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
