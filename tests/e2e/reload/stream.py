"""Streams spans to an OTLP/gRPC endpoint with the official OpenTelemetry Python SDK and its
OTLP exporter until a stop file appears, one export request at a time, so the requests reach
sluice in send order. Span i carries `test.id = <run>-span-<i>` and `test.seq = i`.

Prints `sent N` and exits 0 when every export succeeded, else prints the failure and exits 1.

Usage: stream.py --endpoint http://127.0.0.1:4317 --run RUN --stop FILE [--per-request N]
"""

import argparse
import os
import sys
import time

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--run", required=True)
    parser.add_argument("--stop", required=True)
    parser.add_argument("--per-request", type=int, default=20)
    args = parser.parse_args()

    resource = Resource.create({"service.name": "sluice-reload-e2e", "test.run": args.run})
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("sluice.e2e")
    exporter = OTLPSpanExporter(endpoint=args.endpoint, insecure=True, timeout=30)

    sent = 0
    while not os.path.exists(args.stop):
        for _ in range(args.per_request):
            attrs = {"test.id": f"{args.run}-span-{sent}", "test.seq": sent}
            with tracer.start_as_current_span(f"span-{sent}", attributes=attrs):
                pass
            sent += 1
        result = exporter.export(memory.get_finished_spans())
        memory.clear()
        if result != SpanExportResult.SUCCESS:
            print(f"EXPORT FAILED after {sent} spans: {result}", file=sys.stderr)
            sys.exit(1)
        # Pacing, not synchronisation: a steady load that leaves the 2-core test machine
        # room to compile plugins while it runs.
        time.sleep(0.01)
    exporter.shutdown()
    print(f"sent {sent}")


if __name__ == "__main__":
    main()
