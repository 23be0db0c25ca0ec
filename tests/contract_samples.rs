//! The component's parsers against every real backend answer of the contract (section 9 of
//! `shared/ktrdr-api.md`): each sample is decoded exactly as the component decodes it (status
//! check, error-body mapping, JSON parsing, shape checks), and its values are asserted.
//!
//! The second half feeds truncated, mutated, wrong-typed and huge variants of the same bodies
//! to every parser: none may panic, and each failure must be the error the status calls for.

use ktrdr_tools::data::{LoadArgs, LoadRoute, MarketDataQuery};
use ktrdr_tools::error::{code_for_status, ApiError};
use ktrdr_tools::http::{decode, ApiRequest, RawResponse};
use ktrdr_tools::json::ShapeError;
use ktrdr_tools::operations::{self, ListFilter};
use ktrdr_tools::tools::{ErrorCode, OperationStatus, OperationType, Timeframe, ToolError};
use ktrdr_tools::training;
use serde_json::{json, Value};

// Generated from shared/ktrdr-api.md section 9 (real backend answers). Status, then body.

const HEALTH: (u16, &str) = (200, r#"{"status":"ok","version":"1.0.7.2"}"#);

const NO_PREFIX_HEALTH_404: (u16, &str) = (404, r#"{"detail":"Not Found"}"#);

const LIST_EMPTY: (u16, &str) = (
    200,
    r#"{"success":true,"data":[],"total_count":0,"active_count":0}"#,
);

const LIST_LIMIT_0_422: (u16, &str) = (
    422,
    r#"{"detail":[{"type":"greater_than_equal","loc":["query","limit"],"msg":"Input should be greater than or equal to 1","input":"0","ctx":{"ge":1}}]}"#,
);

const LIST_LIMIT_1001_422: (u16, &str) = (
    422,
    r#"{"detail":[{"type":"less_than_equal","loc":["query","limit"],"msg":"Input should be less than or equal to 1000","input":"1001","ctx":{"le":1000}}]}"#,
);

const LIST_STATUS_BOGUS_422: (u16, &str) = (
    422,
    r#"{"detail":[{"type":"enum","loc":["query","status"],"msg":"Input should be 'pending', 'running', 'completed', 'failed' or 'cancelled'","input":"bogus","ctx":{"expected":"'pending', 'running', 'completed', 'failed' or 'cancelled'"}}]}"#,
);

const LIST_TYPE_BACKTEST_422: (u16, &str) = (
    422,
    r#"{"detail":[{"type":"enum","loc":["query","operation_type"],"msg":"Input should be 'data_load', 'training', 'backtesting', 'indicator_compute', 'fuzzy_analysis' or 'dummy'","input":"backtest","ctx":{"expected":"'data_load', 'training', 'backtesting', 'indicator_compute', 'fuzzy_analysis' or 'dummy'"}}]}"#,
);

const LIST_ACTIVE_MAYBE_422: (u16, &str) = (
    422,
    r#"{"detail":[{"type":"bool_parsing","loc":["query","active_only"],"msg":"Input should be a valid boolean, unable to interpret input","input":"maybe"}]}"#,
);

const CACHED_EMPTY_RANGE: (u16, &str) = (
    200,
    r#"{"success":true,"data":{"dates":[],"ohlcv":[],"points":null,"metadata":{"symbol":"AAPL","timeframe":"1h","start":"","end":"","points":0}},"error":null}"#,
);

const CACHED_UNKNOWN_SYMBOL: (u16, &str) = (
    200,
    r#"{"success":true,"data":{"dates":[],"ohlcv":[],"points":null,"metadata":{"symbol":"ZZZZ","timeframe":"1h","start":"","end":"","points":0}},"error":null}"#,
);

const CACHED_BAD_DATE_400: (u16, &str) = (
    400,
    r#"{"success":false,"error":{"code":"DATA-InvalidDate","message":"Invalid start_date format. Use YYYY-MM-DD","details":{"start_date":"notadate"}}}"#,
);

const CACHED_AAPL_1H: (u16, &str) = (
    200,
    r#"{"success":true,"data":{"dates":["2024-01-02T14:00:00","2024-01-02T15:00:00","2024-01-02T16:00:00","2024-01-02T17:00:00","2024-01-02T18:00:00","2024-01-02T19:00:00","2024-01-02T20:00:00"],"ohlcv":[[187.5308,189.3377,187.0804,188.7441,1991337.0],[188.7441,190.0921,188.6508,189.6807,1635826.0],[189.6807,191.0446,189.3912,190.5575,348076.0],[190.5575,191.705,190.3501,191.0728,1416824.0],[191.0728,192.9202,190.3127,192.4249,1888640.0],[192.4249,192.9381,191.1687,191.8442,1444034.0],[191.8442,192.8359,191.1912,192.1793,1288994.0]],"points":null,"metadata":{"symbol":"AAPL","timeframe":"1h","start_date":"2024-01-02T14:00:00+00:00","end_date":"2024-01-02T20:00:00+00:00","point_count":7}},"error":null}"#,
);

const DATA_LOAD_STARTED: (u16, &str) = (
    200,
    r#"{"success":true,"data":{"status":"started","operation_id":"op_data_load_20261124_131534_ee688673","fetched_bars":0,"cached_before":false,"merged_file":"","gaps_analyzed":0,"segments_fetched":0,"ib_requests_made":0,"execution_time_seconds":0.0,"error_message":null},"error":null}"#,
);

const STATUS_DATA_LOAD_RUNNING: (u16, &str) = (
    200,
    r#"{"success":true,"data":{"operation_id":"op_data_load_20261124_131534_ee688673","operation_type":"data_load","status":"running","created_at":"2026-11-24T13:15:34.908609Z","started_at":"2026-11-24T13:15:34.908739Z","completed_at":null,"progress":{"percentage":100.0,"current_step":"⚡ Validating data quality (AAPL 1h, local mode) [5/5] - Checking 1204 data points for completeness and accuracy","steps_completed":5,"steps_total":5,"items_processed":0,"items_total":null,"current_item":null,"context":{"symbol":"AAPL","timeframe":"1h","mode":"local","operation_type":"data_load","start_date":null,"end_date":null,"current_item_detail":"Checking 1204 data points for completeness and accuracy"}},"metadata":{"symbol":"N/A","timeframe":"N/A","mode":"N/A","start_date":null,"end_date":null,"parameters":{"operation_name":"data_load","service_name":"Data/IB"}},"error_message":null,"warnings":[],"errors":[],"result_summary":null}}"#,
);

const STATUS_DATA_LOAD_COMPLETED: (u16, &str) = (
    200,
    r#"{"success":true,"data":{"operation_id":"op_data_load_20261124_131534_ee688673","operation_type":"data_load","status":"completed","created_at":"2026-11-24T13:15:34.908609Z","started_at":"2026-11-24T13:15:34.908739Z","completed_at":"2026-11-24T13:15:35.030460Z","progress":{"percentage":100.0,"current_step":"Operation data_load completed [100/100] (100.0%)","steps_completed":100,"steps_total":100,"items_processed":0,"items_total":null,"current_item":null,"context":{"operation":"data_load","service":"Data/IB"}},"metadata":{"symbol":"N/A","timeframe":"N/A","mode":"N/A","start_date":null,"end_date":null,"parameters":{"operation_name":"data_load","service_name":"Data/IB"}},"error_message":null,"warnings":[],"errors":[],"result_summary":{"status":"success","fetched_bars":1204,"cached_before":true,"merged_file":"AAPL_1h.csv","gaps_analyzed":1,"segments_fetched":1,"ib_requests_made":0,"execution_time_seconds":0.0}}}"#,
);

const RESULTS_DATA_LOAD_COMPLETED: (u16, &str) = (
    200,
    r#"{"success":true,"operation_id":"op_data_load_20261124_131534_ee688673","operation_type":"data_load","status":"completed","results":{"status":"success","fetched_bars":1204,"cached_before":true,"merged_file":"AAPL_1h.csv","gaps_analyzed":1,"segments_fetched":1,"ib_requests_made":0,"execution_time_seconds":0.0}}"#,
);

const LIST_ONE_DATA_LOAD: (u16, &str) = (
    200,
    r#"{"success":true,"data":[{"operation_id":"op_data_load_20261124_131534_ee688673","operation_type":"data_load","status":"completed","created_at":"2026-11-24T13:15:34.908609Z","progress_percentage":100.0,"current_step":"Operation data_load completed [100/100] (100.0%)","symbol":"N/A","duration_seconds":0.121721}],"total_count":1,"active_count":0}"#,
);

const STATUS_NOT_FOUND_404: (u16, &str) = (404, r#"{"detail":"Operation not found: op_nope"}"#);

const RESULTS_NOT_FOUND_404: (u16, &str) = (404, r#"{"detail":"Operation not found: op_nope"}"#);

const CANCEL_NOT_FOUND_404: (u16, &str) = (404, r#"{"detail":"Operation not found: op_nope"}"#);

const CANCEL_COMPLETED_400: (u16, &str) = (
    400,
    r#"{"detail":"Operation op_data_load_20261124_131534_ee688673 cannot be cancelled (status: OperationStatus.COMPLETED)"}"#,
);

const POST_CANCEL_ROUTE_404: (u16, &str) = (404, r#"{"detail":"Not Found"}"#);

const DATA_LOAD_TIMEFRAME_422: (u16, &str) = (
    422,
    r#"{"detail":[{"type":"value_error","loc":["body","timeframe"],"msg":"Value error, Timeframe must be one of ['1m', '5m', '15m', '30m', '1h', '2h', '4h', '1d', '1w', '1M']","input":"3h","ctx":{"error":{}}}]}"#,
);

const DATA_LOAD_MODE_422: (u16, &str) = (
    422,
    r#"{"detail":[{"type":"literal_error","loc":["body","mode"],"msg":"Input should be 'local', 'tail', 'backfill' or 'full'","input":"ib","ctx":{"expected":"'local', 'tail', 'backfill' or 'full'"}}]}"#,
);

const DATA_LOAD_MISSING_SYMBOL_422: (u16, &str) = (
    422,
    r#"{"detail":[{"type":"missing","loc":["body","symbol"],"msg":"Field required","input":{"timeframe":"1h"}}]}"#,
);

const DATA_LOAD_BLANK_SYMBOL_400: (u16, &str) = (
    400,
    r#"{"success":false,"error":{"code":"DATA-InvalidSymbol","message":"Symbol is required and cannot be empty","details":{"symbol":"  "}}}"#,
);

const DATA_LOAD_DATES_REVERSED_422: (u16, &str) = (
    422,
    r#"{"detail":[{"type":"value_error","loc":["body"],"msg":"Value error, start_date must be before end_date","input":{"symbol":"AAPL","timeframe":"1h","start_date":"2024-03-01","end_date":"2024-02-01"},"ctx":{"error":{}}}]}"#,
);

const DATA_LOAD_STARTED_NOPE: (u16, &str) = (
    200,
    r#"{"success":true,"data":{"status":"started","operation_id":"op_data_load_20261124_131543_9b5a35fc","fetched_bars":0,"cached_before":false,"merged_file":"","gaps_analyzed":0,"segments_fetched":0,"ib_requests_made":0,"execution_time_seconds":0.0,"error_message":null},"error":null}"#,
);

const STATUS_DATA_LOAD_FAILED: (u16, &str) = (
    200,
    r#"{"success":true,"data":{"operation_id":"op_data_load_20261124_131543_9b5a35fc","operation_type":"data_load","status":"failed","created_at":"2026-11-24T13:15:43.930944Z","started_at":"2026-11-24T13:15:43.931114Z","completed_at":"2026-11-24T13:15:43.934254Z","progress":{"percentage":20.0,"current_step":"⚡ Loading local data from cache (NOPE 1h, local mode) [1/5] - Reading NOPE 1h from local storage","steps_completed":1,"steps_total":5,"items_processed":0,"items_total":null,"current_item":null,"context":{"symbol":"NOPE","timeframe":"1h","mode":"local","operation_type":"data_load","start_date":null,"end_date":null,"current_item_detail":"Reading NOPE 1h from local storage"}},"metadata":{"symbol":"N/A","timeframe":"N/A","mode":"N/A","start_date":null,"end_date":null,"parameters":{"operation_name":"data_load","service_name":"Data/IB"}},"error_message":"Data not found for NOPE (1h)","warnings":[],"errors":[],"result_summary":null}}"#,
);

const RESULTS_DATA_LOAD_FAILED: (u16, &str) = (
    200,
    r#"{"success":true,"operation_id":"op_data_load_20261124_131543_9b5a35fc","operation_type":"data_load","status":"failed","results":{}}"#,
);

const TRAINING_STARTED: (u16, &str) = (
    200,
    r#"{"success":true,"task_id":"op_training_20261124_131557_5b78b141","status":"training_started","message":"Neural network training started for AAPL using mcp_test_mlp strategy","symbols":["AAPL"],"timeframes":["1h"],"strategy_name":"mcp_test_mlp","estimated_duration_minutes":30}"#,
);

const STATUS_TRAINING_PREPARING: (u16, &str) = (
    200,
    r#"{"success":true,"data":{"operation_id":"op_training_20261124_131557_5b78b141","operation_type":"training","status":"running","created_at":"2026-11-24T13:15:57.505976Z","started_at":"2026-11-24T13:15:57.506111Z","completed_at":null,"progress":{"percentage":0.0,"current_step":"Loading market data","steps_completed":0,"steps_total":5,"items_processed":0,"items_total":null,"current_item":null,"context":{"operation":"training","service":"TrainingService","phase":"phase","phase_name":"data_preparation"}},"metadata":{"symbol":"AAPL","timeframe":"1h","mode":"training","start_date":null,"end_date":null,"parameters":{"strategy_name":"mcp_test_mlp","strategy_path":"<ktrdr>/strategies/mcp_test_mlp.yaml","training_type":"mlp","symbols":["AAPL"],"timeframes":["1h"],"epochs":5,"use_host_service":false,"analytics_enabled":false,"training_mode":"local","operation_name":"training","service_name":"TrainingService"}},"error_message":null,"warnings":[],"errors":[],"result_summary":null}}"#,
);

const RESULTS_NOT_FINISHED_400: (u16, &str) = (
    400,
    r#"{"detail":"Operation not finished (status: running)"}"#,
);

const STATUS_SERIALIZATION_500: (u16, &str) = (
    500,
    r#"{"success":false,"error":{"code":"INTERNAL_SERVER_ERROR","message":"An unexpected error occurred","details":{"type":"PydanticSerializationError"}}}"#,
);

const RESULTS_SERIALIZATION_500: (u16, &str) = (
    500,
    r#"{"success":false,"error":{"code":"INTERNAL_SERVER_ERROR","message":"An unexpected error occurred","details":{"type":"PydanticSerializationError"}}}"#,
);

const LIST_TRAINING_COMPLETED: (u16, &str) = (
    200,
    r#"{"success":true,"data":[{"operation_id":"op_training_20261124_131557_5b78b141","operation_type":"training","status":"completed","created_at":"2026-11-24T13:15:57.505976Z","progress_percentage":100.0,"current_step":"Epoch 5/5 · Batch 27/27","symbol":"AAPL","duration_seconds":3.521015}],"total_count":1,"active_count":0}"#,
);

const PERFORMANCE: (u16, &str) = (
    200,
    r#"{"success":true,"task_id":"op_training_20261124_131557_5b78b141","status":"completed","training_metrics":{"final_train_loss":0.7652990325329706,"final_val_loss":0.742458164691925,"final_train_accuracy":0.6080760095011877,"final_val_accuracy":0.6111111044883728,"epochs_completed":5,"early_stopped":false,"training_time_minutes":0.0},"test_metrics":{"test_loss":0.6956278085708618,"test_accuracy":0.6208791136741638,"precision":0.6671376242804814,"recall":0.6208791208791209,"f1_score":0.5758332576514394},"model_info":{"model_size_bytes":10676,"parameters_count":2669,"architecture":"multi_symbol_mlp_1symbols"}}"#,
);

const TRAINING_STATUS_ROUTE_404: (u16, &str) = (404, r#"{"detail":"Not Found"}"#);

const PERFORMANCE_NOT_FOUND_404: (u16, &str) =
    (404, r#"{"detail":"Training task nope not found"}"#);

const MODELS: (u16, &str) = (
    200,
    r#"{"success":true,"models":[{"model_id":"","model_name":"","symbol":"AAPL","timeframe":"1h","created_at":"2026-11-24T13:16:01.024451","training_accuracy":0.0,"test_accuracy":0.0,"description":""}]}"#,
);

const TRAINING_STARTED_LONG: (u16, &str) = (
    200,
    r#"{"success":true,"task_id":"op_training_20261124_131632_21e8b436","status":"training_started","message":"Neural network training started for AAPL using mcp_test_long strategy","symbols":["AAPL"],"timeframes":["1h"],"strategy_name":"mcp_test_long","estimated_duration_minutes":30}"#,
);

const STATUS_TRAINING_RUNNING: (u16, &str) = (
    200,
    r#"{"success":true,"data":{"operation_id":"op_training_20261124_131632_21e8b436","operation_type":"training","status":"running","created_at":"2026-11-24T13:16:32.489140Z","started_at":"2026-11-24T13:16:32.489351Z","completed_at":null,"progress":{"percentage":6.132098765432099,"current_step":"Epoch 184/3000 · Batch 26/27","steps_completed":183,"steps_total":3000,"items_processed":4967,"items_total":81000,"current_item":"Epoch 184 · Batch 26/27","context":{"operation":"training","service":"TrainingService","phase":"batch","phase_name":"data_preparation","epoch_index":184,"total_epochs":3000,"batch_index":26,"batch_number":26,"batch_total_per_epoch":27,"current_item":"Epoch 184 · Batch 26/27","batch_metrics":{"epoch":183,"total_epochs":3000,"batch":25,"total_batches_per_epoch":27,"completed_batches":4966,"total_batches":81000,"train_loss":0.6297920162861164,"train_accuracy":0.6923076923076923,"progress_type":"batch","multi_symbol":true},"epoch_metrics":{"epoch":182,"total_epochs":3000,"train_loss":0.6247216771730618,"train_accuracy":0.6888361045130641,"val_loss":0.7299808263778687,"val_accuracy":0.605555534362793,"progress_type":"epoch","multi_symbol":true}}},"metadata":{"symbol":"AAPL","timeframe":"1h","mode":"training","start_date":null,"end_date":null,"parameters":{"strategy_name":"mcp_test_long","strategy_path":"<ktrdr>/strategies/mcp_test_long.yaml","training_type":"mlp","symbols":["AAPL"],"timeframes":["1h"],"epochs":3000,"use_host_service":false,"analytics_enabled":false,"training_mode":"local","operation_name":"training","service_name":"TrainingService"}},"error_message":null,"warnings":[],"errors":[],"result_summary":null}}"#,
);

const LIST_ACTIVE_TRAINING: (u16, &str) = (
    200,
    r#"{"success":true,"data":[{"operation_id":"op_training_20261124_131632_21e8b436","operation_type":"training","status":"running","created_at":"2026-11-24T13:16:32.489140Z","progress_percentage":6.1456790123456795,"current_step":"Epoch 185/3000 · Batch 10/27","symbol":"AAPL","duration_seconds":6.051639}],"total_count":1,"active_count":1}"#,
);

const CANCEL_TRAINING: (u16, &str) = (
    200,
    r#"{"success":true,"data":{"success":true,"operation_id":"op_training_20261124_131632_21e8b436","status":"cancelled","cancelled_at":"2026-11-24T13:16:38.567481+00:00","cancellation_reason":"contract test","task_cancelled":true,"training_session_cancelled":false}}"#,
);

const STATUS_TRAINING_FAILED_AFTER_CANCEL: (u16, &str) = (
    200,
    r#"{"success":true,"data":{"operation_id":"op_training_20261124_131632_21e8b436","operation_type":"training","status":"failed","created_at":"2026-11-24T13:16:32.489140Z","started_at":"2026-11-24T13:16:32.489351Z","completed_at":"2026-11-24T13:16:38.568899Z","progress":{"percentage":6.179012345679012,"current_step":"Epoch 186/3000 · Batch 10/27","steps_completed":185,"steps_total":3000,"items_processed":5005,"items_total":81000,"current_item":"Epoch 186 · Batch 10/27","context":{"operation":"training","service":"TrainingService","phase":"batch","phase_name":"data_preparation","epoch_index":186,"total_epochs":3000,"batch_index":9,"batch_number":10,"batch_total_per_epoch":27,"current_item":"Epoch 186 · Batch 10/27","batch_metrics":{"epoch":185,"total_epochs":3000,"batch":9,"total_batches_per_epoch":27,"completed_batches":5004,"total_batches":81000,"train_loss":0.64081971347332,"train_accuracy":0.7,"progress_type":"batch","multi_symbol":true},"epoch_metrics":{"epoch":184,"total_epochs":3000,"train_loss":0.6219115777565012,"train_accuracy":0.6876484560570071,"val_loss":0.7395059466362,"val_accuracy":0.6333333253860474,"progress_type":"epoch","multi_symbol":true}}},"metadata":{"symbol":"AAPL","timeframe":"1h","mode":"training","start_date":null,"end_date":null,"parameters":{"strategy_name":"mcp_test_long","strategy_path":"<ktrdr>/strategies/mcp_test_long.yaml","training_type":"mlp","symbols":["AAPL"],"timeframes":["1h"],"epochs":3000,"use_host_service":false,"analytics_enabled":false,"training_mode":"local","operation_name":"training","service_name":"TrainingService"}},"error_message":"Training operation cancelled","warnings":[],"errors":[],"result_summary":null}}"#,
);

const RESULTS_TRAINING_FAILED: (u16, &str) = (
    200,
    r#"{"success":true,"operation_id":"op_training_20261124_131632_21e8b436","operation_type":"training","status":"failed","results":{}}"#,
);

const CANCEL_FAILED_400: (u16, &str) = (
    400,
    r#"{"detail":"Operation op_training_20261124_131632_21e8b436 cannot be cancelled (status: OperationStatus.FAILED)"}"#,
);

const CANCEL_DUMMY: (u16, &str) = (
    200,
    r#"{"success":true,"data":{"success":true,"operation_id":"op_dummy_20261124_131645_dd509d98","status":"cancelled","cancelled_at":"2026-11-24T13:16:46.367543+00:00","cancellation_reason":null,"task_cancelled":true,"training_session_cancelled":false}}"#,
);

const STATUS_DUMMY_TRUNCATED: (u16, &str) = (
    200,
    r#"{"success":true,"data":{"operation_id":"op_dummy_20261124_131645_dd509d98","operation_type":"dummy","status":"completed","created_at":"2026-11-24T13:16:45.351146Z","started_at":"2026-11-24T13:16:45.351286Z","completed_at":"2026-11-24T13:16:47.358469Z","progress":{"percentage":100.0,"current_step":"Operation dummy_task completed [100/100] (100.0%)","steps_completed":100,"steps_total":100,"items_processed":1,"items_total":null,"current_item":null,"context":{"operation":"dummy_task","service":"DummyService","context":{"current_step":"Iteration 1/100","current_item":"Processing step 1"}}},"metadata":{"symbol":"N/A","timeframe":"N/A","mode":"N/A","start_date":null,"end_date":null,"parameters":{"operation_name":"dummy_task","service_name":"DummyService"}},"error_message":"Operation cancelled by user","warnings":[],"errors":[],"result_summary":{"status":"cancelled","iterations_completed":1,"mes"#,
);

const TRAINING_STRATEGY_NOT_FOUND_400: (u16, &str) = (
    400,
    r#"{"detail":"Strategy file not found: mlp_basic.yaml (searched: <ktrdr>/strategies/volume_surge_momentum.yaml, <ktrdr>/strategies/neuro_mean_reversion.yaml, <ktrdr>/strategies/bollinger_squeeze.yaml, <ktrdr>/strategies/universal_generalization_model.yaml, <ktrdr>/strategies/crypto_scalping.yaml, <ktrdr>/strategies/rsi_mean_reversion.yaml, <ktrdr>/strategies/trend_momentum.yaml, <ktrdr>/strategies/mcp_test_mlp.yaml, <ktrdr>/strategies/universal_zero_shot_model.yaml, <ktrdr>/strategies/mcp_test_long.yaml)"}"#,
);

const TRAINING_BAD_NAME_400: (u16, &str) = (
    400,
    r#"{"detail":"Strategy name may only contain alphanumerics, dashes, or underscores"}"#,
);

const TRAINING_NO_SYMBOLS_422: (u16, &str) = (
    422,
    r#"{"detail":[{"type":"value_error","loc":["body","symbols"],"msg":"Value error, At least one symbol must be specified","input":[],"ctx":{"error":{}}}]}"#,
);

const TRAINING_OLD_SHAPE_422: (u16, &str) = (
    422,
    r#"{"detail":[{"type":"missing","loc":["body","timeframes"],"msg":"Field required","input":{"symbols":["AAPL"],"timeframe":"1h","config":{"epochs":100}}},{"type":"missing","loc":["body","strategy_name"],"msg":"Field required","input":{"symbols":["AAPL"],"timeframe":"1h","config":{"epochs":100}}}]}"#,
);

const LIST_PAGE_2_OFFSET_1: (u16, &str) = (
    200,
    r#"{"success":true,"data":[{"operation_id":"op_dummy_20261124_131645_dd509d98","operation_type":"dummy","status":"completed","created_at":"2026-11-24T13:16:45.351146Z","progress_percentage":100.0,"current_step":"Operation dummy_task completed [100/100] (100.0%)","symbol":"N/A","duration_seconds":2.007183},{"operation_id":"op_training_20261124_131632_21e8b436","operation_type":"training","status":"failed","created_at":"2026-11-24T13:16:32.489140Z","progress_percentage":6.179012345679012,"current_step":"Epoch 186/3000 · Batch 10/27","symbol":"AAPL","duration_seconds":6.079548}],"total_count":6,"active_count":0}"#,
);

const LIST_COMPLETED_DATA_LOADS: (u16, &str) = (
    200,
    r#"{"success":true,"data":[{"operation_id":"op_data_load_20261124_131707_7034496d","operation_type":"data_load","status":"completed","created_at":"2026-11-24T13:17:07.826276Z","progress_percentage":100.0,"current_step":"Operation data_load completed [100/100] (100.0%)","symbol":"N/A","duration_seconds":0.137272},{"operation_id":"op_data_load_20261124_131534_ee688673","operation_type":"data_load","status":"completed","created_at":"2026-11-24T13:15:34.908609Z","progress_percentage":100.0,"current_step":"Operation data_load completed [100/100] (100.0%)","symbol":"N/A","duration_seconds":0.121721}],"total_count":2,"active_count":0}"#,
);

const LIST_ACTIVE_NONE: (u16, &str) = (
    200,
    r#"{"success":true,"data":[],"total_count":0,"active_count":0}"#,
);

fn raw((status, body): (u16, &str)) -> RawResponse {
    RawResponse {
        status,
        body: body.as_bytes().to_vec(),
    }
}

fn details(error: &ToolError) -> Value {
    serde_json::from_str(&error.details).expect("details is JSON")
}

fn list_filter(limit: u32, offset: u32) -> ListFilter {
    ListFilter::new(None, None, None, Some(limit), Some(offset)).expect("valid filter")
}

fn load_args() -> LoadArgs {
    LoadArgs::new("AAPL", None, None, None, None).expect("valid load")
}

fn cached_query(limit: Option<u32>) -> MarketDataQuery {
    MarketDataQuery::new("AAPL", Some(Timeframe::Hour1), None, None, None, limit)
        .expect("valid query")
}

/// Decodes `sample` as the answer to `request`, as the transport hands it over.
fn decode_sample<T>(
    request: &ApiRequest,
    sample: (u16, &str),
    parse: impl FnOnce(&Value) -> Result<T, ShapeError>,
) -> Result<T, ToolError> {
    decode(request, &raw(sample), parse).map_err(ApiError::into_tool_error)
}

fn status_request() -> ApiRequest {
    operations::status_request("op_x").expect("valid id")
}

// ---------------------------------------------------------------------------------------------
// Successful answers
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_list_has_no_next_page() {
    let filter = list_filter(10, 0);
    for sample in [LIST_EMPTY, LIST_ACTIVE_NONE] {
        let list = decode_sample(&filter.request(), sample, |v| filter.parse(v)).unwrap();
        assert_eq!(list.operations.len(), 0);
        assert_eq!(
            (list.total_count, list.active_count, list.returned_count),
            (0, 0, 0)
        );
        assert_eq!(list.next_offset, None);
    }
}

#[test]
fn list_page_counts_and_next_offset() {
    let filter = list_filter(2, 1);
    let list = decode_sample(&filter.request(), LIST_PAGE_2_OFFSET_1, |v| filter.parse(v)).unwrap();
    assert_eq!(list.total_count, 6);
    assert_eq!(list.active_count, 0);
    assert_eq!(list.returned_count, 2);
    assert_eq!(list.next_offset, Some(3));
    let first = &list.operations[0];
    assert_eq!(first.operation_id, "op_dummy_20261124_131645_dd509d98");
    assert_eq!(first.operation_type, OperationType::Dummy);
    assert_eq!(first.status, OperationStatus::Completed);
    assert_eq!(first.created_at, "2026-11-24T13:16:45.351146Z");
    assert_eq!(first.progress_percentage, 100.0);
    assert_eq!(first.symbol.as_deref(), Some("N/A"));
    assert_eq!(first.duration_seconds, Some(2.007183));
    let second = &list.operations[1];
    assert_eq!(second.operation_type, OperationType::Training);
    assert_eq!(second.status, OperationStatus::Failed);
    assert_eq!(
        second.current_step.as_deref(),
        Some("Epoch 186/3000 · Batch 10/27")
    );
}

#[test]
fn list_samples_of_each_filter_parse() {
    let filter = list_filter(10, 0);
    let cases = [
        (
            LIST_ONE_DATA_LOAD,
            OperationType::DataLoad,
            OperationStatus::Completed,
            1,
        ),
        (
            LIST_COMPLETED_DATA_LOADS,
            OperationType::DataLoad,
            OperationStatus::Completed,
            2,
        ),
        (
            LIST_TRAINING_COMPLETED,
            OperationType::Training,
            OperationStatus::Completed,
            1,
        ),
        (
            LIST_ACTIVE_TRAINING,
            OperationType::Training,
            OperationStatus::Running,
            1,
        ),
    ];
    for (sample, kind, status, count) in cases {
        let list = decode_sample(&filter.request(), sample, |v| filter.parse(v)).unwrap();
        assert_eq!(list.operations.len(), count);
        assert_eq!(list.returned_count as usize, count);
        assert_eq!(list.total_count as usize, count);
        assert_eq!(list.next_offset, None);
        assert!(list
            .operations
            .iter()
            .all(|op| op.operation_type == kind && op.status == status));
    }
    let active =
        decode_sample(&filter.request(), LIST_ACTIVE_TRAINING, |v| filter.parse(v)).unwrap();
    assert_eq!(active.active_count, 1);
}

#[test]
fn running_data_load_status_carries_progress_context() {
    let info = decode_sample(
        &status_request(),
        STATUS_DATA_LOAD_RUNNING,
        operations::parse_status,
    )
    .unwrap();
    assert_eq!(info.operation_id, "op_data_load_20261124_131534_ee688673");
    assert_eq!(info.operation_type, OperationType::DataLoad);
    assert_eq!(info.status, OperationStatus::Running);
    assert_eq!(
        info.started_at.as_deref(),
        Some("2026-11-24T13:15:34.908739Z")
    );
    assert_eq!(info.completed_at, None);
    assert_eq!(info.progress.percentage, 100.0);
    assert_eq!(
        (info.progress.steps_completed, info.progress.steps_total),
        (5, 5)
    );
    assert_eq!(info.progress.items_total, None);
    let context: Value = serde_json::from_str(&info.progress.context).unwrap();
    assert_eq!(context["symbol"], "AAPL");
    assert_eq!(context["mode"], "local");
    assert_eq!(info.metadata.symbol.as_deref(), Some("N/A"));
    let parameters: Value = serde_json::from_str(&info.metadata.parameters).unwrap();
    assert_eq!(
        parameters,
        json!({"operation_name": "data_load", "service_name": "Data/IB"})
    );
    assert!(info.warnings.is_empty() && info.errors.is_empty());
    assert_eq!(info.result_summary, None);
}

#[test]
fn completed_data_load_status_has_a_result_summary() {
    let info = decode_sample(
        &status_request(),
        STATUS_DATA_LOAD_COMPLETED,
        operations::parse_status,
    )
    .unwrap();
    assert_eq!(info.status, OperationStatus::Completed);
    assert_eq!(
        info.completed_at.as_deref(),
        Some("2026-11-24T13:15:35.030460Z")
    );
    assert_eq!(
        (info.progress.steps_completed, info.progress.steps_total),
        (100, 100)
    );
    let summary: Value = serde_json::from_str(info.result_summary.as_deref().unwrap()).unwrap();
    assert_eq!(summary["fetched_bars"], 1204);
    assert_eq!(summary["merged_file"], "AAPL_1h.csv");
}

#[test]
fn failed_data_load_status_has_its_error_message() {
    let info = decode_sample(
        &status_request(),
        STATUS_DATA_LOAD_FAILED,
        operations::parse_status,
    )
    .unwrap();
    assert_eq!(info.status, OperationStatus::Failed);
    assert_eq!(
        info.error_message.as_deref(),
        Some("Data not found for NOPE (1h)")
    );
    assert_eq!(info.progress.percentage, 20.0);
}

#[test]
fn training_status_carries_epochs_batches_and_losses() {
    let preparing = decode_sample(
        &status_request(),
        STATUS_TRAINING_PREPARING,
        operations::parse_status,
    )
    .unwrap();
    assert_eq!(
        preparing.progress.current_step.as_deref(),
        Some("Loading market data")
    );
    assert_eq!(preparing.metadata.mode.as_deref(), Some("training"));
    let parameters: Value = serde_json::from_str(&preparing.metadata.parameters).unwrap();
    assert_eq!(parameters["strategy_name"], "mcp_test_mlp");
    assert_eq!(parameters["epochs"], 5);

    let running = decode_sample(
        &status_request(),
        STATUS_TRAINING_RUNNING,
        operations::parse_status,
    )
    .unwrap();
    assert_eq!(running.status, OperationStatus::Running);
    assert_eq!(
        (
            running.progress.steps_completed,
            running.progress.steps_total
        ),
        (183, 3000)
    );
    assert_eq!(running.progress.items_processed, 4967);
    assert_eq!(running.progress.items_total, Some(81000));
    assert_eq!(
        running.progress.current_item.as_deref(),
        Some("Epoch 184 · Batch 26/27")
    );
    let context: Value = serde_json::from_str(&running.progress.context).unwrap();
    assert_eq!(context["epoch_index"], 184);
    assert_eq!(context["batch_metrics"]["train_loss"], 0.6297920162861164);
    assert_eq!(context["epoch_metrics"]["val_accuracy"], 0.605555534362793);
}

#[test]
fn training_cancelled_then_failed_keeps_the_workers_message() {
    let info = decode_sample(
        &status_request(),
        STATUS_TRAINING_FAILED_AFTER_CANCEL,
        operations::parse_status,
    )
    .unwrap();
    assert_eq!(info.status, OperationStatus::Failed);
    assert_eq!(
        info.error_message.as_deref(),
        Some("Training operation cancelled")
    );
}

#[test]
fn results_of_completed_and_failed_operations() {
    let request = operations::results_request("op_x").unwrap();
    let completed = decode_sample(
        &request,
        RESULTS_DATA_LOAD_COMPLETED,
        operations::parse_results,
    )
    .unwrap();
    assert_eq!(
        completed.operation_id,
        "op_data_load_20261124_131534_ee688673"
    );
    assert_eq!(completed.operation_type, OperationType::DataLoad);
    assert_eq!(completed.status, OperationStatus::Completed);
    let results: Value = serde_json::from_str(&completed.results).unwrap();
    assert_eq!(results["status"], "success");
    assert_eq!(results["segments_fetched"], 1);
    for sample in [RESULTS_DATA_LOAD_FAILED, RESULTS_TRAINING_FAILED] {
        let failed = decode_sample(&request, sample, operations::parse_results).unwrap();
        assert_eq!(failed.status, OperationStatus::Failed);
        assert_eq!(failed.results, "{}");
    }
}

#[test]
fn cancel_results_of_training_and_dummy() {
    let request = operations::cancel_request("op_x", Some("contract test")).unwrap();
    let training = decode_sample(&request, CANCEL_TRAINING, operations::parse_cancel).unwrap();
    assert_eq!(
        training.operation_id,
        "op_training_20261124_131632_21e8b436"
    );
    assert_eq!(training.status, OperationStatus::Cancelled);
    assert_eq!(training.cancelled_at, "2026-11-24T13:16:38.567481+00:00");
    assert_eq!(
        training.cancellation_reason.as_deref(),
        Some("contract test")
    );
    assert!(training.task_cancelled);
    assert_eq!(training.training_session_cancelled, Some(false));
    assert_eq!(training.remote_cancelled, None);
    let dummy = decode_sample(&request, CANCEL_DUMMY, operations::parse_cancel).unwrap();
    assert_eq!(dummy.cancellation_reason, None);
}

#[test]
fn data_load_start_is_normalised_with_a_top_level_id() {
    let args = load_args();
    for (sample, id) in [
        (DATA_LOAD_STARTED, "op_data_load_20261124_131534_ee688673"),
        (
            DATA_LOAD_STARTED_NOPE,
            "op_data_load_20261124_131543_9b5a35fc",
        ),
    ] {
        let request = args.request(LoadRoute::Load);
        let started = decode_sample(&request, sample, |v| args.parse(v)).unwrap();
        assert_eq!(started.operation_id, id);
        assert_eq!(started.operation_type, OperationType::DataLoad);
        assert_eq!(started.status, "started");
        assert_eq!(started.symbol, "AAPL");
        assert!(started
            .message
            .starts_with("Started loading AAPL 1h (tail mode)"));
        assert!(started.message.contains("get_operation_status"));
        assert!(started.message.contains(id));
    }
}

#[test]
fn training_start_uses_task_id_when_there_is_no_operation_id() {
    let args =
        training::TrainingArgs::new("mcp_test_mlp", &["AAPL".into()], None, None, None, None)
            .unwrap();
    let started = decode_sample(
        &args.request(),
        TRAINING_STARTED,
        training::parse_training_started,
    )
    .unwrap();
    assert_eq!(started.operation_id, "op_training_20261124_131557_5b78b141");
    assert_eq!(started.task_id, started.operation_id);
    assert_eq!(started.operation_type, OperationType::Training);
    assert_eq!(started.status, "started");
    assert_eq!(started.strategy_name, "mcp_test_mlp");
    assert_eq!(started.symbols, ["AAPL"]);
    assert_eq!(started.timeframes, ["1h"]);
    assert_eq!(started.estimated_duration_minutes, Some(30));
    assert!(started
        .message
        .starts_with("Neural network training started for AAPL using mcp_test_mlp strategy"));
    assert!(started.message.contains("get_operation_status"));
    let long = decode_sample(
        &args.request(),
        TRAINING_STARTED_LONG,
        training::parse_training_started,
    )
    .unwrap();
    assert_eq!(long.operation_id, "op_training_20261124_131632_21e8b436");
}

#[test]
fn cached_data_with_and_without_bars() {
    let all = cached_query(Some(1000));
    let bars = decode_sample(&all.request(), CACHED_AAPL_1H, |v| all.parse(v)).unwrap();
    assert_eq!(bars.bars.len(), 7);
    assert_eq!(bars.available_count, 7);
    assert!(!bars.truncated);
    let last_two = cached_query(Some(2));
    let trimmed =
        decode_sample(&last_two.request(), CACHED_AAPL_1H, |v| last_two.parse(v)).unwrap();
    let dates: Vec<_> = trimmed
        .bars
        .iter()
        .map(|bar| bar.timestamp.as_str())
        .collect();
    assert_eq!(dates, ["2024-01-02T19:00:00", "2024-01-02T20:00:00"]);
    let last = &trimmed.bars[1];
    assert_eq!(
        [last.open, last.high, last.low, last.close, last.volume],
        [191.8442, 192.8359, 191.1912, 192.1793, 1288994.0]
    );
    assert!(trimmed.truncated);
    for sample in [CACHED_EMPTY_RANGE, CACHED_UNKNOWN_SYMBOL] {
        let empty = decode_sample(&last_two.request(), sample, |v| last_two.parse(v)).unwrap();
        assert!(empty.bars.is_empty());
        assert_eq!(empty.available_count, 0);
        assert!(!empty.truncated);
    }
}

#[test]
fn performance_reads_as_training_results() {
    let request = training::performance_request("op_x").unwrap();
    let results = decode_sample(&request, PERFORMANCE, |v| {
        training::performance_results("op_training_20261124_131557_5b78b141", v)
    })
    .unwrap();
    assert_eq!(results.status, OperationStatus::Completed);
    assert_eq!(results.note.as_deref(), Some(training::PERFORMANCE_NOTE));
    let metrics: Value = serde_json::from_str(&results.results).unwrap();
    assert_eq!(metrics["test_metrics"]["test_accuracy"], 0.6208791136741638);
    assert_eq!(metrics["model_info"]["parameters_count"], 2669);
}

// ---------------------------------------------------------------------------------------------
// Error answers: all three body shapes
// ---------------------------------------------------------------------------------------------

#[test]
fn not_found_answers() {
    for (request, sample) in [
        (status_request(), STATUS_NOT_FOUND_404),
        (
            operations::results_request("op_nope").unwrap(),
            RESULTS_NOT_FOUND_404,
        ),
        (
            operations::cancel_request("op_nope", None).unwrap(),
            CANCEL_NOT_FOUND_404,
        ),
    ] {
        let error = decode_sample(&request, sample, operations::parse_status).unwrap_err();
        assert_eq!(error.status_code, 404);
        assert_eq!(error.code, ErrorCode::NotFound);
        assert_eq!(
            error.message,
            "Operation not found: op_nope (HTTP 404). Use list_operations to find valid operation ids."
        );
        assert_eq!(
            details(&error),
            json!({"detail": "Operation not found: op_nope"})
        );
    }
    let performance = training::performance_request("nope").unwrap();
    let error = decode_sample(&performance, PERFORMANCE_NOT_FOUND_404, |v| {
        training::performance_results("nope", v)
    })
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::NotFound);
    assert!(error
        .message
        .starts_with("Training task nope not found (HTTP 404)."));
}

#[test]
fn missing_routes_point_at_the_api_prefix() {
    for sample in [
        NO_PREFIX_HEALTH_404,
        POST_CANCEL_ROUTE_404,
        TRAINING_STATUS_ROUTE_404,
    ] {
        let error = decode_sample(&status_request(), sample, operations::parse_status).unwrap_err();
        assert_eq!(error.code, ErrorCode::NotFound);
        assert!(
            error
                .message
                .contains("has no endpoint GET /operations/op_x"),
            "{}",
            error.message
        );
        assert!(error.message.contains("KTRDR_API_URL"));
    }
}

#[test]
fn refusals_quote_the_backends_reason_and_say_what_to_do() {
    let cancel = operations::cancel_request("op_x", None).unwrap();
    for sample in [CANCEL_COMPLETED_400, CANCEL_FAILED_400] {
        let error = decode_sample(&cancel, sample, operations::parse_cancel).unwrap_err();
        assert_eq!((error.status_code, error.code), (400, ErrorCode::Rejected));
        assert!(error
            .message
            .contains("cannot be cancelled (status: OperationStatus."));
        assert!(error
            .message
            .contains("Only pending or running operations can be cancelled"));
    }
    let results = operations::results_request("op_x").unwrap();
    let error = decode_sample(
        &results,
        RESULTS_NOT_FINISHED_400,
        operations::parse_results,
    )
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::Rejected);
    assert!(error
        .message
        .contains("Operation not finished (status: running)"));
    assert!(error.message.contains("poll get_operation_status"));

    let start = training::TrainingArgs::new("mlp_basic", &["AAPL".into()], None, None, None, None)
        .unwrap()
        .request();
    let error = decode_sample(
        &start,
        TRAINING_STRATEGY_NOT_FOUND_400,
        training::parse_training_started,
    )
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::Rejected);
    assert!(error
        .message
        .contains("Strategy file not found: mlp_basic.yaml"));
    assert!(error.message.contains("strategy_config_path"));
    assert!(!error.message.contains('\n'));
    assert!(details(&error)["detail"]
        .as_str()
        .unwrap()
        .contains("mcp_test_long.yaml"));
    let error = decode_sample(
        &start,
        TRAINING_BAD_NAME_400,
        training::parse_training_started,
    )
    .unwrap_err();
    assert!(error.message.contains("Strategy name may only contain"));
}

#[test]
fn envelope_errors_carry_code_and_details() {
    let query = cached_query(None);
    let error =
        decode_sample(&query.request(), CACHED_BAD_DATE_400, |v| query.parse(v)).unwrap_err();
    assert_eq!((error.status_code, error.code), (400, ErrorCode::Rejected));
    assert!(error
        .message
        .contains("Invalid start_date format. Use YYYY-MM-DD [DATA-InvalidDate]"));
    assert_eq!(details(&error)["code"], "DATA-InvalidDate");
    assert_eq!(
        details(&error)["details"],
        json!({"start_date": "notadate"})
    );

    let args = load_args();
    let error = decode_sample(
        &args.request(LoadRoute::Load),
        DATA_LOAD_BLANK_SYMBOL_400,
        |v| args.parse(v),
    )
    .unwrap_err();
    assert!(error.message.contains("[DATA-InvalidSymbol]"));
    assert_eq!(details(&error)["details"], json!({"symbol": "  "}));

    for sample in [STATUS_SERIALIZATION_500, RESULTS_SERIALIZATION_500] {
        let error = decode_sample(&status_request(), sample, operations::parse_status).unwrap_err();
        assert_eq!(
            (error.status_code, error.code),
            (500, ErrorCode::BackendError)
        );
        assert!(error
            .message
            .contains("An unexpected error occurred [INTERNAL_SERVER_ERROR]"));
        assert_eq!(
            details(&error)["details"]["type"],
            "PydanticSerializationError"
        );
    }
}

#[test]
fn validation_lists_name_the_fields() {
    let cases = [
        (
            LIST_LIMIT_0_422,
            "query.limit: Input should be greater than or equal to 1",
        ),
        (
            LIST_LIMIT_1001_422,
            "query.limit: Input should be less than or equal to 1000",
        ),
        (
            LIST_STATUS_BOGUS_422,
            "query.status: Input should be 'pending'",
        ),
        (
            LIST_TYPE_BACKTEST_422,
            "query.operation_type: Input should be 'data_load'",
        ),
        (
            LIST_ACTIVE_MAYBE_422,
            "query.active_only: Input should be a valid boolean",
        ),
        (
            DATA_LOAD_TIMEFRAME_422,
            "body.timeframe: Value error, Timeframe must be one of",
        ),
        (DATA_LOAD_MODE_422, "body.mode: Input should be 'local'"),
        (DATA_LOAD_MISSING_SYMBOL_422, "body.symbol: Field required"),
        (
            DATA_LOAD_DATES_REVERSED_422,
            "body: Value error, start_date must be before end_date",
        ),
        (
            TRAINING_NO_SYMBOLS_422,
            "body.symbols: Value error, At least one symbol must be specified",
        ),
        (
            TRAINING_OLD_SHAPE_422,
            "body.timeframes: Field required; body.strategy_name: Field required",
        ),
    ];
    let filter = list_filter(10, 0);
    for (sample, expected) in cases {
        let error = decode_sample(&filter.request(), sample, |v| filter.parse(v)).unwrap_err();
        assert_eq!(
            (error.status_code, error.code),
            (422, ErrorCode::ValidationFailed)
        );
        assert!(
            error.message.contains(expected),
            "{} ⊄ {}",
            expected,
            error.message
        );
        assert!(details(&error)["detail"].is_array());
    }
}

#[test]
fn truncated_and_non_operation_bodies_are_bad_responses() {
    let error = decode_sample(
        &status_request(),
        STATUS_DUMMY_TRUNCATED,
        operations::parse_status,
    )
    .unwrap_err();
    assert_eq!(
        (error.status_code, error.code),
        (200, ErrorCode::BadResponse)
    );
    assert!(error.message.contains("invalid JSON"));
    // A backend without the operations API (or a wrong URL) answering 200 with another shape.
    let error = decode_sample(&status_request(), HEALTH, operations::parse_status).unwrap_err();
    assert_eq!(error.code, ErrorCode::BadResponse);
    assert!(error.message.contains("data: missing"), "{}", error.message);
}

// ---------------------------------------------------------------------------------------------
// Robustness: no parser panics on any body
// ---------------------------------------------------------------------------------------------

/// Every sample body.
const ALL_SAMPLES: [(u16, &str); 56] = [
    HEALTH,
    NO_PREFIX_HEALTH_404,
    LIST_EMPTY,
    LIST_LIMIT_0_422,
    LIST_LIMIT_1001_422,
    LIST_STATUS_BOGUS_422,
    LIST_TYPE_BACKTEST_422,
    LIST_ACTIVE_MAYBE_422,
    CACHED_EMPTY_RANGE,
    CACHED_UNKNOWN_SYMBOL,
    CACHED_BAD_DATE_400,
    CACHED_AAPL_1H,
    DATA_LOAD_STARTED,
    STATUS_DATA_LOAD_RUNNING,
    STATUS_DATA_LOAD_COMPLETED,
    RESULTS_DATA_LOAD_COMPLETED,
    LIST_ONE_DATA_LOAD,
    STATUS_NOT_FOUND_404,
    RESULTS_NOT_FOUND_404,
    CANCEL_NOT_FOUND_404,
    CANCEL_COMPLETED_400,
    POST_CANCEL_ROUTE_404,
    DATA_LOAD_TIMEFRAME_422,
    DATA_LOAD_MODE_422,
    DATA_LOAD_MISSING_SYMBOL_422,
    DATA_LOAD_BLANK_SYMBOL_400,
    DATA_LOAD_DATES_REVERSED_422,
    DATA_LOAD_STARTED_NOPE,
    STATUS_DATA_LOAD_FAILED,
    RESULTS_DATA_LOAD_FAILED,
    TRAINING_STARTED,
    STATUS_TRAINING_PREPARING,
    RESULTS_NOT_FINISHED_400,
    STATUS_SERIALIZATION_500,
    RESULTS_SERIALIZATION_500,
    LIST_TRAINING_COMPLETED,
    PERFORMANCE,
    TRAINING_STATUS_ROUTE_404,
    PERFORMANCE_NOT_FOUND_404,
    MODELS,
    TRAINING_STARTED_LONG,
    STATUS_TRAINING_RUNNING,
    LIST_ACTIVE_TRAINING,
    CANCEL_TRAINING,
    STATUS_TRAINING_FAILED_AFTER_CANCEL,
    RESULTS_TRAINING_FAILED,
    CANCEL_FAILED_400,
    CANCEL_DUMMY,
    STATUS_DUMMY_TRUNCATED,
    TRAINING_STRATEGY_NOT_FOUND_400,
    TRAINING_BAD_NAME_400,
    TRAINING_NO_SYMBOLS_422,
    TRAINING_OLD_SHAPE_422,
    LIST_PAGE_2_OFFSET_1,
    LIST_COMPLETED_DATA_LOADS,
    LIST_ACTIVE_NONE,
];

/// Runs `response` through every parser of the component; each must return (never panic),
/// and each failure must be the code the status calls for (`bad-response` for a 2xx).
fn decode_with_every_parser(response: &RawResponse) {
    let filter = list_filter(10, 990);
    let load = load_args();
    let cached = cached_query(Some(3));
    let start = training::TrainingArgs::new("m", &["AAPL".into()], None, None, None, None).unwrap();
    let outcomes: [(&str, Result<(), ApiError>); 8] = [
        (
            "list",
            decode(&filter.request(), response, |v| filter.parse(v)).map(|list| {
                assert_eq!(list.returned_count as usize, list.operations.len());
            }),
        ),
        (
            "status",
            decode(&status_request(), response, operations::parse_status).map(drop),
        ),
        (
            "cancel",
            decode(&status_request(), response, operations::parse_cancel).map(drop),
        ),
        (
            "results",
            decode(&status_request(), response, operations::parse_results).map(drop),
        ),
        (
            "load",
            decode(&load.request(LoadRoute::Load), response, |v| load.parse(v)).map(|started| {
                assert!(!started.operation_id.is_empty());
            }),
        ),
        (
            "cached",
            decode(&cached.request(), response, |v| cached.parse(v)).map(|data| {
                assert!(data.bars.len() <= 3);
            }),
        ),
        (
            "training",
            decode(&start.request(), response, training::parse_training_started)
                .map(|started| assert!(!started.operation_id.trim().is_empty())),
        ),
        (
            "performance",
            decode(&status_request(), response, |v| {
                training::performance_results("op", v)
            })
            .map(drop),
        ),
    ];
    let expected = if (200..300).contains(&response.status) {
        ErrorCode::BadResponse
    } else {
        code_for_status(response.status)
    };
    for (parser, outcome) in outcomes {
        if let Err(error) = outcome {
            let tool_error = error.into_tool_error();
            assert_eq!(
                tool_error.code, expected,
                "{parser}: {}",
                tool_error.message
            );
            assert!(
                !tool_error.message.contains('\n'),
                "{parser}: multi-line message"
            );
            assert!(
                details(&tool_error).is_object(),
                "{parser}: details not an object"
            );
        }
    }
}

fn as_200(body: Vec<u8>) -> RawResponse {
    RawResponse { status: 200, body }
}

#[test]
fn every_sample_decodes_without_panicking_under_its_own_and_a_2xx_status() {
    for sample in ALL_SAMPLES {
        decode_with_every_parser(&raw(sample));
        decode_with_every_parser(&as_200(sample.1.as_bytes().to_vec()));
    }
}

#[test]
fn truncated_bodies_never_panic() {
    for (status, body) in ALL_SAMPLES {
        let bytes = body.as_bytes();
        let step = if bytes.len() > 1000 { 3 } else { 1 };
        for cut in (0..bytes.len()).step_by(step) {
            let prefix = bytes[..cut].to_vec();
            decode_with_every_parser(&as_200(prefix.clone()));
            decode_with_every_parser(&RawResponse {
                status,
                body: prefix,
            });
        }
    }
}

/// Every JSON value inside `value`, by path, replaced by each of `replacements`.
fn wrong_typed_variants(value: &Value, replacements: &[Value]) -> Vec<Value> {
    fn paths(value: &Value, path: &mut Vec<String>, all: &mut Vec<Vec<String>>) {
        all.push(path.clone());
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    path.push(key.clone());
                    paths(child, path, all);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    path.push(index.to_string());
                    paths(child, path, all);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut all = Vec::new();
    paths(value, &mut Vec::new(), &mut all);
    let mut variants = Vec::new();
    for path in all {
        for replacement in replacements {
            let mut variant = value.clone();
            let pointer: String = path.iter().map(|part| format!("/{part}")).collect();
            if let Some(slot) = variant.pointer_mut(&pointer) {
                *slot = replacement.clone();
                variants.push(variant);
            }
        }
    }
    variants
}

#[test]
fn wrong_typed_fields_never_panic() {
    let replacements = [
        Value::Null,
        json!(true),
        json!(-1),
        json!(1.5),
        json!(1e308),
        json!(u64::MAX),
        json!(""),
        json!("unknown_kind"),
        json!([]),
        json!({}),
        json!([null, {}]),
    ];
    let mut checked = 0usize;
    for (_, body) in ALL_SAMPLES {
        let Ok(value) = serde_json::from_str::<Value>(body) else {
            continue;
        };
        for variant in wrong_typed_variants(&value, &replacements) {
            decode_with_every_parser(&as_200(variant.to_string().into_bytes()));
            checked += 1;
        }
    }
    assert!(checked > 5_000, "only {checked} variants");
}

/// A small deterministic generator (xorshift64*), so failures are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(bound.max(1)).unwrap()).unwrap()
    }
}

#[test]
fn random_byte_mutations_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let interesting = b"{}[]\",:0-.eE\\u\xff\x00 tfn";
    for (status, body) in ALL_SAMPLES {
        for _ in 0..150 {
            let mut bytes = body.as_bytes().to_vec();
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len());
                match rng.below(3) {
                    0 if !bytes.is_empty() => {
                        bytes[at] = interesting[rng.below(interesting.len())];
                    }
                    1 if !bytes.is_empty() => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(
                        at.min(bytes.len()),
                        interesting[rng.below(interesting.len())],
                    ),
                }
            }
            decode_with_every_parser(&as_200(bytes.clone()));
            decode_with_every_parser(&RawResponse {
                status,
                body: bytes,
            });
        }
    }
}

#[test]
fn huge_and_hostile_bodies_never_panic() {
    let summary = r#"{"operation_id":"op_x","operation_type":"dummy","status":"running","created_at":"t","progress_percentage":1}"#;
    let many = format!(
        r#"{{"success":true,"data":[{}],"total_count":4294967296000,"active_count":-0.0}}"#,
        vec![summary; 30_000].join(",")
    );
    let long_text = format!(
        r#"{{"success":true,"data":{{"operation_id":"{}","operation_type":"training","status":"running","created_at":"t"}}}}"#,
        "x".repeat(3 * 1024 * 1024)
    );
    // Big bodies (up to the transport's 4 MiB cap) under a success and an error status.
    for body in [many.into_bytes(), long_text.into_bytes()] {
        assert!(body.len() <= ktrdr_tools::http::RESPONSE_SIZE_CAP);
        for status in [200, 500] {
            decode_with_every_parser(&RawResponse {
                status,
                body: body.clone(),
            });
        }
    }
    let hostile: Vec<Vec<u8>> = vec![
        "[".repeat(100_000).into_bytes(),
        "{\"a\":".repeat(100_000).into_bytes(),
        format!("{}{}", "[".repeat(127), "]".repeat(127)).into_bytes(),
        br#"{"data":{"operation_id":"\ud800","progress_percentage":1e999}}"#.to_vec(),
        br#"{"success":true,"data":{"status":"started","operation_id":"op\u0000\n"}}"#.to_vec(),
        br#"{"detail":[{"loc":[1,{"a":null},[]],"msg":7}]}"#.to_vec(),
        br#"{"error":{"code":5,"message":["x"],"details":"y"},"success":false}"#.to_vec(),
        vec![0xff; 10_000],
        Vec::new(),
        b"null".to_vec(),
        b"1e400".to_vec(),
    ];
    for body in hostile {
        for status in [
            200, 201, 204, 301, 400, 404, 408, 422, 429, 500, 503, 599, 0, 999,
        ] {
            decode_with_every_parser(&RawResponse {
                status,
                body: body.clone(),
            });
        }
    }
}

#[test]
fn a_big_list_is_counted_exactly() {
    let summary = r#"{"operation_id":"op_x","operation_type":"dummy","status":"running","created_at":"t","progress_percentage":1}"#;
    let body = format!(
        r#"{{"success":true,"data":[{}],"total_count":5000,"active_count":1000}}"#,
        vec![summary; 1000].join(",")
    );
    let filter = list_filter(1000, 2000);
    let list = decode(&filter.request(), &as_200(body.into_bytes()), |v| {
        filter.parse(v)
    })
    .unwrap();
    assert_eq!(list.returned_count, 1000);
    assert_eq!(list.next_offset, Some(3000));
    assert_eq!(list.active_count, 1000);
}
