//! The stdio transport: newline-delimited JSON-RPC between the client and rmcp, plus the one
//! answer rmcp does not give. rmcp 3.11 silently drops a line that is not JSON; JSON-RPC 2.0
//! requires a `-32700 Parse error` response (with `id: null`). The reader here answers such lines
//! itself and hands every other line to rmcp unchanged; a single writer task owns stdout, so
//! rmcp's messages and these answers never interleave within a line.

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

fn parse_error(reason: &str) -> Vec<u8> {
    let mut line = json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": -32700, "message": format!("Parse error: {reason}") },
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
