//! Traces of an LLM application, shaped like the OpenTelemetry GenAI semantic conventions:
//! a server request span; retrieval (vector search with an embeddings call); rerank; one or
//! more `chat MODEL` calls with token usage and their prompt / answer content; tool calls.

use crate::attrs::{arr, f, i, id, s};
use crate::content::{MODELS, TOOLS, fake_secret, log_uniform, prose_of};
use crate::pool::Shape;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::{Span, Status, status::StatusCode};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::json;

/// Builds spans; one trace at a time.
struct Trace<'a> {
    rng: &'a mut StdRng,
    shape: &'a Shape,
    trace_id: Vec<u8>,
    spans: Vec<Span>,
    /// The conversation so far: each chat's input is all of it (agent loops resend it).
    messages: Vec<serde_json::Value>,
}

impl Trace<'_> {
    /// Adds a span and returns its id.
    fn span(
        &mut self,
        parent: &[u8],
        name: String,
        kind: SpanKind,
        at: u64,
        dur: u64,
        attributes: Vec<KeyValue>,
    ) -> Vec<u8> {
        let span_id = id::<8>(self.rng);
        self.spans.push(Span {
            trace_id: self.trace_id.clone(),
            span_id: span_id.clone(),
            parent_span_id: parent.to_vec(),
            flags: 0x301,
            name,
            kind: kind as i32,
            start_time_unix_nano: at,
            end_time_unix_nano: at + dur,
            attributes,
            status: Some(Status {
                code: StatusCode::Unset as i32,
                ..Default::default()
            }),
            ..Default::default()
        });
        span_id
    }

    /// A prompt or answer text of `content_min..=max` bytes, with a fake secret in some.
    fn text(&mut self, max: usize) -> String {
        let len = log_uniform(self.rng, self.shape.content_min, max);
        let mut t = prose_of(self.rng, len);
        if self.rng.random_bool(self.shape.secret_share) {
            let at = self.rng.random_range(0..t.len() / 2);
            let at = t[..at].rfind(' ').map_or(0, |p| p + 1);
            t.insert_str(at, &format!("{} ", fake_secret(self.rng)));
        }
        t
    }

    /// A `chat MODEL` span; `tool` names the tool its answer calls, if any.
    fn chat(&mut self, parent: &[u8], at: u64, tool: Option<&str>) -> u64 {
        let (provider, model, response_model, server) =
            MODELS[self.rng.random_range(0..MODELS.len())];
        if self.messages.is_empty() {
            let prompt = self.text(self.shape.content_max);
            self.messages = vec![
                json!({"role": "system", "parts": [{"type": "text", "content": "You are a helpful assistant for Example Corp. Answer from the provided documents only."}]}),
                json!({"role": "user", "parts": [{"type": "text", "content": prompt}]}),
            ];
        }
        let input = serde_json::Value::Array(self.messages.clone()).to_string();
        // Answers are shorter than prompts.
        let answer = self.text(self.shape.content_max * 3 / 4);
        let mut parts = vec![json!({"type": "text", "content": answer})];
        if let Some(name) = tool {
            let call_id = format!("call_{:016x}", self.rng.random::<u64>());
            parts.push(json!({"type": "tool_call", "id": call_id, "name": name, "arguments": {"query": "order 1234 status"}}));
        }
        let finish = if tool.is_some() { "tool_call" } else { "stop" };
        let message = json!({"role": "assistant", "parts": parts, "finish_reason": finish});
        let output = json!([message]).to_string();
        self.messages.push(message);
        let input_tokens = (input.len() / 4) as i64;
        let output_tokens = (answer.len() / 4 + 5) as i64;
        let mut attrs = vec![
            s("gen_ai.operation.name", "chat"),
            s("gen_ai.provider.name", provider),
            s("gen_ai.request.model", model),
            s("gen_ai.response.model", response_model),
            s(
                "gen_ai.response.id",
                format!("chatcmpl-{:024x}", self.rng.random::<u128>() >> 32),
            ),
            f("gen_ai.request.temperature", 0.2),
            i("gen_ai.request.max_tokens", 4096),
            arr("gen_ai.response.finish_reasons", &[finish]),
            i("gen_ai.usage.input_tokens", input_tokens),
            i("gen_ai.usage.output_tokens", output_tokens),
            s("server.address", server),
            i("server.port", 443),
            s("gen_ai.input.messages", input),
            s("gen_ai.output.messages", output),
        ];
        if self.rng.random_bool(0.3) {
            attrs.push(i("gen_ai.usage.cache_read.input_tokens", input_tokens / 2));
        }
        let dur = 300_000_000 + output_tokens as u64 * 15_000_000;
        self.span(
            parent,
            format!("chat {model}"),
            SpanKind::Client,
            at,
            dur,
            attrs,
        );
        dur
    }

    /// An `execute_tool NAME` span.
    fn tool(&mut self, parent: &[u8], at: u64, name: &str) -> u64 {
        let dur = self.rng.random_range(5_000_000..200_000_000);
        let len = self.rng.random_range(100..600);
        let result = json!({"result": prose_of(self.rng, len)}).to_string();
        self.messages.push(
            json!({"role": "tool", "parts": [{"type": "tool_call_response", "response": result}]}),
        );
        let attrs = vec![
            s("gen_ai.operation.name", "execute_tool"),
            s("gen_ai.tool.name", name),
            s("gen_ai.tool.type", "function"),
            s(
                "gen_ai.tool.call.id",
                format!("call_{:016x}", self.rng.random::<u64>()),
            ),
            s(
                "gen_ai.tool.call.arguments",
                json!({"query": "order 1234 status", "limit": 5}).to_string(),
            ),
            s("gen_ai.tool.call.result", result),
        ];
        self.span(
            parent,
            format!("execute_tool {name}"),
            SpanKind::Internal,
            at,
            dur,
            attrs,
        );
        dur
    }

    /// A whole request: server span, retrieval, rerank, then chat / tool rounds.
    fn request(&mut self, start: u64) {
        let root_id = id::<8>(self.rng);
        let mut t = start + 2_000_000;
        let retrieval = vec![
            s("db.system.name", "qdrant"),
            s("db.operation.name", "search"),
            s("db.collection.name", "kb-chunks"),
            i("db.vector.query.top_k", 20),
        ];
        let r = self.span(
            &root_id,
            "retrieve kb-chunks".into(),
            SpanKind::Client,
            t,
            40_000_000,
            retrieval,
        );
        let embed = vec![
            s("gen_ai.operation.name", "embeddings"),
            s("gen_ai.provider.name", "openai"),
            s("gen_ai.request.model", "text-embedding-3-small"),
            i("gen_ai.usage.input_tokens", self.rng.random_range(8..200)),
            s("server.address", "api.openai.com"),
        ];
        self.span(
            &r,
            "embeddings text-embedding-3-small".into(),
            SpanKind::Client,
            t + 1_000_000,
            25_000_000,
            embed,
        );
        t += 41_000_000;
        let rerank = vec![
            s("gen_ai.operation.name", "rerank"),
            s("gen_ai.provider.name", "cohere"),
            s("gen_ai.request.model", "rerank-v3.5"),
            i("gen_ai.rerank.documents.count", 20),
            i("gen_ai.rerank.top_n", 5),
        ];
        self.span(
            &root_id,
            "rerank rerank-v3.5".into(),
            SpanKind::Client,
            t,
            60_000_000,
            rerank,
        );
        t += 60_000_000;
        let rounds = [1, 1, 2, 2, 2, 3, 3, 4][self.rng.random_range(0..8)];
        for round in 0..rounds {
            let tool = (round + 1 < rounds).then(|| TOOLS[self.rng.random_range(0..TOOLS.len())]);
            t += self.chat(&root_id, t, tool);
            if let Some(name) = tool {
                t += self.tool(&root_id, t, name);
            }
        }
        let root = vec![
            s("http.request.method", "POST"),
            s("http.route", "/v1/assist"),
            s("url.path", "/v1/assist"),
            s("url.scheme", "https"),
            i("http.response.status_code", 200),
            s("user_agent.original", "example-app/2.3 (python-httpx 0.27)"),
            s(
                "client.address",
                format!("203.0.113.{}", self.rng.random_range(1..255)),
            ),
        ];
        self.spans.push(Span {
            trace_id: self.trace_id.clone(),
            span_id: root_id,
            flags: 0x301,
            name: "POST /v1/assist".into(),
            kind: SpanKind::Server as i32,
            start_time_unix_nano: start,
            end_time_unix_nano: t + 1_000_000,
            attributes: root,
            ..Default::default()
        });
    }
}

/// `n` spans of whole traces (the last one cut short to fit), starting near `now_ns`.
pub fn spans(rng: &mut StdRng, shape: &Shape, now_ns: u64, n: usize) -> Vec<Span> {
    let mut out = Vec::with_capacity(n + 16);
    while out.len() < n {
        let start = now_ns - rng.random_range(0..5_000_000_000);
        let mut trace = Trace {
            trace_id: id::<16>(rng),
            rng,
            shape,
            spans: Vec::with_capacity(12),
            messages: Vec::new(),
        };
        trace.request(start);
        out.append(&mut trace.spans);
    }
    out.truncate(n);
    out
}
