//! Market data: bars and timeframes, the CSV cache, the built-in market-data source, and the
//! data-load operation.

pub mod bars;
pub mod csv_store;
pub mod loader;
pub mod market_source;
