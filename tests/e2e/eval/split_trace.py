"""Sends two traces to an OTLP/gRPC endpoint with the official OpenTelemetry Python SDK and
its OTLP exporter, each split over two export requests: trace `bad` has a child span whose
status is ERROR in the second request, trace `good` has none. Every span carries
`test.id = <run>-<trace>-<name>`.

Usage: split_trace.py --endpoint http://127.0.0.1:4317 --run RUN
"""

import argparse
import sys

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--run", required=True)
    args = parser.parse_args()

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "sluice-eval-e2e"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("sluice.e2e")
    exporter = OTLPSpanExporter(endpoint=args.endpoint, insecure=True, timeout=30)

    first, second = [], []
    for trace in ("bad", "good"):
        def attrs(name):
            return {"test.id": f"{args.run}-{trace}-{name}"}

        with tracer.start_as_current_span("request", attributes=attrs("request")):
            with tracer.start_as_current_span("retrieve", attributes=attrs("retrieve")):
                pass
            first.extend(memory.get_finished_spans())
            memory.clear()
            with tracer.start_as_current_span("chat", attributes=attrs("chat")) as chat:
                if trace == "bad":
                    chat.set_status(Status(StatusCode.ERROR))
        second.extend(memory.get_finished_spans())
        memory.clear()

    for batch in (first, second):
        result = exporter.export(batch)
        if result != SpanExportResult.SUCCESS:
            print(f"EXPORT FAILED: {result}", file=sys.stderr)
            sys.exit(1)
    exporter.shutdown()
    print(f"sent {len(first) + len(second)}")


if __name__ == "__main__":
    main()
