"""Sends spans, log records and metric points to an OTLP endpoint with the official
OpenTelemetry Python SDK and its OTLP exporters, then exits non-zero if any export failed.

Records are created through the SDK (tracer, logger, meter) into in-memory processors, then
handed to the real OTLP exporter in one `export` call per signal, so the exit code reports
exactly whether the exporter succeeded. Every record carries a unique `test.id`:
`<run>-span-<i>`, `<run>-log-<i>`, `<run>-metric-<i>` (a data point's attribute).

Usage: send.py --endpoint http://127.0.0.1:4317 --protocol grpc|http --run RUN
               [--header name=value]... [--resource key=value]...
               [--spans N] [--logs N] [--metrics N] [--timeout SECONDS]
"""

import argparse
import sys

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, LogRecordExportResult, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


def pairs(values):
    out = {}
    for v in values:
        key, sep, value = v.partition("=")
        if not sep:
            sys.exit(f"send.py: `{v}` is not key=value")
        out[key] = value
    return out


def exporters(args, headers):
    timeout = args.timeout
    if args.protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        common = dict(endpoint=args.endpoint, insecure=True, headers=tuple(headers.items()), timeout=timeout)
        return OTLPSpanExporter(**common), OTLPLogExporter(**common), OTLPMetricExporter(**common)
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    base = args.endpoint.rstrip("/")
    return (
        OTLPSpanExporter(endpoint=f"{base}/v1/traces", headers=headers, timeout=timeout),
        OTLPLogExporter(endpoint=f"{base}/v1/logs", headers=headers, timeout=timeout),
        OTLPMetricExporter(endpoint=f"{base}/v1/metrics", headers=headers, timeout=timeout),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--protocol", choices=["grpc", "http"], required=True)
    parser.add_argument("--run", required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--resource", action="append", default=[])
    parser.add_argument("--spans", type=int, default=5)
    parser.add_argument("--logs", type=int, default=5)
    parser.add_argument("--metrics", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    run = args.run
    resource = Resource.create({"service.name": "sluice-net-e2e", "test.run": run, **pairs(args.resource)})
    span_exporter, log_exporter, metric_exporter = exporters(args, pairs(args.header))
    failed = []

    if args.spans:
        memory = InMemorySpanExporter()
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(SimpleSpanProcessor(memory))
        tracer = provider.get_tracer("sluice.e2e")
        for i in range(args.spans):
            with tracer.start_as_current_span(f"{run}-span-{i}", attributes={"test.id": f"{run}-span-{i}"}):
                pass
        result = span_exporter.export(memory.get_finished_spans())
        if result != SpanExportResult.SUCCESS:
            failed.append(f"traces: {result}")

    if args.logs:
        memory = InMemoryLogRecordExporter()
        provider = LoggerProvider(resource=resource)
        provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
        logger = provider.get_logger("sluice.e2e")
        for i in range(args.logs):
            logger.emit(body=f"{run} log {i}", attributes={"test.id": f"{run}-log-{i}"})
        result = log_exporter.export(memory.get_finished_logs())
        if result != LogRecordExportResult.SUCCESS:
            failed.append(f"logs: {result}")

    if args.metrics:
        reader = InMemoryMetricReader()
        provider = MeterProvider(resource=resource, metric_readers=[reader])
        counter = provider.get_meter("sluice.e2e").create_counter("sluice.e2e.requests")
        for i in range(args.metrics):
            counter.add(i + 1, {"test.id": f"{run}-metric-{i}"})
        result = metric_exporter.export(reader.get_metrics_data(), timeout_millis=args.timeout * 1000)
        if result != MetricExportResult.SUCCESS:
            failed.append(f"metrics: {result}")

    for exporter in (span_exporter, log_exporter, metric_exporter):
        exporter.shutdown()
    if failed:
        print("EXPORT FAILED: " + "; ".join(failed), file=sys.stderr)
        sys.exit(1)
    print(f"sent {args.spans} spans, {args.logs} logs, {args.metrics} metric points")


if __name__ == "__main__":
    main()
