//! The MCP channel on stdin and stdout: rmcp's stdio streams and JSON-RPC line codec, with the
//! answers rmcp's own stdio transport does not give.
//!
//! rmcp drops a line that is not JSON, where JSON-RPC 2.0 asks for `-32700 Parse error` with
//! `id: null`; and it answers JSON that is not a valid message with a `-32600` without an `id`,
//! which no client can match to its request. Here each line is parsed once, with rmcp's parser,
//! into rmcp's message type; only a line it refuses is looked at again, to answer it with the
//! request's own id. A malformed notification is dropped unanswered (JSON-RPC 2.0 §4.1), and so
//! is any message before the client's first request: it cannot refer to anything yet, and rmcp
//! would end the session on it.

use std::future::Future;
use std::io;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::async_rw::{JsonRpcMessageCodec, DEFAULT_MAX_LINE_LENGTH};
use rmcp::transport::{StdioReader, StdioWriter, Transport};
use rmcp::RoleServer;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Mutex;
use tokio_util::bytes::BytesMut;
use tokio_util::codec::{
    AnyDelimiterCodec, AnyDelimiterCodecError, Decoder, FramedRead, FramedWrite,
};

/// Largest message accepted, as rmcp's; a longer line is answered as unparsable.
const MAX_LINE_BYTES: usize = DEFAULT_MAX_LINE_LENGTH;

/// rmcp's side of stdin and stdout: client messages in, server messages out, one per line.
pub struct StdioTransport<R, W> {
    input: FramedRead<R, LineCodec>,
    output: Arc<Mutex<FramedWrite<W, JsonRpcMessageCodec<Outgoing>>>>,
    /// The answer to the last refused line, until it is in the writer.
    unanswered: Option<Value>,
    /// Whether the client has sent a request yet.
    requested: bool,
}

/// The process's stdin and stdout, opened as rmcp opens them for a stdio server (pipes are
/// polled by the runtime, other files read and written on its blocking threads).
pub fn stdio() -> StdioTransport<StdioReader, StdioWriter> {
    let (input, output) = rmcp::transport::stdio_pipes();
    StdioTransport::new(input, output)
}

impl<R: AsyncRead, W: AsyncWrite> StdioTransport<R, W> {
    /// Client messages read from `input`, server messages written to `output`.
    pub fn new(input: R, output: W) -> Self {
        let lines =
            AnyDelimiterCodec::new_with_max_length(vec![b'\n'], vec![b'\n'], MAX_LINE_BYTES);
        Self {
            input: FramedRead::new(input, LineCodec(lines)),
            output: Arc::new(Mutex::new(FramedWrite::new(
                output,
                JsonRpcMessageCodec::default(),
            ))),
            unanswered: None,
            requested: false,
        }
    }
}

/// A line for stdout.
#[derive(serde::Serialize)]
#[serde(untagged)]
#[expect(
    clippy::large_enum_variant,
    reason = "each one is encoded into the writer's buffer at once"
)]
enum Outgoing {
    Message(ServerJsonRpcMessage),
    /// The error response to a refused line.
    Answer(Value),
}

impl<R, W> Transport<RoleServer> for StdioTransport<R, W>
where
    R: AsyncRead + Send + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    type Error = io::Error;

    fn send(
        &mut self,
        item: ServerJsonRpcMessage,
    ) -> impl Future<Output = io::Result<()>> + Send + 'static {
        let output = self.output.clone();
        async move {
            let mut output = output.lock().await;
            Ok(output.send(Outgoing::Message(item)).await?)
        }
    }

    /// rmcp polls this against its other work and drops it when that comes first, so nothing
    /// is lost then: a line is taken from the reader only whole, and an answer is let go only
    /// once it is in the writer's buffer (which this flush, or the next message's, writes out).
    async fn receive(&mut self) -> Option<ClientJsonRpcMessage> {
        loop {
            if let Some(answer) = &self.unanswered {
                let mut output = self.output.lock().await;
                output.feed(Outgoing::Answer(answer.clone())).await.ok()?;
                self.unanswered = None;
                output.flush().await.ok()?;
            }
            match self.input.next().await? {
                Ok(Line::Message(message)) => {
                    self.requested |= matches!(message, ClientJsonRpcMessage::Request(_));
                    if self.requested {
                        return Some(message);
                    }
                    tracing::debug!("dropping a message sent before any request: {message:?}");
                }
                Ok(Line::Refused(answer)) => self.unanswered = answer,
                Err(error) => {
                    tracing::error!("cannot read stdin: {error}");
                    return None;
                }
            }
        }
    }

    /// Writes out what is buffered and closes stdout.
    async fn close(&mut self) -> io::Result<()> {
        Ok(self.output.lock().await.close().await?)
    }
}

/// One line of stdin, parsed.
#[expect(
    clippy::large_enum_variant,
    reason = "each one is handed on (or answered) as soon as it is read"
)]
enum Line {
    Message(ClientJsonRpcMessage),
    /// A line rmcp cannot take, and its answer (`None`: a notification, left unanswered).
    Refused(Option<Value>),
}

/// Splits stdin into lines of at most [`MAX_LINE_BYTES`] and parses each; blank lines are
/// skipped.
struct LineCodec(AnyDelimiterCodec);

impl LineCodec {
    /// The next line of `buf`, from `split` (the line codec's `decode` or `decode_eof`).
    fn next_line(
        &mut self,
        buf: &mut BytesMut,
        split: fn(
            &mut AnyDelimiterCodec,
            &mut BytesMut,
        ) -> Result<Option<tokio_util::bytes::Bytes>, AnyDelimiterCodecError>,
    ) -> io::Result<Option<Line>> {
        loop {
            match split(&mut self.0, buf) {
                Ok(Some(line)) => {
                    if let Some(line) = parse(&line) {
                        return Ok(Some(line));
                    }
                }
                Ok(None) => return Ok(None),
                Err(AnyDelimiterCodecError::MaxChunkLengthExceeded) => {
                    let reason = format!("message longer than {MAX_LINE_BYTES} bytes");
                    return Ok(Some(Line::Refused(Some(parse_error(&reason)))));
                }
                Err(AnyDelimiterCodecError::Io(error)) => return Err(error),
            }
        }
    }
}

impl Decoder for LineCodec {
    type Item = Line;
    type Error = io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> io::Result<Option<Line>> {
        self.next_line(buf, AnyDelimiterCodec::decode)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> io::Result<Option<Line>> {
        self.next_line(buf, AnyDelimiterCodec::decode_eof)
    }
}

/// `line` as a message, or refused with its answer; `None` for a blank line.
fn parse(line: &[u8]) -> Option<Line> {
    let text = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if text.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(match serde_json::from_slice::<ClientJsonRpcMessage>(text) {
        Ok(message) => Line::Message(message),
        Err(error) => Line::Refused(answer(text, &error)),
    })
}

/// The answer to a line rmcp's parser refused (`error` says why): `-32700` when it is not JSON;
/// otherwise `-32600` with the request's id (`null` when it has none a client could have used:
/// missing, an object, a batch), also for a line holding a number serde cannot represent
/// (`1e400`) or nested too deep. `None` for a malformed notification.
fn answer(text: &[u8], error: &serde_json::Error) -> Option<Value> {
    match serde_json::from_slice::<serde::de::IgnoredAny>(text) {
        Err(syntax) if syntax.is_syntax() || syntax.is_eof() => {
            tracing::debug!("answering an unparsable line with -32700: {syntax}");
            return Some(parse_error(&syntax.to_string()));
        }
        _ => {}
    }
    // Only an object has members (serde would also read an array as the struct's fields).
    let envelope = match text.trim_ascii_start().first() {
        Some(b'{') => serde_json::from_slice::<Envelope>(text).unwrap_or_default(),
        _ => Envelope::default(),
    };
    let id = match envelope.id {
        None if envelope.method.is_some_and(|method| method.is_string()) => {
            tracing::debug!("dropping a malformed notification: {error}");
            return None;
        }
        Some(id @ (Value::String(_) | Value::Number(_))) => id,
        _ => Value::Null,
    };
    tracing::debug!("answering a malformed message with -32600: {error}");
    Some(error_response(
        id,
        -32600,
        &format!("Invalid Request: {error}"),
    ))
}

/// The members of a message that decide how to answer it; the others are skipped unread.
#[derive(Default, serde::Deserialize)]
struct Envelope {
    /// `Some(null)` for `"id": null`, `None` when absent.
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    method: Option<Value>,
}

fn present<'de, D: serde::Deserializer<'de>>(value: D) -> Result<Option<Value>, D::Error> {
    serde::Deserialize::deserialize(value).map(Some)
}

fn parse_error(reason: &str) -> Value {
    error_response(Value::Null, -32700, &format!("Parse error: {reason}"))
}

fn error_response(id: Value, code: i64, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

#[cfg(test)]
mod prop_tests {
    //! Every client line rmcp can take reaches it as that line's message; every other one is
    //! answered with exactly one well-formed error carrying the request's id (`-32700` for
    //! non-JSON, `-32600` for JSON of the wrong shape), in order; only a malformed notification
    //! goes unanswered, and a blank line is skipped.

    use super::*;
    use proptest::prelude::*;
    use rmcp::model::ServerResult;
    use tokio::io::AsyncReadExt;

    /// What the transport did with `input`: the messages it passed to rmcp (as JSON) and every
    /// line it wrote to stdout.
    fn handle(input: &[u8]) -> (Vec<Value>, Vec<Value>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a test runtime");
        let (output, mut written) = tokio::io::duplex(64 * 1024);
        let (forwarded, text) = runtime.block_on(async {
            let mut transport = StdioTransport::new(input, output);
            let receive = async move {
                let mut forwarded = Vec::new();
                while let Some(message) = transport.receive().await {
                    forwarded.push(serde_json::to_value(message).expect("a message as JSON"));
                }
                transport.close().await.expect("stdout closes");
                drop(transport);
                forwarded
            };
            let mut text = String::new();
            let (forwarded, read) = tokio::join!(receive, written.read_to_string(&mut text));
            read.expect("stdout is text");
            (forwarded, text)
        });
        assert!(text.is_empty() || text.ends_with('\n'), "{text}");
        let replies = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("an answer is JSON"))
            .collect();
        (forwarded, replies)
    }

    /// What must become of a line: forwarded (as this message), answered (id and code),
    /// dropped (a malformed notification, or a message other than a request before the first
    /// request) or skipped (blank).
    #[derive(Debug, PartialEq)]
    enum Fate {
        Forwarded(Value),
        Answered(Value, i64),
        Dropped,
        Skipped,
    }

    /// The fate of `line`; `requested` tells (and records) whether a request went before.
    fn fate(line: &[u8], requested: &mut bool) -> Fate {
        let text = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        if text.iter().all(u8::is_ascii_whitespace) {
            return Fate::Skipped;
        }
        if let Ok(message) = serde_json::from_slice::<ClientJsonRpcMessage>(text) {
            *requested |= matches!(message, ClientJsonRpcMessage::Request(_));
            if !*requested {
                return Fate::Dropped;
            }
            return Fate::Forwarded(serde_json::to_value(message).expect("a message as JSON"));
        }
        let Ok(value) = serde_json::from_slice::<Value>(text) else {
            // JSON too deep for serde is still JSON; the generated deep lines have no id.
            let syntax = serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok();
            return Fate::Answered(Value::Null, if syntax { -32600 } else { -32700 });
        };
        match value.get("id") {
            None if value.get("method").is_some_and(Value::is_string) => Fate::Dropped,
            Some(id @ (Value::String(_) | Value::Number(_))) => Fate::Answered(id.clone(), -32600),
            _ => Fate::Answered(Value::Null, -32600),
        }
    }

    /// The id and code of a well-formed JSON-RPC error response.
    fn answered(reply: &Value) -> Fate {
        assert_eq!(reply["jsonrpc"], "2.0", "{reply}");
        assert!(
            reply.get("id").is_some(),
            "an answer without an id: {reply}"
        );
        assert!(reply.get("result").is_none(), "{reply}");
        let code = reply["error"]["code"].as_i64().expect("an error code");
        let message = reply["error"]["message"]
            .as_str()
            .expect("an error message");
        let prefix = if code == -32700 {
            "Parse error: "
        } else {
            "Invalid Request: "
        };
        assert!(message.starts_with(prefix), "{reply}");
        Fate::Answered(reply["id"].clone(), code)
    }

    /// Arbitrary JSON scalars: null, booleans, integers, floats and short strings.
    fn json_scalar() -> impl Strategy<Value = Value> + Clone {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
        ]
    }

    /// Arbitrary JSON values, nested a few levels.
    fn json_value() -> impl Strategy<Value = Value> {
        json_scalar().prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{0,8}", inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// JSON-RPC-like messages with arbitrary ids, methods and params.
    fn json_rpc() -> impl Strategy<Value = Value> {
        let method = prop_oneof![
            Just("tools/call".to_string()),
            Just("tools/list".to_string()),
            Just("initialize".to_string()),
            ".{0,16}",
        ];
        (json_value(), method, json_value()).prop_map(|(id, method, params)| {
            json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
        })
    }

    /// One line without its newline: raw bytes, text, JSON, JSON-RPC, cut JSON, deep nesting.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            ".{0,64}".prop_map(String::into_bytes),
            json_value().prop_map(|v| v.to_string().into_bytes()),
            json_rpc().prop_map(|v| v.to_string().into_bytes()),
            (json_rpc(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
                let text = v.to_string().into_bytes();
                text[..cut.index(text.len() + 1)].to_vec()
            }),
            (1usize..400).prop_map(
                |depth| format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
            ),
            json_rpc()
                .prop_map(|v| [b"\xEF\xBB\xBF".as_slice(), v.to_string().as_bytes()].concat()),
            "[ \t\r]{0,4}".prop_map(String::into_bytes),
            prop::sample::select(vec![
                r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":"x"}"#,
                r#"{"jsonrpc":"1.0","id":"a","method":"tools/list"}"#,
                r#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#,
                r#"{"jsonrpc":"2.0","id":null,"method":"ping","params":7}"#,
                r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":5}"#,
                r#"{"jsonrpc":"2.0","method":1,"params":"bar"}"#,
                r#"[{"jsonrpc":"2.0","id":9,"method":"ping"}]"#,
                r#"{"jsonrpc":"2.0","id":10,"method":"ping"}"#,
                r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":10}}"#,
                r#"{"jsonrpc":"2.0","id":11,"result":{}}"#,
            ])
            .prop_map(|line| line.as_bytes().to_vec()),
        ]
        .prop_map(|mut line| {
            line.retain(|b| *b != b'\n');
            line
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1000)
        ))]

        #[test]
        fn each_line_is_forwarded_or_answered_once_with_its_id(mut lines in prop::collection::vec(line(), 1..12), trailing in any::<bool>()) {
            let mut input = lines.join(&b'\n');
            if trailing {
                input.push(b'\n');
            } else if lines.last().is_some_and(Vec::is_empty) {
                lines.pop(); // nothing after the last newline: no line there
            }
            let (forwarded, replies) = handle(&input);
            let mut requested = false;
            let fates: Vec<Fate> = lines.iter().map(|line| fate(line, &mut requested)).collect();
            let expected_forwarded: Vec<&Value> = fates
                .iter()
                .filter_map(|fate| match fate {
                    Fate::Forwarded(message) => Some(message),
                    _ => None,
                })
                .collect();
            prop_assert_eq!(forwarded.iter().collect::<Vec<_>>(), expected_forwarded);
            let expected_answers: Vec<&Fate> =
                fates.iter().filter(|fate| matches!(fate, Fate::Answered(..))).collect();
            let answers: Vec<Fate> = replies.iter().map(answered).collect();
            prop_assert_eq!(answers.iter().collect::<Vec<_>>(), expected_answers);
        }
    }

    #[test]
    fn requests_serde_cannot_represent_are_answered_with_their_id() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for line in [
            r#"{"jsonrpc":"2.0","id":8,"method":"ping","params":{"x":1e400}}"#.to_string(),
            format!(
                r#"{{"jsonrpc":"2.0","id":"d","method":"tools/call","params":{{"name":"x","arguments":{{"a":{deep}}}}}}}"#
            ),
        ] {
            let (forwarded, replies) = handle(line.as_bytes());
            assert!(forwarded.is_empty(), "{line}");
            assert_eq!(replies.len(), 1);
            let id = serde_json::from_str::<Envelope>(&line).unwrap().id.unwrap();
            assert_eq!(answered(&replies[0]), Fate::Answered(id, -32600));
        }
    }

    #[test]
    fn a_line_over_the_limit_is_answered_once_and_the_next_line_still_goes_through() {
        let next = br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
        for huge in [
            vec![b'x'; MAX_LINE_BYTES + 1],
            [b"\"".as_slice(), &vec![b'a'; MAX_LINE_BYTES], b"\""].concat(),
        ] {
            let input = [huge.as_slice(), b"\n", next, b"\n"].concat();
            let (forwarded, replies) = handle(&input);
            let message = serde_json::from_slice::<ClientJsonRpcMessage>(next).unwrap();
            assert_eq!(forwarded, vec![serde_json::to_value(message).unwrap()]);
            assert_eq!(replies.len(), 1);
            assert_eq!(answered(&replies[0]), Fate::Answered(Value::Null, -32700));
            assert!(replies[0]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("longer than"));
        }
    }

    #[test]
    fn server_messages_and_answers_reach_stdout_as_whole_lines() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a test runtime");
        let input: &[u8] = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\nnot json\n";
        let (output, mut written) = tokio::io::duplex(4096);
        let text = runtime.block_on(async {
            let mut transport = StdioTransport::new(input, output);
            let (_, id) = transport.receive().await.unwrap().into_request().unwrap();
            let pong = ServerJsonRpcMessage::response(ServerResult::empty(()), id);
            transport.send(pong.clone()).await.unwrap();
            assert!(transport.receive().await.is_none(), "stdin has ended");
            transport.close().await.unwrap();
            drop(transport);
            let mut text = String::new();
            written.read_to_string(&mut text).await.unwrap();
            text
        });
        let replies: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(replies.len(), 2, "{text}");
        assert_eq!(replies[0], json!({"jsonrpc":"2.0","id":1,"result":{}}));
        assert_eq!(answered(&replies[1]), Fate::Answered(Value::Null, -32700));
    }
}
