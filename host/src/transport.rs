//! The stdio transport: newline-delimited JSON-RPC between the client and rmcp, with the two
//! answers rmcp's own stdio transport does not give. rmcp 3.11 silently drops a line that is not
//! JSON; JSON-RPC 2.0 requires a `-32700 Parse error` response (with `id: null`). And it answers
//! JSON that is not a valid message with a `-32600` that has no `id`, which no client can match
//! to its request. A notification sent before the first request (say `notifications/initialized`
//! ahead of `initialize`) would end rmcp's session; here it is dropped, as it refers to nothing.
//!
//! So this is rmcp's transport itself, not a filter in front of rmcp's own: a reader task parses
//! each line once, into rmcp's message type with rmcp's parser, and hands the message to the
//! service; only a line that fails is looked at again, to answer it (the `-32600` with the request's id). `send`
//! serializes a server message into one line, and a single writer task owns stdout: server
//! messages and these answers are written whole, in the order queued.

use std::future::Future;
use std::io;

use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::Transport;
use rmcp::RoleServer;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinHandle};

/// Largest message accepted, as rmcp's own limit; a longer line is answered as unparsable.
const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Parsed client messages the reader may hold before the service takes them; past that, stdin
/// is left unread.
const READ_AHEAD_MESSAGES: usize = 64;

/// rmcp's side of stdin and stdout: parsed client messages in, server messages out.
pub struct StdioTransport {
    /// Client messages from the reader task, which ends (closing this) when stdin does.
    incoming: mpsc::Receiver<ClientJsonRpcMessage>,
    /// Lines for the writer task; `None` once closed.
    outgoing: Option<mpsc::UnboundedSender<Vec<u8>>>,
    /// The reader task, stopped on close.
    reader: AbortHandle,
}

impl StdioTransport {
    /// Starts the reader on `input` (stdin) and the writer on `output` (stdout). The writer's
    /// handle ends after `output` has received every queued line, once the transport is closed
    /// or dropped and the reader has stopped (at the end of stdin, or on close): await it
    /// before exiting.
    pub fn start(
        input: impl AsyncRead + Unpin + Send + 'static,
        output: impl AsyncWrite + Unpin + Send + 'static,
    ) -> (Self, JoinHandle<()>) {
        let (to_rmcp, incoming) = mpsc::channel(READ_AHEAD_MESSAGES);
        let (lines, outgoing) = mpsc::unbounded_channel();
        let reader = tokio::spawn(read_client(input, to_rmcp, lines.clone())).abort_handle();
        let writer = tokio::spawn(write_out(output, outgoing));
        let transport = Self {
            incoming,
            outgoing: Some(lines),
            reader,
        };
        (transport, writer)
    }

    /// Queues `message` for stdout as one line.
    fn queue(&self, message: &ServerJsonRpcMessage) -> io::Result<()> {
        let outgoing = self.outgoing.as_ref().ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotConnected, "the transport is closed")
        })?;
        let line = json_line(message)?;
        outgoing
            .send(line)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "stdout is closed"))
    }
}

impl Transport<RoleServer> for StdioTransport {
    type Error = io::Error;

    fn send(
        &mut self,
        item: ServerJsonRpcMessage,
    ) -> impl Future<Output = io::Result<()>> + Send + 'static {
        // Queued now, so lines keep the order of the calls whenever the futures are polled.
        std::future::ready(self.queue(&item))
    }

    async fn receive(&mut self) -> Option<ClientJsonRpcMessage> {
        self.incoming.recv().await
    }

    /// Stops reading stdin and lets the writer end once it has written what is queued.
    async fn close(&mut self) -> io::Result<()> {
        self.reader.abort();
        self.incoming.close();
        self.outgoing = None;
        Ok(())
    }
}

/// Reads client lines: each one rmcp can take goes to it parsed; the others are answered
/// (`-32700` when not JSON, `-32600` when not a message) or, malformed notifications, dropped.
/// A notification or response before the client's first request is dropped too: it cannot
/// refer to anything yet, and rmcp would end the session on it (it expects a request first).
async fn read_client(
    input: impl AsyncRead + Unpin,
    to_rmcp: mpsc::Sender<ClientJsonRpcMessage>,
    answers: mpsc::UnboundedSender<Vec<u8>>,
) {
    let mut reader = BufReader::new(input);
    let mut line = Vec::new();
    let mut requested = false;
    loop {
        line.clear();
        let read = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .await;
        match read {
            Ok(0) => break,
            Ok(_) => {}
            Err(error) => {
                tracing::error!("cannot read stdin: {error}");
                break;
            }
        }
        if line.len() > MAX_LINE_BYTES && line.last() != Some(&b'\n') {
            skip_rest_of_line(&mut reader).await;
            let _ = answers.send(parse_error(&format!(
                "message longer than {MAX_LINE_BYTES} bytes"
            )));
            continue;
        }
        let text = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&line);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue; // a blank line, skipped as rmcp does
        }
        match serde_json::from_slice::<ClientJsonRpcMessage>(text) {
            Ok(message) => {
                let is_request = matches!(message, ClientJsonRpcMessage::Request(_));
                if !requested && !is_request {
                    tracing::debug!("dropping a message sent before any request: {message:?}");
                    continue;
                }
                requested = true;
                if to_rmcp.send(message).await.is_err() {
                    break;
                }
            }
            Err(error) => {
                if let Some(answer) = answer(text, &error) {
                    let _ = answers.send(answer);
                }
            }
        }
    }
    // Dropping `to_rmcp` makes `receive` return `None`, which ends the service.
}

async fn skip_rest_of_line(reader: &mut (impl AsyncBufReadExt + Unpin)) {
    loop {
        let Ok(buffer) = reader.fill_buf().await else {
            return;
        };
        if buffer.is_empty() {
            return;
        }
        match buffer.iter().position(|b| *b == b'\n') {
            Some(end) => {
                reader.consume(end + 1);
                return;
            }
            None => {
                let all = buffer.len();
                reader.consume(all);
            }
        }
    }
}

/// The answer to a line that is not a message rmcp can take (`error` says why): `-32700` when
/// it is not JSON. rmcp would answer a well-formed line of the wrong shape (`"params": "x"`, an
/// object id, a batch) with `-32600` but without any `id`, and drop one holding a number serde
/// cannot represent (`1e400`), so a client waiting for that request would never see its answer.
/// Here such a line is answered with `-32600` and the request's id (`null` when it has none a
/// client could have used). `None` for a malformed notification: never answered (JSON-RPC 2.0
/// §4.1).
fn answer(text: &[u8], error: &serde_json::Error) -> Option<Vec<u8>> {
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
        Some(id @ (serde_json::Value::String(_) | serde_json::Value::Number(_))) => id,
        _ => serde_json::Value::Null,
    };
    tracing::debug!("answering a malformed message with -32600: {error}");
    Some(error_line(id, -32600, &format!("Invalid Request: {error}")))
}

/// The members of a message that decide how to answer it; the others are skipped unread.
#[derive(Default, serde::Deserialize)]
struct Envelope {
    /// `Some(null)` for `"id": null`, `None` when absent.
    #[serde(default, deserialize_with = "present")]
    id: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    method: Option<serde_json::Value>,
}

fn present<'de, D: serde::Deserializer<'de>>(
    value: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    serde::Deserialize::deserialize(value).map(Some)
}

fn parse_error(reason: &str) -> Vec<u8> {
    error_line(
        serde_json::Value::Null,
        -32700,
        &format!("Parse error: {reason}"),
    )
}

/// One JSON-RPC error response line.
fn error_line(id: serde_json::Value, code: i64, message: &str) -> Vec<u8> {
    let error = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message },
    });
    // Cannot fail: a `Value`'s keys are strings, and writing to memory has no I/O errors.
    json_line(&error).unwrap_or_default()
}

/// `message` as one line of compact JSON, newline included.
fn json_line(message: &impl serde::Serialize) -> serde_json::Result<Vec<u8>> {
    let mut line = serde_json::to_vec(message)?;
    line.push(b'\n');
    Ok(line)
}

/// Writes whole lines to stdout, flushing after each, until every sender is gone.
async fn write_out(
    mut output: impl AsyncWrite + Unpin,
    mut lines: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    while let Some(line) = lines.recv().await {
        if output.write_all(&line).await.is_err() || output.flush().await.is_err() {
            tracing::error!("stdout is closed; dropping server messages");
            break;
        }
    }
}

#[cfg(test)]
pub(crate) mod prop_tests {
    //! Properties of the line handling: every client line rmcp can take is forwarded to it as
    //! that line's message, every other one answered with exactly one well-formed error carrying
    //! the request's id (`-32700` for non-JSON, `-32600` for JSON of the wrong shape), in order;
    //! only a malformed notification goes unanswered (and a blank line is skipped).

    use super::*;
    use proptest::prelude::*;
    use rmcp::model::ServerResult;
    use serde_json::Value;

    /// What `read_client` did with `input`: the messages it forwarded (as JSON) and the answers
    /// it sent.
    fn handle(input: &[u8]) -> (Vec<Value>, Vec<Value>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a test runtime");
        let (to_rmcp, mut incoming) = mpsc::channel(READ_AHEAD_MESSAGES);
        let (answers, mut received) = mpsc::unbounded_channel();
        let mut forwarded = Vec::new();
        runtime.block_on(async {
            let collect = async {
                while let Some(message) = incoming.recv().await {
                    forwarded.push(serde_json::to_value(message).expect("a message as JSON"));
                }
            };
            tokio::join!(read_client(input, to_rmcp, answers), collect);
        });
        let mut replies = Vec::new();
        while let Ok(line) = received.try_recv() {
            assert_eq!(line.last(), Some(&b'\n'), "an answer is one whole line");
            assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
            replies.push(serde_json::from_slice(&line).expect("an answer is JSON"));
        }
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
            serde_json::json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })
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
    fn sent_messages_reach_stdout_as_whole_lines_before_the_writer_ends() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a test runtime");
        let input: &[u8] = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\nnot json\n";
        let (output, mut written) = tokio::io::duplex(4096);
        let lines = runtime.block_on(async {
            let (mut transport, writer) = StdioTransport::start(input, output);
            let (_, id) = transport.receive().await.unwrap().into_request().unwrap();
            let pong = ServerJsonRpcMessage::response(ServerResult::empty(()), id);
            transport.send(pong.clone()).await.unwrap();
            assert!(transport.receive().await.is_none(), "stdin has ended");
            transport.close().await.unwrap();
            assert!(transport.send(pong).await.is_err(), "closed");
            writer.await.unwrap();
            let mut text = String::new();
            written.read_to_string(&mut text).await.unwrap();
            text
        });
        let mut replies: Vec<Value> = lines
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        replies.sort_by_key(|reply| reply["id"].is_null());
        assert_eq!(replies.len(), 2, "{lines}");
        assert_eq!(
            replies[0],
            serde_json::json!({"jsonrpc":"2.0","id":1,"result":{}})
        );
        assert_eq!(answered(&replies[1]), Fate::Answered(Value::Null, -32700));
    }
}
