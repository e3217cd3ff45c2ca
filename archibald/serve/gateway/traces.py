"""OpenTelemetry traces of the gateway's requests, in the GenAI semantic conventions.

When ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set and the
``otel`` extra is installed (the official OpenTelemetry SDK and its OTLP/HTTP exporter), every
request is a span named ``chat <model>`` (``embeddings <model>``) with the ``gen_ai.*``
attributes of the conventions — operation, provider, requested and response model, max
tokens, temperature, token usage, finish reasons, response id — and Archibald's own: the route,
the task type, the cost and the all-premium baseline, the key's name. The exporter reads the
standard ``OTEL_*`` variables (headers, protocol, batch delays). No prompt, answer or key is
ever put on a span. Without the endpoint, or without the SDK (one warning), nothing is traced
and nothing is imported.
"""

from __future__ import annotations

import logging
import os
from typing import Any

__all__ = ["Tracing", "Span"]

log = logging.getLogger("archibald.serve")


class Span:
    """One request's span, or nothing (``Tracing`` off): set attributes, then end it once."""

    def __init__(self, span: Any = None) -> None:
        self._span = span

    def set(self, **attributes: Any) -> None:
        if self._span is None:
            return
        for name, value in attributes.items():
            if value is not None:
                self._span.set_attribute(name.replace("__", "."), value)

    def answered(self, ans: Any) -> None:
        """The attributes of an answer (an archibald.serve.gateway.service.Answer)."""
        self.set(gen_ai__response__model=ans.model, gen_ai__response__id=ans.id,
                 gen_ai__usage__input_tokens=ans.input_tokens,
                 gen_ai__usage__output_tokens=ans.output_tokens,
                 gen_ai__response__finish_reasons=[ans.finish_reason],
                 archibald__route=ans.route, archibald__task_type=ans.task_type,
                 archibald__cost_usd=ans.cost_usd, archibald__baseline_usd=ans.baseline_usd)
        self.end()

    def failed(self, status: int, error: BaseException) -> None:
        if self._span is not None:
            from opentelemetry.trace import Status, StatusCode

            self.set(error__type=type(error).__name__, http__response__status_code=status)
            self._span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))
        self.end()

    def end(self) -> None:
        if self._span is not None:
            self._span.end()
            self._span = None


class Tracing:
    """The gateway's tracer: off unless an OTLP endpoint is configured."""

    def __init__(self, provider: Any = None) -> None:
        self.provider = provider if provider is not None else _provider_from_env()
        self.tracer = self.provider.get_tracer("archibald.gateway") \
            if self.provider is not None else None

    @property
    def on(self) -> bool:
        return self.tracer is not None

    def request(self, operation: str, api: str, body: dict[str, Any], key: str) -> Span:
        """A started span for a request of ``operation`` ("chat", "embeddings")."""
        if self.tracer is None:
            return Span()
        from opentelemetry.trace import SpanKind

        model = body.get("model") if isinstance(body.get("model"), str) else ""
        span = Span(self.tracer.start_span(f"{operation} {model}".strip(),
                                           kind=SpanKind.SERVER))
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        temperature = body.get("temperature")
        span.set(gen_ai__operation__name=operation, gen_ai__provider__name="archibald",
                 gen_ai__request__model=model or None,
                 gen_ai__request__max_tokens=max_tokens if isinstance(max_tokens, int)
                 and not isinstance(max_tokens, bool) else None,
                 gen_ai__request__temperature=float(temperature)
                 if isinstance(temperature, (int, float)) and not isinstance(temperature, bool)
                 else None,
                 gen_ai__request__stream=bool(body.get("stream")),
                 archibald__api=api, archibald__key=key)
        return span

    def shutdown(self) -> None:
        """Send what is buffered (the app is stopping)."""
        if self.provider is not None:
            self.provider.shutdown()


def _provider_from_env() -> Any:
    if not (os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but the OpenTelemetry SDK is not "
                    "installed: pip install 'archibald[otel]'; the gateway runs untraced")
        return None
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME",
                                                               "archibald-gateway")})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider
