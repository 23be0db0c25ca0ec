// The probe interface's implementation, shared by both test components (each generates the same
// `exports::probe` bindings from the shared WIT package).

use exports::probe::{
    Color, EchoReply, Guest as ProbeGuest, Period, PeriodsReply, ProbeError, ProbeErrorCode, Stamp,
};

impl ProbeGuest for Component {
    fn echo(
        message: String,
        repeat: Option<u8>,
        color: Option<Color>,
        tags: Option<Vec<String>>,
        extra: Option<String>,
    ) -> Result<EchoReply, ProbeError> {
        if message == "fail" {
            return Err(ProbeError {
                status_code: 404,
                code: ProbeErrorCode::NotFound,
                message: "No such message: fail. Send another one.".to_string(),
                details: r#"{"message":"fail"}"#.to_string(),
            });
        }
        let repeat = repeat.unwrap_or(1);
        Ok(EchoReply {
            text: message.repeat(usize::from(repeat)),
            repeat,
            color,
            tags: tags.unwrap_or_default(),
            extra,
            stamp: Stamp {
                seconds: 42,
                offset: -7,
            },
            ratio: 0.5,
        })
    }

    fn periods(period: Option<Period>, periods: Option<Vec<Period>>) -> PeriodsReply {
        PeriodsReply {
            period: period.unwrap_or(Period::Hour1),
            periods: periods.unwrap_or_else(|| vec![Period::Hour1, Period::TradingSession]),
        }
    }

    fn spin() -> u32 {
        let mut counter: u32 = 0;
        loop {
            counter = std::hint::black_box(counter.wrapping_add(1));
        }
    }

    fn hog(mebibytes: u32) -> u32 {
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        for _ in 0..mebibytes {
            blocks.push(vec![1u8; 1 << 20]);
        }
        std::hint::black_box(&blocks);
        blocks.len() as u32
    }

    fn fetch(url: String) -> Result<u16, String> {
        waki::Client::new()
            .get(&url)
            .send()
            .and_then(|response| {
                let status = response.status_code();
                response.body().map(|_| status)
            })
            .map_err(|error| format!("{error:#}"))
    }

    fn calls_served() -> u32 {
        static SERVED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        SERVED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
    }

    fn environment() -> Vec<(String, String)> {
        std::env::vars().collect()
    }

    fn read_file(path: String) -> Result<String, String> {
        std::fs::read_to_string(&path).map_err(|error| format!("{path}: {error}"))
    }
}
