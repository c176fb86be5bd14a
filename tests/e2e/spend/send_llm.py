"""Sends LLM call spans with OpenTelemetry GenAI token attributes to an OTLP/gRPC endpoint
with the official OpenTelemetry Python SDK and its OTLP exporter; exits non-zero if an
export failed.

Each call is a JSON object: tenant, model, input, output, and optionally cache_read,
provider, feature (app.feature), prompt_version (app.prompt_version). Calls of one tenant
share a resource (`tenant.id`, `service.name`) and go out in one export request per tenant.
Every span carries `test.id = <run>-<index>`.

Usage: send_llm.py --endpoint http://127.0.0.1:4317 --run RUN --calls '[{...}, ...]'
"""

import argparse
import json
import sys

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--run", required=True)
    parser.add_argument("--calls", required=True)
    args = parser.parse_args()
    calls = json.loads(args.calls)

    by_tenant = {}
    for i, call in enumerate(calls):
        by_tenant.setdefault(call["tenant"], []).append((i, call))

    exporter = OTLPSpanExporter(endpoint=args.endpoint, insecure=True, timeout=30)
    sent = 0
    for tenant, tenant_calls in by_tenant.items():
        memory = InMemorySpanExporter()
        provider = TracerProvider(
            resource=Resource.create({"service.name": "sluice-spend-e2e", "tenant.id": tenant})
        )
        provider.add_span_processor(SimpleSpanProcessor(memory))
        tracer = provider.get_tracer("sluice.e2e.spend")
        for i, call in tenant_calls:
            attributes = {
                "test.id": f"{args.run}-{i}",
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": call.get("provider", "openai"),
                "gen_ai.request.model": call["model"],
                "gen_ai.usage.input_tokens": call["input"],
                "gen_ai.usage.output_tokens": call["output"],
            }
            if "cache_read" in call:
                attributes["gen_ai.usage.cache_read.input_tokens"] = call["cache_read"]
            if "feature" in call:
                attributes["app.feature"] = call["feature"]
            if "prompt_version" in call:
                attributes["app.prompt_version"] = call["prompt_version"]
            with tracer.start_as_current_span(
                f"chat {call['model']}", kind=SpanKind.CLIENT, attributes=attributes
            ):
                pass
        spans = memory.get_finished_spans()
        result = exporter.export(spans)
        if result != SpanExportResult.SUCCESS:
            print(f"EXPORT FAILED for tenant {tenant}: {result}", file=sys.stderr)
            sys.exit(1)
        sent += len(spans)
    exporter.shutdown()
    print(f"sent {sent}")


if __name__ == "__main__":
    main()
