//! OTLP protobuf files: either one encoded `Export*ServiceRequest`, or a sequence of them each
//! prefixed with its length as a 4-byte big-endian integer (the Collector file exporter's
//! `proto` format). The bytes do not say which signal they hold, so the caller does.

use super::Payload;
use prost::Message;
use sluice_plugin_sdk::Signal;

/// Why a protobuf file could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum ProtobufError {
    /// The bytes are not a valid message of the given signal.
    #[error("message {index} (at byte {offset}) is not a valid OTLP {signal} request: {source}")]
    Decode {
        /// 0-based message index in the file.
        index: usize,
        /// Byte offset of the message.
        offset: usize,
        /// The expected signal.
        signal: &'static str,
        /// The decoder's error.
        source: prost::DecodeError,
    },
}

/// Decodes every message in `bytes` as requests of `signal`.
pub fn decode_file(bytes: &[u8], signal: Signal) -> Result<Vec<Payload>, ProtobufError> {
    let frames = length_prefixed_frames(bytes).unwrap_or_else(|| vec![(0, bytes)]);
    frames
        .into_iter()
        .enumerate()
        .map(|(index, (offset, frame))| {
            decode_request(frame, signal).map_err(|source| ProtobufError::Decode {
                index,
                offset,
                signal: super::signal_name(signal),
                source,
            })
        })
        .collect()
}

/// Decodes one export request of `signal`.
pub fn decode_request(frame: &[u8], signal: Signal) -> Result<Payload, prost::DecodeError> {
    use opentelemetry_proto::tonic::collector::{logs, metrics, trace};
    Ok(match signal {
        Signal::Span => Payload::Traces(trace::v1::ExportTraceServiceRequest::decode(frame)?),
        Signal::Log => Payload::Logs(logs::v1::ExportLogsServiceRequest::decode(frame)?),
        Signal::MetricPoint => {
            Payload::Metrics(metrics::v1::ExportMetricsServiceRequest::decode(frame)?)
        }
    })
}

/// The protobuf message name of `signal`'s export request, for error messages.
pub fn request_name(signal: Signal) -> &'static str {
    match signal {
        Signal::Span => "ExportTraceServiceRequest",
        Signal::Log => "ExportLogsServiceRequest",
        Signal::MetricPoint => "ExportMetricsServiceRequest",
    }
}

/// The frames of a length-prefixed file, or `None` when the prefixes do not tile the file
/// exactly (then it is a single bare message).
fn length_prefixed_frames(bytes: &[u8]) -> Option<Vec<(usize, &[u8])>> {
    let mut frames = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize;
        let frame = bytes.get(at + 4..at + 4 + len)?;
        frames.push((at + 4, frame));
        at += 4 + len;
    }
    (!frames.is_empty()).then_some(frames)
}

/// Encodes a payload as a bare protobuf message.
pub fn encode(payload: &Payload) -> Vec<u8> {
    match payload {
        Payload::Traces(r) => r.encode_to_vec(),
        Payload::Logs(r) => r.encode_to_vec(),
        Payload::Metrics(r) => r.encode_to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};

    fn logs(n: usize) -> Payload {
        let records = (0..n)
            .map(|i| LogRecord {
                time_unix_nano: i as u64 + 1,
                ..Default::default()
            })
            .collect();
        Payload::Logs(ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: records,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
    }

    #[test]
    fn reads_bare_and_length_prefixed_files() {
        let one = encode(&logs(3));
        assert_eq!(decode_file(&one, Signal::Log).unwrap(), vec![logs(3)]);
        let mut framed = Vec::new();
        for n in [1, 2] {
            let m = encode(&logs(n));
            framed.extend_from_slice(&(m.len() as u32).to_be_bytes());
            framed.extend_from_slice(&m);
        }
        assert_eq!(
            decode_file(&framed, Signal::Log).unwrap(),
            vec![logs(1), logs(2)]
        );
    }

    #[test]
    fn garbage_is_an_error_naming_the_signal() {
        let err = decode_file(&[0xff, 0xff, 0xff], Signal::Span)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a valid OTLP traces request"), "{err}");
    }
}
