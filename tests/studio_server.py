"""A studio served on its own, for the browser and schedule tests: `python studio_server.py
PORT` builds a FastAPI app, installs the studio and serves it with uvicorn on 127.0.0.1:PORT
(the settings from ARCHIBALD_CONFIG, the store from ARCHIBALD_DB, the login token from
ARCHIBALD_LOGIN_TOKEN). SIGINT/SIGTERM stop it gracefully (its jobs are cancelled)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from archibald.serve.studio import install


def build() -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        hooks = [h(app) for h in app.state.lifespan_hooks]
        for hook in hooks:
            await hook.__aenter__()
        try:
            yield
        finally:
            for hook in reversed(hooks):
                await hook.__aexit__(None, None, None)

    app = FastAPI(lifespan=lifespan)
    app.state.lifespan_hooks = []
    install(app)
    return app


if __name__ == "__main__":
    uvicorn.run(build(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                timeout_graceful_shutdown=5)
