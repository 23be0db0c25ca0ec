//! The report: the run's figures as markdown tables, and each target met or missed.

use std::fmt::Write;

use crate::cold_start::{ColdStart, ColdStarts, SPAWNS};
use crate::concurrency::{ConcurrencyRow, Throughput};
use crate::footprint::Footprint;
use crate::latency::LatencyRow;
use crate::machine::Machine;

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
    /// Memory and sizes.
    pub footprint: Footprint,
}

/// Renders `report` as markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    write_header(&mut out, report);
    write_latency(&mut out, &report.latency);
    write_cold_starts(&mut out, &report.cold_starts);
    write_concurrency(&mut out, &report.concurrency);
    write_cpu_budget(&mut out, report);
    write_footprint(&mut out, &report.footprint);
    write_targets(&mut out, report);
    out
}

fn write_header(out: &mut String, report: &Report) {
    let machine = &report.machine;
    let _ = writeln!(
        out,
        "**ktrdr-mcp benchmarks** · {} · {} cores (nproc) · load average {} at start, {} at end\n",
        machine.date, machine.cores, machine.load_at_start, report.load_at_end
    );
    let _ = writeln!(
        out,
        "Host: `ktrdr-mcp` over stdio, driven by an rmcp client; backend: `ktrdr-backend` on \
         loopback. Floor: the same HTTP request from native Rust (hyper HTTP/1.1). Routes and \
         floors alternate in blocks within this run. Host CPU per call: the host process's CPU \
         time (all threads, from `/proc/<pid>/task/*/schedstat`) over those calls, divided by \
         their number; client + backend CPU likewise for the driver (this benchmark's process, \
         the client) and the backend. µs = microseconds; KB/MB = 10³/10⁶ bytes.\n"
    );
}

fn write_latency(out: &mut String, rows: &[LatencyRow]) {
    let _ = writeln!(out, "### Per-call latency, one call at a time (µs)\n");
    let _ = writeln!(
        out,
        "| tool | route | calls | p50 | p95 | p99 | host CPU per call |"
    );
    let _ = writeln!(out, "|---|---|--:|--:|--:|--:|--:|");
    for row in rows {
        for (route, p, cpu) in [
            ("`ktrdr-mcp` tools/call", &row.host, Some(row.host_cpu)),
            (
                "`ktrdr-mcp` tools/call, busy-polling off (`--busy-poll-us 0`)",
                &row.host_sleeping,
                Some(row.host_sleeping_cpu),
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
    let _ = writeln!(
        out,
        "\n### Host overhead over the like-for-like floor (kept-alive connections, as the host's)\n"
    );
    let _ = writeln!(
        out,
        "| tool | p50 host − floor | p95 host − floor | p99 host − floor | p50 ratio | p95 ratio | p99 ratio | p50 of a ping (stdio alone) |"
    );
    let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|--:|--:|");
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
    let _ = writeln!(
        out,
        "\n### Cold start: spawn → result (ms, {SPAWNS} spawns each, alternating)\n"
    );
    let _ = writeln!(
        out,
        "| compiled component | `initialize` p50 | `initialize` p95 | first `tools/list` p50 | first `tools/list` p95 |"
    );
    let _ = writeln!(out, "|---|--:|--:|--:|--:|");
    for (kind, start) in [
        ("cached (`--cache-dir`, warm)", &starts.cached),
        ("uncached (`--no-cache`)", &starts.uncached),
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
    let _ = writeln!(
        out,
        "\n### Concurrency: `list_operations`, one MCP session ({calls} calls per route and level)\n"
    );
    let _ = writeln!(
        out,
        "| in flight | host calls/s | host p99 (µs) | host CPU per call (µs) | client + backend CPU per host call (µs) | ping calls/s (stdio alone) | host CPU per ping (µs) | floor (keep-alive) calls/s | floor p99 (µs) | client + backend CPU per floor request (µs) | host / floor | ping / floor | floor (fresh conn.) calls/s | host / fresh |"
    );
    let _ = writeln!(
        out,
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
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

fn write_footprint(out: &mut String, footprint: &Footprint) {
    let _ = writeln!(out, "\n### Memory and size\n");
    let _ = writeln!(out, "| figure | value |");
    let _ = writeln!(out, "|---|--:|");
    let _ = writeln!(
        out,
        "| host peak RSS (VmHWM), idle after `initialize` + `tools/list` | {:.1} MB |",
        megabytes(footprint.idle_peak_rss)
    );
    let _ = writeln!(
        out,
        "| host peak RSS (VmHWM) after the runs up to 64 in flight | {:.1} MB |",
        megabytes(footprint.loaded_peak_rss)
    );
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
    let _ = writeln!(out, "\n### Targets\n");
    let _ = writeln!(out, "| target | measured | met |");
    let _ = writeln!(out, "|---|--:|:-:|");
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
    fn a_budget_the_client_and_backend_use_up_leaves_nothing() {
        // 70 % of 70,000 calls/s on 2 cores: 40.8 µs per call, all of it used elsewhere.
        let line = cpu_budget(&row_at_16(70_000.0, 42.0), 2);
        assert!(line.contains("leaves the host nothing"), "{line}");
    }
}
