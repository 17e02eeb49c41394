"""The plain data types the UI works with, re-exported so ui/ depends on services/ only."""

from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.chat.long_chat import ContextBudget
from desktop_llm.core.defaults import DEFAULT_CTX
from desktop_llm.core.formatting import format_size
from desktop_llm.core.hardware.info import GpuInfo, HardwareInfo
from desktop_llm.storage import Conversation, Message, ModelRecord, Preset

__all__ = [
    "DEFAULT_CTX",
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
