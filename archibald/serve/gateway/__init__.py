"""The OpenAI- and Anthropic-compatible gateway: a thin adapter from a request to a Task.

A request is authenticated by a virtual key (:mod:`.keys`), analysed into a task type
(:mod:`.analysis`), and run by the pipelines' own :class:`~archibald.core.router.Router`: the
same decision, reservations (a key's budgets are limits on its ledger channel ``key:NAME``),
backends, ledger and memory (:mod:`.service`). :mod:`.openai` and :mod:`.anthropic` turn it
into each provider's wire format; :mod:`.metrics` counts it for Prometheus.
"""
