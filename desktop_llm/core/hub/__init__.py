"""Hugging Face: search, repo files with fit verdicts, remote GGUF headers, install.

The only package that imports huggingface_hub (an import-linter contract checks it).
"""

from desktop_llm.core.hub.client import (
    OFFLINE,
    FileChoice,
    HubClient,
    RepoListing,
    RepoSummary,
    gated_error,
)
from desktop_llm.core.hub.files import ModelFiles, RemoteFile, RepoFiles, group_files
from desktop_llm.core.hub.fit import (
    CPU_ONLY,
    FITS_GPU,
    PARTIAL_GPU,
    WONT_FIT,
    Fit,
    recommend,
    verdict,
)
from desktop_llm.core.hub.install import (
    installed_copy,
    origin,
    pick,
    plan,
    plan_files,
    register,
    register_download,
)
from desktop_llm.core.hub.token import load_token, save_token

__all__ = [
    "CPU_ONLY",
    "FITS_GPU",
    "OFFLINE",
    "PARTIAL_GPU",
    "WONT_FIT",
    "FileChoice",
    "Fit",
    "HubClient",
    "ModelFiles",
    "RemoteFile",
    "RepoFiles",
    "RepoListing",
    "RepoSummary",
    "gated_error",
    "group_files",
    "installed_copy",
    "load_token",
    "origin",
    "pick",
    "plan",
    "plan_files",
    "recommend",
    "register",
    "register_download",
    "save_token",
    "verdict",
]
