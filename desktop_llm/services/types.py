"""The plain data types the UI works with, re-exported so ui/ depends on services/ only."""

from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.chat.long_chat import ContextBudget
from desktop_llm.core.defaults import DEFAULT_CTX
from desktop_llm.core.formatting import format_size
from desktop_llm.core.hardware.info import GpuInfo, HardwareInfo
from desktop_llm.storage import Conversation, Message, ModelRecord, Preset
from desktop_llm.storage.chats_repo import DEFAULT_TITLE

__all__ = [
    "DEFAULT_CTX",
    "DEFAULT_TITLE",
    "ChatSettings",
    "ContextBudget",
    "Conversation",
    "GpuInfo",
    "HardwareInfo",
    "Message",
    "ModelRecord",
    "Preset",
    "format_size",
]
