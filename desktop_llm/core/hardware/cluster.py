"""Other PCs that lend their backend over llama.cpp's RPC (``desktop-llm rpc-worker``).

An endpoint is written ``HOST:PORT``. Before anything loads, :func:`check_workers` asks
each worker over the RPC protocol itself for its protocol version, its devices and their
free memory (the request ``ggml_backend_rpc_get_device_memory`` sends). It is spoken here,
in plain Python, rather than through ggml's client because ggml's client aborts the whole
process (``GGML_ABORT("Failed to connect to ...")``) when a worker is unreachable or speaks
another version: the app must say so in one line instead, before the engine worker
registers the devices (``core/engine/rpc_backend.py``) and loads.

A worker serves one client at a time: while a model is loaded across it, a second
client's connection is accepted by the system but never answered; :func:`probe` then
reports the worker busy after its timeout.
"""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from desktop_llm.core.hardware.planner import Machine
from desktop_llm.errors import UserError

DEFAULT_PORT = 50052
"""llama.cpp's rpc-server's default port."""
RPC_PROTOCOL = (7, 0, 0)
"""RPC_PROTO_*_VERSION in the vendored llama.cpp's ggml-rpc.h (a test checks the
installed header): client and server must have the same major version, and the server's
minor must not be newer."""

_CMD_GET_DEVICE_MEMORY = 11
_CMD_HELLO = 14  # "must be always 14" (ggml-rpc.cpp), whatever the version
_CMD_DEVICE_COUNT = 15
_CAPS_SIZE = 24  # RPC_CONN_CAPS_SIZE: all zero, no RDMA transport offered
_MAX_DEVICES = 16


@dataclass(frozen=True)
class RpcDevice:
    """One device a worker lends (a worker may serve several)."""

    endpoint: str
    index: int
    free: int
    total: int

    @property
    def name(self) -> str:
        return self.endpoint if self.index == 0 else f"{self.endpoint}#{self.index}"


@dataclass(frozen=True)
class WorkerStatus:
    """What :func:`probe` found: the devices, or the problem (``error``: one line naming
    the worker, with its text's fields for the window)."""

    endpoint: str
    version: tuple[int, int, int] | None = None
    devices: tuple[RpcDevice, ...] = ()
    error: UserError | None = None

    @property
    def problem(self) -> str | None:
        return None if self.error is None else self.error.message

    @property
    def reachable(self) -> bool:
        return self.error is None

    @property
    def free(self) -> int:
        return sum(d.free for d in self.devices)

    @property
    def total(self) -> int:
        return sum(d.total for d in self.devices)


def rpc_library() -> Path | None:
    """The engine's ``libggml-rpc`` (built with -DGGML_RPC=ON), or None. Found without
    importing llama_cpp, so the app process can ask."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or spec.origin is None:
        return None
    lib_dir = Path(spec.origin).parent / "lib"
    for pattern in ("libggml-rpc.so", "libggml-rpc.dylib", "ggml-rpc.dll", "libggml-rpc.dll"):
        found = lib_dir / pattern
        if found.exists():
            return found
    return None


def parse_endpoint(text: str) -> str:
    """``HOST:PORT`` checked and normalized; UserError naming what is wrong."""
    value = text.strip()
    host, sep, port_text = value.rpartition(":")
    if not sep or not host:
        raise UserError.of(
            "--rpc: {value!r} is not HOST:PORT (e.g. 192.168.1.20:{port})",
            value=value,
            port=DEFAULT_PORT,
        )
    if ":" in host or host.startswith("["):
        # ggml splits the endpoint at its first ':' (parse_endpoint in ggml-rpc.cpp).
        raise UserError.of(
            "--rpc: {value!r}: IPv6 addresses are not supported; use IPv4 or a name", value=value
        )
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UserError.of(
            "--rpc: {value!r}: the port must be a number from 1 to 65535", value=value
        )
    return f"{host}:{int(port_text)}"


def parse_endpoints(text: str) -> tuple[str, ...]:
    """``HOST:PORT[,HOST:PORT...]`` as a tuple; UserError for a bad or repeated one."""
    endpoints = tuple(parse_endpoint(part) for part in text.split(",") if part.strip())
    if not endpoints:
        raise UserError.of("--rpc: no worker given (write HOST:PORT[,HOST:PORT...])")
    repeated = {e for e in endpoints if endpoints.count(e) > 1}
    if repeated:
        raise UserError.of("--rpc: {endpoint} is named twice", endpoint=sorted(repeated)[0])
    if len(endpoints) > 16:
        raise UserError.of("--rpc: at most 16 workers (GGML_RPC_MAX_SERVERS)")
    return endpoints


def _version_text(version: tuple[int, int, int]) -> str:
    return ".".join(str(v) for v in version)


def compatible(version: tuple[int, int, int]) -> bool:
    """Whether ggml's client here accepts a server of ``version`` (negotiate_hello)."""
    return version[0] == RPC_PROTOCOL[0] and version[1] <= RPC_PROTOCOL[1]


def probe(endpoint: str, timeout_s: float = 3.0) -> WorkerStatus:
    """Ask the worker at ``endpoint`` its version, devices and free memory. Never raises:
    a problem comes back as ``WorkerStatus.problem``, one line naming the worker."""
    host, _, port = endpoint.rpartition(":")
    try:
        sock = socket.create_connection((host, int(port)), timeout=timeout_s)
    except TimeoutError:
        return WorkerStatus(
            endpoint,
            error=UserError.of(
                "cannot reach the RPC worker {endpoint}: no answer", endpoint=endpoint
            ),
        )
    except OSError as exc:
        return WorkerStatus(
            endpoint,
            error=UserError.of(
                "cannot reach the RPC worker {endpoint}: {reason}",
                endpoint=endpoint,
                reason=_reason(exc),
            ),
        )
    with sock:
        try:
            return _ask(sock, endpoint)
        except TimeoutError:
            return WorkerStatus(
                endpoint,
                error=UserError.of(
                    "the RPC worker {endpoint} does not answer: it is busy serving another "
                    "program (a worker serves one at a time), or it is not an rpc-worker",
                    endpoint=endpoint,
                ),
            )
        except (OSError, EOFError, struct.error) as exc:
            return WorkerStatus(
                endpoint,
                error=UserError.of(
                    "the RPC worker {endpoint} closed the connection ({reason}); it "
                    "may run another llama.cpp version (this one speaks RPC {version})",
                    endpoint=endpoint,
                    reason=_reason(exc),
                    version=_version_text(RPC_PROTOCOL),
                ),
            )


def _ask(sock: socket.socket, endpoint: str) -> WorkerStatus:
    hello = _call(sock, _CMD_HELLO, bytes(_CAPS_SIZE))
    major, minor, patch = hello[0], hello[1], hello[2]
    version = (major, minor, patch)
    if not compatible(version):
        return WorkerStatus(
            endpoint,
            version,
            error=UserError.of(
                "the RPC worker {endpoint} speaks RPC {version}, this "
                "engine {ours}: run the same desktop-llm (llama.cpp) "
                "version on both PCs",
                endpoint=endpoint,
                version=_version_text(version),
                ours=_version_text(RPC_PROTOCOL),
            ),
        )
    (count,) = struct.unpack("<I", _call(sock, _CMD_DEVICE_COUNT, b""))
    devices = []
    for index in range(min(count, _MAX_DEVICES)):
        free, total = struct.unpack(
            "<QQ", _call(sock, _CMD_GET_DEVICE_MEMORY, struct.pack("<I", index))
        )
        devices.append(RpcDevice(endpoint, index, free, total))
    if not devices:
        return WorkerStatus(
            endpoint,
            version,
            error=UserError.of("the RPC worker {endpoint} has no device", endpoint=endpoint),
        )
    return WorkerStatus(endpoint, version, tuple(devices))


def _call(sock: socket.socket, cmd: int, payload: bytes) -> bytes:
    # | cmd (1 byte) | size (8 bytes) | data |  ->  | size (8 bytes) | data |
    sock.sendall(struct.pack("<BQ", cmd, len(payload)) + payload)
    (size,) = struct.unpack("<Q", _recv(sock, 8))
    if size > 4096:
        raise EOFError("an answer too large for this request")
    return _recv(sock, size)


def _recv(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError("closed")
        data += chunk
    return data


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is `desktop-llm rpc-worker` running there?)"
    if isinstance(exc, socket.gaierror):
        return "unknown host name"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, EOFError):
        return "it hung up"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text).lower()


def check_workers(endpoints: tuple[str, ...], timeout_s: float = 3.0) -> tuple[RpcDevice, ...]:
    """The devices of every worker, or UserError naming the first that can't be used
    (unreachable, busy, another protocol version). Called before a load."""
    devices: list[RpcDevice] = []
    for endpoint in endpoints:
        status = probe(endpoint, timeout_s)
        if status.error is not None:
            raise status.error
        devices.extend(status.devices)
    return tuple(devices)


def with_workers(
    machine: Callable[[], Machine], endpoints: tuple[str, ...]
) -> Callable[[], Machine]:
    """A machine source that adds the workers' devices to ``machine()``'s, asking them
    each time (free memory changes); UserError, before any load, for a worker that can't
    be used. No endpoints: ``machine`` itself."""
    if not endpoints:
        return machine

    def with_rpc() -> Machine:
        return replace(machine(), rpc=check_workers(endpoints))

    return with_rpc


def wait_until_listening(host: str, port: int, timeout_s: float) -> bool:
    """Whether something accepts connections on ``host:port`` within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return True
        time.sleep(0.1)
    return False
