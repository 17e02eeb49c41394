"""desktop_llm: chat with open language models offline on your own computer."""

__version__ = "0.1.0"
APP_NAME = "desktop-llm"
