"""`archibald serve`: one ASGI app (FastAPI on uvicorn). The gateway speaks the OpenAI and
Anthropic wire formats under ``/v1`` so existing apps route their model calls through the same
router, budgets, ledger and memory as a pipeline stage (:mod:`.gateway`); :mod:`.app` builds
the app."""
