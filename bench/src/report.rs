//! The report (`docs/performance.md`): the run's figures as markdown tables under one header
//! naming the machine and the date, `ktrdr-mcp` against the Python peer first (over stdio, then
//! over Streamable HTTP), and each target met or missed.

use std::fmt::Write;

use crate::cold_start::{ColdStart, ColdStarts, SPAWNS};
use crate::concurrency::{ConcurrencyRow, Throughput};
use crate::footprint::Footprint;
use crate::latency::LatencyRow;
use crate::machine::Machine;
use crate::remote::{Remote, SESSIONS};

/// Host overhead over the like-for-like (kept-alive) floor at p50, µs.
const TARGET_OVERHEAD_P50_MICROS: f64 = 100.0;
/// Cached cold start to the `initialize` result at p50, ms.
const TARGET_COLD_START_MILLIS: f64 = 20.0;
/// The concurrency level the throughput target is set at.
const TARGET_IN_FLIGHT: usize = 16;
/// Host throughput as a share of the like-for-like floor's at [`TARGET_IN_FLIGHT`], %.
const TARGET_THROUGHPUT_PERCENT: f64 = 70.0;
/// Peak RSS under the 64-in-flight load, MB (10⁶ bytes).
const TARGET_LOADED_RSS_MB: f64 = 40.0;
/// The release component's size, KB (10³ bytes).
const TARGET_COMPONENT_KB: f64 = 300.0;

/// Everything one run measured.
pub struct Report {
    /// Where and when.
    pub machine: Machine,
    /// The 1/5/15-minute load averages when the run ended.
    pub load_at_end: String,
    /// Sequential per-call latency by tool.
    pub latency: Vec<LatencyRow>,
    /// Start-up times.
    pub cold_starts: ColdStarts,
    /// Throughput by calls in flight.
    pub concurrency: Vec<ConcurrencyRow>,
    /// Both servers over Streamable HTTP.
    pub remote: Remote,
    /// Memory and sizes.
    pub footprint: Footprint,
}

/// Renders `report` as markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    write_header(&mut out, report);
    write_peer_comparison(&mut out, report);
    write_remote(&mut out, &report.remote);
    write_targets(&mut out, report);
    write_latency(&mut out, &report.latency);
    write_cold_starts(&mut out, &report.cold_starts);
    write_concurrency(&mut out, &report.concurrency);
    write_cpu_budget(&mut out, report);
    write_peer_concurrency(&mut out, &report.concurrency);
    write_sizes(&mut out, &report.footprint);
    out
}

fn write_header(out: &mut String, report: &Report) {
    let machine = &report.machine;
    let _ = writeln!(out, "# Performance\n");
    let _ = writeln!(
        out,
        "**{} · {} · {} cores (nproc) · load average {} at start, {} at end** · written by `make bench`\n",
        machine.date, machine.cpu, machine.cores, machine.load_at_start, report.load_at_end
    );
    let _ = writeln!(
        out,
        "Servers: `ktrdr-mcp` (native build) and the Python MCP server of the implementation plan \
         (`bench/peer/ktrdr_peer.py`: the official MCP Python SDK, one pooled `httpx.AsyncClient`, \
         the backend's JSON passed through), each over stdio, driven by one rmcp client (and over Streamable HTTP: see its section); backend: \
         `ktrdr-backend` on loopback. Floor: the same HTTP request from native Rust (hyper \
         HTTP/1.1). Routes and floors alternate in blocks within this run, after a warm-up. CPU \
         per call: the server process's CPU time (all threads, from \
         `/proc/<pid>/task/*/schedstat`) over those calls, divided by their number; client + \
         backend CPU likewise for the driver (this benchmark's process) and the backend. RSS: \
         the server's peak resident set (`VmHWM`). µs = microseconds; KB/MB = 10³/10⁶ bytes."
    );
}

/// Starts a section: its heading, then the `columns` of its table and their `alignment` row.
fn table(out: &mut String, heading: &str, columns: &[&str], alignment: &str) {
    let _ = writeln!(out, "\n## {heading}\n");
    let _ = writeln!(out, "| {} |", columns.join(" | "));
    let _ = writeln!(out, "{alignment}");
}

/// Starts a section comparing the host (column `host`) with the Python server (column `peer`),
/// whose rows [`comparison_row`] writes.
fn comparison_table(out: &mut String, heading: &str, host: &str, peer: &str) {
    let columns = ["figure", host, peer, "`ktrdr-mcp` vs Python"];
    table(out, heading, &columns, "|---|--:|--:|--:|");
}

/// The figures a user choosing between the two servers compares.
fn write_peer_comparison(out: &mut String, report: &Report) {
    comparison_table(
        out,
        "`ktrdr-mcp` against the Python MCP server",
        "`ktrdr-mcp`",
        "Python server",
    );
    let mut row = |figure: &str, host: f64, peer: f64, unit: &str, decimals: usize| {
        comparison_row(out, figure, host, peer, unit, decimals);
    };
    let starts = &report.cold_starts;
    row(
        "cold start, spawn → `initialize`, p50 (host: compiled component cached)",
        millis(starts.cached.initialize.p50),
        millis(starts.peer.initialize.p50),
        "ms",
        1,
    );
    row(
        "cold start, spawn → first `tools/list`, p50 (host: cached)",
        millis(starts.cached.tools_list.p50),
        millis(starts.peer.tools_list.p50),
        "ms",
        1,
    );
    for latency in &report.latency {
        row(
            &format!("`{}` latency, one call at a time, p50", latency.tool),
            latency.host.p50,
            latency.peer.p50,
            "µs",
            0,
        );
        row(
            &format!("`{}` server CPU per call", latency.tool),
            latency.host_cpu,
            latency.peer_cpu,
            "µs",
            0,
        );
    }
    if let Some(level) = target_row(&report.concurrency) {
        row(
            &format!("`list_operations`, {TARGET_IN_FLIGHT} in flight, calls/s"),
            level.host.calls_per_second,
            level.peer.calls_per_second,
            "",
            0,
        );
        row(
            &format!("`list_operations`, {TARGET_IN_FLIGHT} in flight, p99"),
            level.host.p99,
            level.peer.p99,
            "µs",
            0,
        );
    }
    let footprint = &report.footprint;
    row(
        "peak RSS, idle after `initialize` + `tools/list`",
        megabytes(footprint.idle_peak_rss),
        megabytes(footprint.peer_idle_peak_rss),
        "MB",
        1,
    );
    row(
        "peak RSS after the runs up to 64 in flight",
        megabytes(footprint.loaded_peak_rss),
        megabytes(footprint.peer_loaded_peak_rss),
        "MB",
        1,
    );
}

/// The two servers over Streamable HTTP, and how they were driven.
fn write_remote(out: &mut String, remote: &Remote) {
    comparison_table(
        out,
        "`ktrdr-mcp` against the Python MCP server over Streamable HTTP",
        "`ktrdr-mcp --http`",
        "Python server, `--http`",
    );
    let mut row = |figure: &str, host: f64, peer: f64, unit: &str, decimals: usize| {
        comparison_row(out, figure, host, peer, unit, decimals);
    };
    for (name, host, peer) in [
        ("p50", remote.host.p50, remote.peer.p50),
        ("p95", remote.host.p95, remote.peer.p95),
        ("p99", remote.host.p99, remote.peer.p99),
    ] {
        let figure = format!("`list_operations` latency, one call at a time, {name}");
        row(&figure, host, peer, "µs", 0);
    }
    row(
        "`list_operations` server CPU per call, one at a time",
        remote.host_cpu,
        remote.peer_cpu,
        "µs",
        0,
    );
    for level in &remote.clients {
        let clients = level.clients;
        let (host, peer) = (&level.host, &level.peer);
        let figure = format!("`list_operations`, {clients} clients, calls/s");
        row(&figure, host.calls_per_second, peer.calls_per_second, "", 0);
        let figure = format!("`list_operations`, {clients} clients, p99");
        row(&figure, host.p99, peer.p99, "µs", 0);
    }
    let footprint = &remote.footprint;
    row(
        "peak RSS, idle after one call",
        megabytes(footprint.idle_peak_rss),
        megabytes(footprint.peer_idle_peak_rss),
        "MB",
        1,
    );
    row(
        &format!("peak RSS with {SESSIONS} idle 2025-11-25 sessions open"),
        megabytes(footprint.sessions_peak_rss),
        megabytes(footprint.peer_sessions_peak_rss),
        "MB",
        1,
    );
    let per_level = remote.clients.first().map_or(0, |level| level.calls);
    let _ = writeln!(
        out,
        "\nBoth on loopback, without tokens: `ktrdr-mcp --http 127.0.0.1:0`, and \
         `ktrdr_peer.py --http 127.0.0.1:0` (the SDK's Streamable HTTP app under uvicorn, as \
         `MCPServer.run(\"streamable-http\")` serves it, without uvicorn's access log). Every \
         call is one stateless 2026-07-28 `tools/call` POST (both servers serve that era) on a \
         kept-alive HTTP/1.1 connection (hyper): {calls} calls per server one at a time on one \
         connection, and {per_level} per server and number of clients, each client on a \
         connection of its own. The two servers alternate in blocks after a warm-up; server CPU \
         as above. RSS: a fresh server of each kind after one call, then after {SESSIONS} \
         sessions opened (`initialize` + `notifications/initialized`, nothing else) and left \
         idle.",
        calls = remote.calls
    );
}

/// Writes a row of a comparison table: `figure` for `ktrdr-mcp` (`host`) and for the Python
/// server (`peer`), in `unit` with `decimals` decimals, and how the two compare.
fn comparison_row(
    out: &mut String,
    figure: &str,
    host: f64,
    peer: f64,
    unit: &str,
    decimals: usize,
) {
    let value = |figure: f64| format!("{figure:.decimals$} {unit}").trim_end().to_owned();
    let _ = writeln!(
        out,
        "| {figure} | {} | {} | {} |",
        value(host),
        value(peer),
        relative(host, peer)
    );
}

/// How `host`'s figure compares with `peer`'s: "12× less", "3.4× more" or "the same".
fn relative(host: f64, peer: f64) -> String {
    let (ratio, word) = if host <= peer {
        (peer / host, "less")
    } else {
        (host / peer, "more")
    };
    if ratio < 1.05 {
        "the same".to_owned()
    } else if ratio < 10.0 {
        format!("{ratio:.1}× {word}")
    } else {
        format!("{ratio:.0}× {word}")
    }
}

fn write_latency(out: &mut String, rows: &[LatencyRow]) {
    table(
        out,
        "Per-call latency, one call at a time (µs)",
        &[
            "tool",
            "route",
            "calls",
            "p50",
            "p95",
            "p99",
            "server CPU per call",
        ],
        "|---|---|--:|--:|--:|--:|--:|",
    );
    for row in rows {
        for (route, p, cpu) in [
            ("`ktrdr-mcp` tools/call", &row.host, Some(row.host_cpu)),
            (
                "Python server tools/call",
                &row.peer,
                Some(row.peer_cpu),
            ),
            (
                "`ktrdr-mcp` ping (MCP stdio round trip alone)",
                &row.ping,
                Some(row.ping_cpu),
            ),
            (
                "`ktrdr-mcp` tools/call of a component function without I/O (test probe)",
                &row.no_io,
                Some(row.no_io_cpu),
            ),
            (
                "`ktrdr-mcp` tools/call of a component function making the same GET, body read, no JSON (test probe)",
                &row.fetch,
                Some(row.fetch_cpu),
            ),
            (
                "floor: direct, keep-alive (like for like)",
                &row.keep_alive,
                None,
            ),
            (
                "floor: direct, fresh connection (reference)",
                &row.fresh,
                None,
            ),
        ] {
            let cpu = cpu.map_or_else(|| "–".to_string(), |cpu| format!("{cpu:.0}"));
            let _ = writeln!(
                out,
                "| {} | {route} | {} | {:.0} | {:.0} | {:.0} | {cpu} |",
                row.tool, row.calls, p.p50, p.p95, p.p99
            );
        }
    }
    table(
        out,
        "Host overhead over the like-for-like floor (kept-alive connections, as the host's)",
        &[
            "tool",
            "p50 host − floor",
            "p95 host − floor",
            "p99 host − floor",
            "p50 ratio",
            "p95 ratio",
            "p99 ratio",
            "p50 of a ping (stdio alone)",
        ],
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    );
    for row in rows {
        let (host, floor) = (&row.host, &row.keep_alive);
        let _ = writeln!(
            out,
            "| {} | {:.0} µs | {:.0} µs | {:.0} µs | {:.2}× | {:.2}× | {:.2}× | {:.0} µs |",
            row.tool,
            host.p50 - floor.p50,
            host.p95 - floor.p95,
            host.p99 - floor.p99,
            host.p50 / floor.p50,
            host.p95 / floor.p95,
            host.p99 / floor.p99,
            row.ping.p50,
        );
    }
}

fn write_cold_starts(out: &mut String, starts: &ColdStarts) {
    table(
        out,
        &format!("Cold start: spawn → result (ms, {SPAWNS} spawns each, alternating)"),
        &[
            "server",
            "`initialize` p50",
            "`initialize` p95",
            "first `tools/list` p50",
            "first `tools/list` p95",
        ],
        "|---|--:|--:|--:|--:|",
    );
    for (kind, start) in [
        (
            "`ktrdr-mcp`, compiled component cached (`--cache-dir`, warm)",
            &starts.cached,
        ),
        ("`ktrdr-mcp`, uncached (`--no-cache`)", &starts.uncached),
        ("Python server", &starts.peer),
    ] {
        let ColdStart {
            initialize,
            tools_list,
        } = start;
        let _ = writeln!(
            out,
            "| {kind} | {:.1} | {:.1} | {:.1} | {:.1} |",
            millis(initialize.p50),
            millis(initialize.p95),
            millis(tools_list.p50),
            millis(tools_list.p95)
        );
    }
}

fn write_concurrency(out: &mut String, rows: &[ConcurrencyRow]) {
    let calls = rows.first().map_or(0, |row| row.calls);
    table(
        out,
        &format!(
            "Concurrency: `list_operations`, one MCP session ({calls} calls per route and level)"
        ),
        &[
            "in flight",
            "host calls/s",
            "host p99 (µs)",
            "host CPU per call (µs)",
            "client + backend CPU per host call (µs)",
            "ping calls/s (stdio alone)",
            "host CPU per ping (µs)",
            "floor (keep-alive) calls/s",
            "floor p99 (µs)",
            "client + backend CPU per floor request (µs)",
            "host / floor",
            "ping / floor",
            "floor (fresh conn.) calls/s",
            "host / fresh",
        ],
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    );
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} % | {:.0} % | {:.0} | {:.0} % |",
            row.in_flight,
            row.host.calls_per_second,
            row.host.p99,
            row.host_cpu,
            row.driver_and_backend_cpu,
            row.ping.calls_per_second,
            row.ping_cpu,
            row.keep_alive.calls_per_second,
            row.keep_alive.p99,
            row.keep_alive_cpu,
            throughput_percent(row),
            percent_of(&row.ping, &row.keep_alive),
            row.fresh.calls_per_second,
            percent_of(&row.host, &row.fresh),
        );
    }
}

/// What the throughput target leaves the host: at the target's throughput the machine's cores
/// give each call so much CPU time, of which the client and the backend take their share.
fn write_cpu_budget(out: &mut String, report: &Report) {
    if let Some(row) = target_row(&report.concurrency) {
        let _ = writeln!(out, "\n{}", cpu_budget(row, report.machine.cores));
    }
}

/// The CPU-budget sentence for `row` on a machine of `cores` cores.
fn cpu_budget(row: &ConcurrencyRow, cores: usize) -> String {
    let calls_per_second = TARGET_THROUGHPUT_PERCENT / 100.0 * row.keep_alive.calls_per_second;
    let budget = cores as f64 * 1e6 / calls_per_second;
    let left = budget - row.driver_and_backend_cpu;
    let left = if left >= 0.5 {
        format!("{left:.0} µs")
    } else {
        "nothing".to_owned()
    };
    format!(
        "CPU budget at the throughput target: {TARGET_THROUGHPUT_PERCENT:.0} % of the floor at \
         {TARGET_IN_FLIGHT} in flight is {calls_per_second:.0} calls/s; {cores} cores busy all \
         the time give each call at most {budget:.0} µs of CPU for the client, the host and the \
         backend together. The client and the backend use {others:.0} µs per host call, which \
         leaves the host {left}; it uses {host:.0} µs per call, and {ping:.0} µs per ping \
         (the stdio round trip alone, no component, no HTTP).",
        others = row.driver_and_backend_cpu,
        host = row.host_cpu,
        ping = row.ping_cpu,
    )
}

/// The Python server next to the host at every level of concurrency.
fn write_peer_concurrency(out: &mut String, rows: &[ConcurrencyRow]) {
    table(
        out,
        "Concurrency: the Python server, one MCP session (`list_operations`, interleaved with the routes above)",
        &[
            "in flight",
            "Python calls/s",
            "Python p99 (µs)",
            "Python CPU per call (µs)",
            "`ktrdr-mcp` calls/s",
            "`ktrdr-mcp` / Python",
        ],
        "|--:|--:|--:|--:|--:|--:|",
    );
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1}× |",
            row.in_flight,
            row.peer.calls_per_second,
            row.peer.p99,
            row.peer_cpu,
            row.host.calls_per_second,
            row.host.calls_per_second / row.peer.calls_per_second,
        );
    }
}

/// The artifacts' sizes (the servers' memory is in the comparison with the Python server).
fn write_sizes(out: &mut String, footprint: &Footprint) {
    table(out, "Sizes", &["artifact", "size"], "|---|--:|");
    let _ = writeln!(
        out,
        "| release component (`ktrdr_tools.wasm`) | {:.1} KB |",
        kilobytes(footprint.component_bytes)
    );
    let _ = writeln!(
        out,
        "| host binary (`ktrdr-mcp`, component embedded) | {:.1} MB |",
        megabytes(footprint.host_bytes)
    );
}

fn write_targets(out: &mut String, report: &Report) {
    table(
        out,
        "Targets of the implementation plan",
        &["target", "measured", "met"],
        "|---|--:|:-:|",
    );
    let mut target = |name: String, measured: String, met: bool| {
        let verdict = if met { "yes" } else { "**no**" };
        let _ = writeln!(out, "| {name} | {measured} | {verdict} |");
    };
    for row in &report.latency {
        let overhead = row.host.p50 - row.keep_alive.p50;
        target(
            format!(
                "`{}` overhead over the floor, p50 ≤ {TARGET_OVERHEAD_P50_MICROS:.0} µs",
                row.tool
            ),
            format!("{overhead:.0} µs"),
            overhead <= TARGET_OVERHEAD_P50_MICROS,
        );
    }
    let cold = millis(report.cold_starts.cached.initialize.p50);
    target(
        format!("cached cold start to `initialize`, p50 ≤ {TARGET_COLD_START_MILLIS:.0} ms"),
        format!("{cold:.1} ms"),
        cold <= TARGET_COLD_START_MILLIS,
    );
    if let Some(row) = target_row(&report.concurrency) {
        let percent = throughput_percent(row);
        target(
            format!(
                "{TARGET_IN_FLIGHT} in flight: throughput ≥ {TARGET_THROUGHPUT_PERCENT:.0} % of the floor's"
            ),
            format!("{percent:.0} %"),
            percent >= TARGET_THROUGHPUT_PERCENT,
        );
    }
    let loaded = megabytes(report.footprint.loaded_peak_rss);
    target(
        format!("peak RSS under load ≤ {TARGET_LOADED_RSS_MB:.0} MB"),
        format!("{loaded:.1} MB"),
        loaded <= TARGET_LOADED_RSS_MB,
    );
    let component = kilobytes(report.footprint.component_bytes);
    target(
        format!("component ≤ {TARGET_COMPONENT_KB:.0} KB"),
        format!("{component:.1} KB"),
        component <= TARGET_COMPONENT_KB,
    );
}

/// The concurrency level the throughput target is set at, if measured.
fn target_row(rows: &[ConcurrencyRow]) -> Option<&ConcurrencyRow> {
    rows.iter().find(|row| row.in_flight == TARGET_IN_FLIGHT)
}

/// The host's throughput as a share of the like-for-like floor's, %.
fn throughput_percent(row: &ConcurrencyRow) -> f64 {
    percent_of(&row.host, &row.keep_alive)
}

/// `part`'s calls per second as a share of `whole`'s, %.
fn percent_of(part: &Throughput, whole: &Throughput) -> f64 {
    100.0 * part.calls_per_second / whole.calls_per_second
}

fn millis(micros: f64) -> f64 {
    micros / 1e3
}

fn kilobytes(bytes: u64) -> f64 {
    bytes as f64 / 1e3
}

fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::{ClientsRow, HttpFootprint};
    use crate::stats::Percentiles;

    fn row_at_16(floor_calls_per_second: f64, driver_and_backend_cpu: f64) -> ConcurrencyRow {
        let throughput = |calls_per_second| Throughput {
            calls_per_second,
            p99: 0.0,
        };
        ConcurrencyRow {
            in_flight: TARGET_IN_FLIGHT,
            calls: 2000,
            host: throughput(10_000.0),
            host_cpu: 70.0,
            driver_and_backend_cpu,
            peer: throughput(2_000.0),
            peer_cpu: 450.0,
            ping: throughput(60_000.0),
            ping_cpu: 8.0,
            keep_alive: throughput(floor_calls_per_second),
            keep_alive_cpu: 20.0,
            fresh: throughput(20_000.0),
        }
    }

    #[test]
    fn the_cpu_budget_is_the_cores_over_the_target_throughput() {
        // 70 % of 40,000 calls/s is 28,000 calls/s: 2 cores give each 71.4 µs; 40 are used.
        let line = cpu_budget(&row_at_16(40_000.0, 40.0), 2);
        assert!(line.contains("is 28000 calls/s"), "{line}");
        assert!(line.contains("at most 71 µs"), "{line}");
        assert!(line.contains("leaves the host 31 µs"), "{line}");
        assert!(
            line.contains("it uses 70 µs per call, and 8 µs per ping"),
            "{line}"
        );
    }

    #[test]
    fn the_comparison_says_which_way_and_how_much() {
        assert_eq!(relative(10.0, 250.0), "25× less");
        assert_eq!(relative(10.0, 34.0), "3.4× less");
        assert_eq!(relative(9_000.0, 2_000.0), "4.5× more");
        assert_eq!(relative(100.0, 102.0), "the same");
        assert_eq!(relative(102.0, 100.0), "the same");
    }

    fn at(p50: f64) -> Percentiles {
        Percentiles {
            p50,
            p95: 2.0 * p50,
            p99: 3.0 * p50,
        }
    }

    fn report() -> Report {
        let start = |millis: f64| ColdStart {
            initialize: at(millis * 1e3),
            tools_list: at(millis * 1e3 + 1e3),
        };
        Report {
            machine: Machine {
                date: "2026-12-04 23:00 UTC".into(),
                cpu: "Some CPU".into(),
                cores: 2,
                load_at_start: "0.50 0.40 0.30".into(),
            },
            load_at_end: "0.90 0.50 0.35".into(),
            latency: vec![LatencyRow {
                tool: "list_operations",
                calls: 2000,
                host: at(250.0),
                host_cpu: 120.0,
                peer: at(1_500.0),
                peer_cpu: 1_300.0,
                ping_cpu: 10.0,
                ping: at(40.0),
                no_io: at(60.0),
                no_io_cpu: 20.0,
                fetch: at(200.0),
                fetch_cpu: 100.0,
                keep_alive: at(100.0),
                fresh: at(150.0),
            }],
            cold_starts: ColdStarts {
                cached: start(8.0),
                uncached: start(400.0),
                peer: start(600.0),
            },
            concurrency: vec![row_at_16(40_000.0, 40.0)],
            remote: Remote {
                calls: 1000,
                host: at(300.0),
                host_cpu: 150.0,
                peer: at(3_000.0),
                peer_cpu: 2_800.0,
                clients: vec![ClientsRow {
                    clients: 16,
                    calls: 2000,
                    host: Throughput {
                        calls_per_second: 9_000.0,
                        p99: 4_000.0,
                    },
                    peer: Throughput {
                        calls_per_second: 300.0,
                        p99: 80_000.0,
                    },
                }],
                footprint: HttpFootprint {
                    idle_peak_rss: 21_000_000,
                    sessions_peak_rss: 23_000_000,
                    peer_idle_peak_rss: 80_000_000,
                    peer_sessions_peak_rss: 120_000_000,
                },
            },
            footprint: Footprint {
                idle_peak_rss: 20_000_000,
                loaded_peak_rss: 26_000_000,
                peer_idle_peak_rss: 60_000_000,
                peer_loaded_peak_rss: 62_000_000,
                component_bytes: 290_000,
                host_bytes: 30_000_000,
            },
        }
    }

    #[test]
    fn the_report_opens_with_one_header_and_the_python_comparison() {
        let markdown = render(&report());
        let lines: Vec<&str> = markdown.lines().collect();
        assert_eq!(lines[0], "# Performance");
        assert!(
            lines[2].contains("2026-12-04 23:00 UTC · Some CPU · 2 cores"),
            "{}",
            lines[2]
        );
        let comparison = markdown
            .find("## `ktrdr-mcp` against the Python MCP server")
            .expect("a comparison section");
        assert!(comparison < markdown.find("## Targets").expect("targets"));
        for row in [
            "| cold start, spawn → `initialize`, p50 (host: compiled component cached) | 8.0 ms | 600.0 ms | 75× less |",
            "| `list_operations` latency, one call at a time, p50 | 250 µs | 1500 µs | 6.0× less |",
            "| `list_operations` server CPU per call | 120 µs | 1300 µs | 11× less |",
            "| `list_operations`, 16 in flight, calls/s | 10000 | 2000 | 5.0× more |",
            "| peak RSS after the runs up to 64 in flight | 26.0 MB | 62.0 MB | 2.4× less |",
        ] {
            assert!(markdown.contains(row), "no row {row} in\n{markdown}");
        }
        assert!(markdown.contains("| 16 | 2000 | 0 | 450 | 10000 | 5.0× |"));
    }

    #[test]
    fn the_streamable_http_comparison_follows_the_stdio_one() {
        let markdown = render(&report());
        let stdio = markdown
            .find("## `ktrdr-mcp` against the Python MCP server\n")
            .expect("the stdio comparison");
        let http = markdown
            .find("## `ktrdr-mcp` against the Python MCP server over Streamable HTTP")
            .expect("the HTTP comparison");
        assert!(stdio < http && http < markdown.find("## Targets").expect("targets"));
        for row in [
            "| `list_operations` latency, one call at a time, p50 | 300 µs | 3000 µs | 10× less |",
            "| `list_operations` latency, one call at a time, p99 | 900 µs | 9000 µs | 10× less |",
            "| `list_operations` server CPU per call, one at a time | 150 µs | 2800 µs | 19× less |",
            "| `list_operations`, 16 clients, calls/s | 9000 | 300 | 30× more |",
            "| `list_operations`, 16 clients, p99 | 4000 µs | 80000 µs | 20× less |",
            "| peak RSS, idle after one call | 21.0 MB | 80.0 MB | 3.8× less |",
            "| peak RSS with 256 idle 2025-11-25 sessions open | 23.0 MB | 120.0 MB | 5.2× less |",
        ] {
            assert!(markdown.contains(row), "no row {row} in\n{markdown}");
        }
        assert!(markdown.contains("1000 calls per server one at a time"));
        assert!(markdown.contains("and 2000 per server and number of clients"));
    }

    #[test]
    fn a_budget_the_client_and_backend_use_up_leaves_nothing() {
        // 70 % of 70,000 calls/s on 2 cores: 40.8 µs per call, all of it used elsewhere.
        let line = cpu_budget(&row_at_16(70_000.0, 42.0), 2);
        assert!(line.contains("leaves the host nothing"), "{line}");
    }
}
