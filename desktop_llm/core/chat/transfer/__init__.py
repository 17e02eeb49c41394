"""Chats to and from files (issue 18): Markdown and our own versioned JSON out; our JSON,
ChatGPT's conversations.json and Open WebUI's chat export in. Plain Python; the database
is reached through storage's ChatTransferRepository."""
