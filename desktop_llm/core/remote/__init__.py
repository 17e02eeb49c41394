"""Remote OpenAI-compatible servers (vLLM, llama-server, Ollama, LM Studio, another
desktop_llm's ``serve``): the saved list of servers, the :class:`RemoteEngine` that runs
a chat through one, and the resolver that turns ``NAME::MODEL_ID`` into a model.

Nothing here connects anywhere unless the user added a server: offline stays the default.
"""
