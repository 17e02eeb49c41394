"""HubClient against the local hub, through the real huggingface_hub HfApi."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_llm.core.hardware.planner import (
    RAM_RESERVE_MIN,
    VRAM_RESERVE,
    Machine,
    plan_for_header,
)
from desktop_llm.core.hub import (
    CPU_ONLY,
    FITS_GPU,
    PARTIAL_GPU,
    WONT_FIT,
    Fit,
    HubClient,
    RemoteFile,
    group_files,
    load_token,
    pick,
    recommend,
    save_token,
    verdict,
)
from desktop_llm.core.models.gguf_info import read_header
from desktop_llm.errors import UserError
from tests.support.gguf_builder import write_tiny_llama
from tests.support.hub_server import HubServer

TINY_REPO = "tester/Tiny-GGUF"
GATED_REPO = "meta/Gated-GGUF"
PLENTY = Machine(ram_free=10**12)


def client(hub: HubServer, tmp_path: Path, token: str | None = None) -> HubClient:
    return HubClient(tmp_path / "cache", endpoint=hub.url, token=token, timeout=5)


def test_search_sorts_limits_and_follows_pages(hub: HubServer, tmp_path: Path) -> None:
    results = client(hub, tmp_path).search("GGUF", sort="downloads", limit=3)
    assert [r.id for r in results] == [TINY_REPO, "other/Small-GGUF", GATED_REPO]
    small = results[1]
    assert (small.author, small.downloads, small.likes) == ("other", 30, 5)
    assert (small.parameters, small.architecture) == (135_000_000, "llama")
    assert results[2].gated
    assert sum(1 for h in hub.hits if h.path == "/api/models") == 2  # page size 2: two pages
    by_likes = client(hub, tmp_path).search("gguf", sort="likes", limit=1)
    assert [r.id for r in by_likes] == [GATED_REPO]


def test_search_offline_is_a_clear_error(hub: HubServer, tmp_path: Path) -> None:
    hub.stop()
    with pytest.raises(UserError, match=r"^no connection to Hugging Face"):
        client(hub, tmp_path).search("x")


def test_repo_files_fit_and_recommendation(hub: HubServer, tmp_path: Path) -> None:
    c = client(hub, tmp_path)
    listing = c.repo(TINY_REPO)
    assert listing.commit == hub.repos[TINY_REPO].commit
    assert [m.name for m in listing.files.models] == ["tiny.Q4_K_M.gguf", "tiny.Q8_0.gguf"]
    plenty = c.choices(listing, n_ctx=256, machine=PLENTY)
    assert [ch.fit.verdict for ch in plenty] == [CPU_ONLY, CPU_ONLY]
    assert [ch.recommended for ch in plenty] == [False, True]
    assert plenty[1].header is not None and plenty[1].header.n_layers == 3
    assert plenty[0].quant == "Q4_K_M"
    assert pick(plenty, None).name == "tiny.Q8_0.gguf"
    assert pick(plenty, "q4_k_m").name == "tiny.Q4_K_M.gguf"
    with pytest.raises(UserError, match="no file or quantization 'Q2_K'"):
        pick(plenty, "Q2_K")

    # The planner keeps RAM_RESERVE_MIN free for the system (at these sizes).
    between = Machine(ram_free=plenty[0].fit.needed + RAM_RESERVE_MIN + 1)
    limited = c.choices(listing, n_ctx=256, machine=between)
    assert [ch.fit.verdict for ch in limited] == [CPU_ONLY, WONT_FIT]
    assert [ch.recommended for ch in limited] == [True, False]
    none = c.choices(listing, n_ctx=256, machine=Machine(ram_free=1000))
    with pytest.raises(UserError, match="no file fits this computer"):
        pick(none, None)
    # A shorter context costs less memory; a longer one is capped at the trained 256.
    assert c.choices(listing, 128, PLENTY)[0].fit.needed < plenty[0].fit.needed
    capped = c.choices(listing, 4096, PLENTY)[0].fit
    assert capped.needed == plenty[0].fit.needed and capped.ctx == 256


def test_gpu_verdicts_come_from_the_offload_planner(hub: HubServer, tmp_path: Path) -> None:
    c = client(hub, tmp_path)
    listing = c.repo(TINY_REPO)
    big_gpu = Machine(ram_free=10**12, gpu_free=(10**12,))
    assert [ch.fit.verdict for ch in c.choices(listing, 256, big_gpu)] == [FITS_GPU, FITS_GPU]
    header = c.choices(listing, 256, PLENTY)[1].header
    assert header is not None
    # A GPU with room for exactly one layer of the Q8_0 file after the planner's margin
    # (5% of free memory plus VRAM_RESERVE).
    one_layer = plan_for_header(header, big_gpu, ctx=256, gpu_layers=1).vram_bytes
    free = (one_layer + VRAM_RESERVE) * 20 // 19
    while free - free // 20 - VRAM_RESERVE < one_layer:
        free += 1
    small_gpu = Machine(ram_free=10**12, gpu_free=(free,))
    q8 = c.choices(listing, 256, small_gpu)[1]
    plan = plan_for_header(header, small_gpu, ctx=256)
    assert q8.fit.verdict == PARTIAL_GPU
    assert q8.fit.gpu_layers == plan.gpu_layers
    assert 0 < q8.fit.gpu_layers < 3
    assert q8.fit.label == f"partly on the GPU ({plan.gpu_layers} of 3 layers)"
    assert q8.fit.detail == plan.description


def test_remote_headers_are_cached(hub: HubServer, tmp_path: Path) -> None:
    c = client(hub, tmp_path)
    listing = c.repo(TINY_REPO)
    c.choices(listing, 256, PLENTY)
    ranges = [h.range for h in hub.file_hits()]
    assert ranges and all(r and r.startswith("bytes=0-") for r in ranges)
    assert hub.bytes_sent() < sum(len(d) for d in hub.repos[TINY_REPO].files.values() if d)
    before = len(hub.file_hits())
    c.choices(listing, 256, PLENTY)
    assert len(hub.file_hits()) == before


@pytest.mark.parametrize(
    "sha256", ["../../outside", "/tmp/outside", "a" * 63, "g" * 64, "a" * 64 + "/../x", ""]
)
def test_a_header_is_cached_only_under_a_real_sha256(
    hub: HubServer, tmp_path: Path, sha256: str
) -> None:
    # The cache file is named after the server's lfs.sha256: anything but 64 hex digits
    # names no file at all, so a hostile endpoint can't write outside the cache.
    c = HubClient(tmp_path / "a" / "b" / "cache", endpoint=hub.url, timeout=5)
    listing = c.repo(TINY_REPO)
    real = listing.files.models[0].parts[0]
    assert c.remote_header(listing, RemoteFile(real.name, real.size, sha256)) is not None
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    assert c.remote_header(listing, real) is not None
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{real.sha256}.head"]


def test_a_server_error_while_reading_a_header_is_tried_again(
    hub: HubServer, tmp_path: Path
) -> None:
    c = client(hub, tmp_path)
    listing = c.repo(TINY_REPO)
    hub.faults.errors_500 = 2  # a passing hiccup: the third try gets the header
    choices = c.choices(listing, 256, PLENTY)
    assert choices and all(ch.header is not None for ch in choices)
    hub.faults.errors_500 = 100  # a server that keeps failing: a clear error
    with pytest.raises(UserError, match="HTTP 500"):
        client(hub, tmp_path / "fresh").choices(listing, 256, PLENTY)


def test_unknown_repo_and_revision(hub: HubServer, tmp_path: Path) -> None:
    c = client(hub, tmp_path)
    with pytest.raises(UserError, match="no model repository 'nobody/nothing'"):
        c.repo("nobody/nothing")
    with pytest.raises(UserError, match="has no revision 'v9'"):
        c.repo(TINY_REPO, "v9")


def test_gated_repo_needs_a_token(hub: HubServer, tmp_path: Path) -> None:
    listing = client(hub, tmp_path).repo(GATED_REPO)
    assert listing.gated
    with pytest.raises(UserError, match=r"accept its license .* add an access token in Settings"):
        client(hub, tmp_path).choices(listing, 256, PLENTY)
    with pytest.raises(UserError, match="is gated"):
        client(hub, tmp_path, token="hf_wrong").choices(listing, 256, PLENTY)
    assert client(hub, tmp_path, token="hf_good").choices(listing, 256, PLENTY)
    assert {h.authorization for h in hub.file_hits()} == {None, "Bearer hf_wrong", "Bearer hf_good"}


def test_token_goes_only_to_the_hub(hub: HubServer, tmp_path: Path) -> None:
    c = client(hub, tmp_path, token="hf_good")
    assert c.auth_headers(f"{hub.url}/a/b/resolve/main/x.gguf") == {
        "Authorization": "Bearer hf_good"
    }
    assert c.auth_headers("https://cdn.example.com/x.gguf") == {}
    assert c.auth_headers(f"http://127.0.0.1:{hub.port + 1}/x") == {}


def test_token_file_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert load_token(tmp_path) is None
    save_token(tmp_path, " hf_secret \n")
    assert load_token(tmp_path) == "hf_secret"
    assert stat.S_IMODE((tmp_path / "hf_token").stat().st_mode) == 0o600
    monkeypatch.setenv("HF_TOKEN", "hf_env")
    assert load_token(tmp_path) == "hf_env"
    save_token(tmp_path, None)
    assert not (tmp_path / "hf_token").exists()


def test_split_files_are_one_model_and_mmproj_a_companion() -> None:
    files = [
        RemoteFile("big-Q4_K_M-00002-of-00002.gguf", 20, "b"),
        RemoteFile("big-Q4_K_M-00001-of-00002.gguf", 10, "a"),
        RemoteFile("half-Q8_0-00001-of-00003.gguf", 5, "c"),
        RemoteFile("mmproj-model-f16.gguf", 7, "d"),
        RemoteFile("model-Q2_K.gguf", 3, "e"),
        RemoteFile("config.json", 1, None),
    ]
    grouped = group_files(files)
    assert [(m.name, m.quant, m.size, len(m.parts)) for m in grouped.models] == [
        ("model-Q2_K.gguf", "Q2_K", 3, 1),
        ("big-Q4_K_M-00001-of-00002.gguf", "Q4_K_M", 30, 2),
    ]
    assert [c.name for c in grouped.companions] == ["mmproj-model-f16.gguf"]
    assert grouped.incomplete == ["half-Q8_0 (1 of 3 parts)"]


def test_recommend_prefers_files_that_fit_at_the_context_asked_for() -> None:
    def fit(cut: bool, fits: bool = True) -> Fit:
        return Fit(CPU_ONLY if fits else WONT_FIT, 0, 1, 1, "", 512 if cut else 4096, cut)

    assert recommend([("small", 1, fit(False)), ("big", 9, fit(True))]) == "small"
    assert recommend([("big", 9, fit(True)), ("huge", 20, fit(False, fits=False))]) == "big"
    assert recommend([("x", 1, fit(False, fits=False))]) is None


def test_verdict_says_when_the_context_was_cut_and_counts_unified_memory_once(
    tmp_path: Path,
) -> None:
    path = write_tiny_llama(tmp_path / "long.gguf", ctx=4096)
    header = read_header(path)
    size = path.stat().st_size
    full = plan_for_header(header, PLENTY, ctx=4096)
    short = plan_for_header(header, PLENTY, ctx=512)
    assert short.ram_bytes < full.ram_bytes
    # RAM for the short context, not for the full one (the planner keeps its margin).
    tight = Machine(ram_free=RAM_RESERVE_MIN + (short.ram_bytes + full.ram_bytes) // 2)
    cut = verdict(header, size, tight, 4096)
    assert cut.fits and cut.ctx_cut and 512 <= cut.ctx < 4096
    assert "context cut from 4,096" in cut.detail
    assert cut.label.endswith(f", context cut to {cut.ctx:,}")  # on the badge, not only its tooltip
    roomy = verdict(header, size, PLENTY, 4096)
    assert not roomy.ctx_cut and roomy.ctx == 4096 and "cut" not in roomy.label
    assert recommend([("big", 9, cut), ("small", 1, roomy)]) == "small"
    # Apple Silicon: one memory, whose GPU share is part of the RAM figure.
    mac = Machine(ram_free=10**12, gpu_free=(10**11,), unified=True)
    on_mac = verdict(header, size, mac, 4096)
    plan = plan_for_header(header, mac, ctx=4096)
    assert on_mac.verdict == FITS_GPU and on_mac.needed == plan.ram_bytes


def test_making_a_client_quiets_the_hub_without_touching_the_environment(tmp_path: Path) -> None:
    # In a fresh interpreter: importing the module changes nothing; a client, before its
    # first request, turns telemetry and xet off in huggingface_hub's settings, not in
    # os.environ. (Made lazily: importing huggingface_hub costs ~170 ms of start-up.)
    code = (
        "import os\n"
        "before = dict(os.environ)\n"
        "from huggingface_hub import constants\n"
        "import desktop_llm.core.hub.client as c\n"
        "assert dict(os.environ) == before\n"
        "assert not constants.HF_HUB_DISABLE_TELEMETRY and not constants.HF_HUB_DISABLE_XET\n"
        f"client = c.HubClient(__import__('pathlib').Path({str(tmp_path)!r}))\n"
        "assert not constants.HF_HUB_DISABLE_TELEMETRY  # nothing until it is used\n"
        "client._api  # huggingface_hub's client, made before the first request\n"
        "assert dict(os.environ) == before\n"
        "assert constants.HF_HUB_DISABLE_TELEMETRY and constants.HF_HUB_DISABLE_XET\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_HUB_DISABLE")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=Path.cwd())
