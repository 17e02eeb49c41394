"""The local OpenAI-compatible API server (``desktop-llm serve``).

Plain Python on Starlette and uvicorn; no Qt. Models run the way the window runs them:
one :class:`~desktop_llm.core.engine.session.EngineSession` (one worker process) per
loaded model, the same chat template, stop strings and sampler.

- ``keys``: the API key, generated on first use and kept in the config folder (0600).
- ``security``: the guard in front of every request (Host, Origin and CORS, bearer key).
- ``openai_shapes``: request validation and OpenAI's response and error shapes.
- ``models``: the pool of loaded models (load on first use, TTL, LRU eviction, queues).
- ``app``: the Starlette app, its routes and the one log record per request.
"""
