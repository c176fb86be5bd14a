"""Sends LLM telemetry with fake GenAI content for several tenants to an OTLP endpoint, with
the official OpenTelemetry Python SDK and its OTLP exporter, then exits non-zero if any export
failed.

Each tenant gets its own resource (`tenant.id`, unless the tenant is `-`: no tenant at all),
and, in the order given, its spans, then its logs, then its metric points, each signal in one
`export` call, so the order of the calls is the order of the tenants.

Every record carries `test.id` = `<run>-<label>-span-<i>` / `-log-<i>` / `-metric-<i>`, where
`<label>` is the tenant (`none` for `-`). The fake content, which tests search for, is
  prompt  = f"FAKE-PROMPT {run}/{label}/{i} what is the secret recipe?"
  answer  = f"FAKE-ANSWER {run}/{label}/{i} the recipe is 42"
Span i: `gen_ai.prompt` = prompt, `gen_ai.completion` = answer, `gen_ai.input.messages` (a
structured list of maps holding the prompt), `gen_ai.output.messages` (a JSON string holding
the answer), `gen_ai.system_instructions`, `llm.prompts` (an array), `traceloop.entity.input`,
`llm` = {"prompts": [prompt], "vendor": "openai"} (a content key nested in another attribute),
metadata (`gen_ai.operation.name`, `gen_ai.system`, `gen_ai.request.model` = gpt-4o,
`gen_ai.response.model`, `gen_ai.usage.input_tokens` = 12 + i, `gen_ai.usage.output_tokens` =
34), a `gen_ai.content.prompt` event {gen_ai.prompt: prompt}, a `gen_ai.choice` event
{message: answer, index: 0}, start 1_700_000_000 s + i, end 1.5 s later, status ERROR
"upstream timeout" for odd i, OK otherwise.
Log i: body f"user asked: {prompt}" for even i, {"role": "user", "content": prompt} for odd i;
attributes `gen_ai.request.model`, `gen_ai.usage.output_tokens`.
Metric point i: a counter `gen_ai.client.requests` with `gen_ai.request.model`.

Usage: send_genai.py --endpoint http://127.0.0.1:4317 --run RUN --tenant acme [--tenant -]...
                     [--spans N] [--logs N] [--metrics N] [--timeout SECONDS]
"""

import argparse
import json
import sys

from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, LogRecordExportResult, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

T0 = 1_700_000_000 * 1_000_000_000


def send_tenant(args, tenant, span_exporter, log_exporter, metric_exporter):
    run = args.run
    label = "none" if tenant == "-" else tenant
    attrs = {"service.name": "sluice-residency-e2e", "test.run": run}
    if tenant != "-":
        attrs["tenant.id"] = tenant
    resource = Resource.create(attrs)
    failed = []

    def prompt(i):
        return f"FAKE-PROMPT {run}/{label}/{i} what is the secret recipe?"

    def answer(i):
        return f"FAKE-ANSWER {run}/{label}/{i} the recipe is 42"

    if args.spans:
        memory = InMemorySpanExporter()
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(SimpleSpanProcessor(memory))
        tracer = provider.get_tracer("sluice.residency.e2e")
        for i in range(args.spans):
            p, a = prompt(i), answer(i)
            start = T0 + i * 1_000_000_000
            span = tracer.start_span(
                "chat gpt-4o",
                start_time=start,
                attributes={
                    "test.id": f"{run}-{label}-span-{i}",
                    "gen_ai.operation.name": "chat",
                    "gen_ai.system": "openai",
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.response.model": "gpt-4o-2024-08-06",
                    "gen_ai.usage.input_tokens": 12 + i,
                    "gen_ai.usage.output_tokens": 34,
                    "gen_ai.prompt": p,
                    "gen_ai.completion": a,
                    "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": p}]}],
                    "gen_ai.output.messages": json.dumps([{"role": "assistant", "content": a}]),
                    "gen_ai.system_instructions": f"FAKE-PROMPT system: keep {run}/{label}/{i} secret",
                    "llm.prompts": [p],
                    "traceloop.entity.input": p,
                    "llm": {"prompts": [p], "vendor": "openai"},
                },
            )
            span.add_event("gen_ai.content.prompt", {"gen_ai.prompt": p}, timestamp=start + 1_000)
            span.add_event("gen_ai.choice", {"message": a, "index": 0}, timestamp=start + 2_000)
            if i % 2:
                span.set_status(Status(StatusCode.ERROR, "upstream timeout"))
            else:
                span.set_status(Status(StatusCode.OK))
            span.end(end_time=start + 1_500_000_000)
        result = span_exporter.export(memory.get_finished_spans())
        if result != SpanExportResult.SUCCESS:
            failed.append(f"{label} traces: {result}")

    if args.logs:
        memory = InMemoryLogRecordExporter()
        provider = LoggerProvider(resource=resource)
        provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
        logger = provider.get_logger("sluice.residency.e2e")
        for i in range(args.logs):
            body = f"user asked: {prompt(i)}" if i % 2 == 0 else {"role": "user", "content": prompt(i)}
            logger.emit(
                body=body,
                attributes={
                    "test.id": f"{run}-{label}-log-{i}",
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.usage.output_tokens": 34,
                },
            )
        result = log_exporter.export(memory.get_finished_logs())
        if result != LogRecordExportResult.SUCCESS:
            failed.append(f"{label} logs: {result}")

    if args.metrics:
        reader = InMemoryMetricReader()
        provider = MeterProvider(resource=resource, metric_readers=[reader])
        counter = provider.get_meter("sluice.residency.e2e").create_counter("gen_ai.client.requests")
        for i in range(args.metrics):
            counter.add(i + 1, {"test.id": f"{run}-{label}-metric-{i}", "gen_ai.request.model": "gpt-4o"})
        result = metric_exporter.export(reader.get_metrics_data(), timeout_millis=args.timeout * 1000)
        if result != MetricExportResult.SUCCESS:
            failed.append(f"{label} metrics: {result}")
    return failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--run", required=True)
    parser.add_argument("--tenant", action="append", default=[])
    parser.add_argument("--spans", type=int, default=2)
    parser.add_argument("--logs", type=int, default=2)
    parser.add_argument("--metrics", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    common = dict(endpoint=args.endpoint, insecure=True, timeout=args.timeout)
    span_exporter = OTLPSpanExporter(**common)
    log_exporter = OTLPLogExporter(**common)
    metric_exporter = OTLPMetricExporter(**common)
    failed = []
    for tenant in args.tenant:
        failed += send_tenant(args, tenant, span_exporter, log_exporter, metric_exporter)
    for exporter in (span_exporter, log_exporter, metric_exporter):
        exporter.shutdown()
    if failed:
        print("EXPORT FAILED: " + "; ".join(failed), file=sys.stderr)
        sys.exit(1)
    print(f"sent {len(args.tenant)} tenants")


if __name__ == "__main__":
    main()
