"""The plain data types the UI works with, re-exported so ui/ depends on services/ only."""

from desktop_llm.core.chat.conversation import ChatSettings
from desktop_llm.core.defaults import DEFAULT_CTX
from desktop_llm.core.formatting import format_size
from desktop_llm.core.hardware.info import HardwareInfo
from desktop_llm.storage import Conversation, Message, ModelRecord

__all__ = [
    "DEFAULT_CTX",
    "ChatSettings",
    "Conversation",
    "HardwareInfo",
    "Message",
    "ModelRecord",
    "format_size",
]
