//! The stdio transport: newline-delimited JSON-RPC between the client and rmcp, plus the two
//! answers rmcp does not give. rmcp 3.11 silently drops a line that is not JSON; JSON-RPC 2.0
//! requires a `-32700 Parse error` response (with `id: null`). And it answers JSON that is not a
//! valid message with a `-32600` that has no `id`, which no client can match to its request.
//! The reader here answers both kinds of line itself (the second with the request's id) and
//! hands every other line to rmcp unchanged; a single writer task owns stdout, so rmcp's
//! messages and these answers never interleave within a line.

use serde_json::json;
use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Largest message accepted, as rmcp's own limit; a longer line is answered as unparsable.
const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Pipe capacity between the pumps and rmcp.
const PIPE_BYTES: usize = 64 * 1024;

/// The rmcp side of the transport and the pump tasks behind it.
pub struct StdioTransport {
    /// What rmcp reads from (client messages) and writes to (server messages).
    pub rmcp_end: DuplexStream,
    /// Ends when stdout has received every message; await it before exiting.
    pub writer: JoinHandle<()>,
}

impl StdioTransport {
    /// Starts the pumps between `input`/`output` (stdin/stdout) and rmcp.
    pub fn start(
        input: impl AsyncRead + Unpin + Send + 'static,
        output: impl AsyncWrite + Unpin + Send + 'static,
    ) -> Self {
        let (rmcp_end, pump_end) = tokio::io::duplex(PIPE_BYTES);
        let (from_rmcp, to_rmcp) = tokio::io::split(pump_end);
        let (lines, outgoing) = mpsc::unbounded_channel::<Vec<u8>>();
        tokio::spawn(read_client(input, to_rmcp, lines.clone()));
        tokio::spawn(forward_server(from_rmcp, lines));
        let writer = tokio::spawn(write_out(output, outgoing));
        Self { rmcp_end, writer }
    }
}

/// Reads client lines: unparsable ones are answered with `-32700`, the others go to rmcp.
async fn read_client(
    input: impl AsyncRead + Unpin,
    mut to_rmcp: impl AsyncWrite + Unpin,
    answers: mpsc::UnboundedSender<Vec<u8>>,
) {
    let mut reader = BufReader::new(input);
    let mut line = Vec::new();
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
        if let Some(reason) = unparsable(&line) {
            tracing::debug!("answering an unparsable line with -32700: {reason}");
            let _ = answers.send(parse_error(&reason));
            continue;
        }
        match invalid_message(&line) {
            Some(Invalid::Request(answer)) => {
                let _ = answers.send(answer);
                continue;
            }
            Some(Invalid::Notification) => continue,
            None => {}
        }
        if line.last() != Some(&b'\n') {
            line.push(b'\n');
        }
        if to_rmcp.write_all(&line).await.is_err() {
            break;
        }
    }
    // Closing rmcp's input ends the service, which then closes its output.
    let _ = to_rmcp.shutdown().await;
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

/// Why `line` is not JSON, or `None` if it is (or is blank, which rmcp skips).
fn unparsable(line: &[u8]) -> Option<String> {
    let text = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if text.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    match serde_json::from_slice::<serde::de::IgnoredAny>(text) {
        Ok(_) => None,
        Err(error) if error.is_syntax() || error.is_eof() => Some(error.to_string()),
        Err(_) => None,
    }
}

/// A JSON line that is not a message rmcp can take.
enum Invalid {
    /// The `-32600` answer, with the request's id when it has a usable one.
    Request(Vec<u8>),
    /// A malformed notification: never answered (JSON-RPC 2.0 §4.1).
    Notification,
}

/// Checks a JSON line against rmcp's own message type. rmcp answers a well-formed line of the
/// wrong shape (`"params": "x"`, an object id, a batch) with `-32600` but without any `id`, and
/// drops one holding a number serde cannot represent (`1e400`), so a client waiting for that
/// request never sees its answer. Here such a line is answered with `-32600` and the request's
/// id (`null` when it has none a client could have used). `None`: a valid message (or blank).
fn invalid_message(line: &[u8]) -> Option<Invalid> {
    let text = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if text.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let error = serde_json::from_slice::<rmcp::model::ClientJsonRpcMessage>(text).err()?;
    // Only an object has members (serde would also read an array as the struct's fields).
    let envelope = match text.trim_ascii_start().first() {
        Some(b'{') => serde_json::from_slice::<Envelope>(text).unwrap_or_default(),
        _ => Envelope::default(),
    };
    let id = match envelope.id {
        None if envelope.method.is_some_and(|method| method.is_string()) => {
            tracing::debug!("dropping a malformed notification: {error}");
            return Some(Invalid::Notification);
        }
        Some(id @ (serde_json::Value::String(_) | serde_json::Value::Number(_))) => id,
        _ => serde_json::Value::Null,
    };
    tracing::debug!("answering a malformed message with -32600: {error}");
    Some(Invalid::Request(error_line(
        id,
        -32600,
        &format!("Invalid Request: {error}"),
    )))
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
    let mut line = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message },
    })
    .to_string()
    .into_bytes();
    line.push(b'\n');
    line
}

/// Forwards rmcp's output line by line to the writer.
async fn forward_server(from_rmcp: impl AsyncRead + Unpin, lines: mpsc::UnboundedSender<Vec<u8>>) {
    let mut reader = BufReader::new(from_rmcp);
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                if lines.send(line).is_err() {
                    break;
                }
            }
        }
    }
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
mod prop_tests {
    //! Properties of the line handling: every client line is forwarded to rmcp unchanged only
    //! if rmcp can take it, else answered with exactly one well-formed error carrying the
    //! request's id (`-32700` for non-JSON, `-32600` for JSON of the wrong shape), in order;
    //! only a malformed notification goes unanswered.

    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// What `read_client` did with `input`: the lines it forwarded and the answers it sent.
    fn handle(input: &[u8]) -> (Vec<Vec<u8>>, Vec<Value>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a test runtime");
        let mut forwarded = Vec::new();
        let (answers, mut received) = mpsc::unbounded_channel();
        runtime.block_on(read_client(input, &mut forwarded, answers));
        let mut replies = Vec::new();
        while let Ok(line) = received.try_recv() {
            assert_eq!(line.last(), Some(&b'\n'), "an answer is one whole line");
            assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
            replies.push(serde_json::from_slice(&line).expect("an answer is JSON"));
        }
        let lines = forwarded
            .split_inclusive(|b| *b == b'\n')
            .map(|line| line.strip_suffix(b"\n").expect("whole lines").to_vec())
            .collect();
        (lines, replies)
    }

    /// What must become of a line: forwarded, answered (id and code), or dropped.
    #[derive(Debug, PartialEq)]
    enum Fate {
        Forwarded,
        Answered(Value, i64),
        Dropped,
    }

    fn fate(line: &[u8]) -> Fate {
        let text = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        if text.iter().all(u8::is_ascii_whitespace) {
            return Fate::Forwarded;
        }
        if serde_json::from_slice::<rmcp::model::ClientJsonRpcMessage>(text).is_ok() {
            return Fate::Forwarded;
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

    /// Arbitrary JSON values, nested a few levels.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
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
            let fates: Vec<Fate> = lines.iter().map(|line| fate(line)).collect();
            let expected_forwarded: Vec<Vec<u8>> = lines
                .iter()
                .zip(&fates)
                .filter(|(_, fate)| **fate == Fate::Forwarded)
                .map(|(line, _)| line.clone())
                .collect();
            prop_assert_eq!(&forwarded, &expected_forwarded);
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
            assert_eq!(forwarded, vec![next.to_vec()]);
            assert_eq!(replies.len(), 1);
            assert_eq!(answered(&replies[0]), Fate::Answered(Value::Null, -32700));
            assert!(replies[0]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("longer than"));
        }
    }
}
