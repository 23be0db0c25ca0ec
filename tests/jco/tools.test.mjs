// The release component in jco: transpiled by `make test-runtimes` into target/jco/, each of
// its seven functions called against the reference backend, and the error paths a JavaScript
// caller sees. Run it with `make test-runtimes`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { instantiate } from '../../target/jco/ktrdr-tools.js';

const repo = new URL('../../', import.meta.url);
const jcoDir = new URL('target/jco/', repo);

/** A fresh instance of the component; `env` is its whole WASI environment. */
async function tools(env, sandbox = {}) {
  const shim = new WASIShim({ sandbox: { env, ...sandbox } });
  const compile = async (path) => WebAssembly.compile(await readFile(new URL(path, jcoDir)));
  return (await instantiate(compile, shim.getImportObject())).tools;
}

/** The `tool-error` a call throws (jco wraps it in a `ComponentError` as `.payload`). */
function toolError(call) {
  try {
    call();
  } catch (error) {
    assert.equal(error.constructor.name, 'ComponentError', `not a ComponentError: ${error}`);
    return error.payload;
  }
  assert.fail('the call succeeded');
}

/** A loopback port nothing listens on. */
async function closedPort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

let backend;
let dataDir;
let api;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ktrdr-jco-'));
  const binary = process.env.KTRDR_BACKEND_BIN ?? new URL('target/quick/ktrdr-backend', repo).pathname;
  backend = spawn(binary, [
    '--port', '0', '--seed-data',
    '--data-dir', join(dataDir, 'data'),
    '--models-dir', join(dataDir, 'models'),
    '--strategies-dir', join(dataDir, 'strategies'),
  ], { stdio: ['ignore', 'pipe', 'ignore'] });
  const [port] = await once(createInterface({ input: backend.stdout }), 'line');
  api = await tools({ KTRDR_API_URL: `http://127.0.0.1:${port}/api/v1`, API_TIMEOUT: '10' });
});

after(async () => {
  backend?.kill();
  await rm(dataDir, { recursive: true, force: true });
});

test('get-market-data: enum cases by their WIT names, the newest bars', () => {
  const data = api.getMarketData('aapl', 'hour1', undefined, undefined, undefined, 3);
  assert.equal(data.symbol, 'AAPL');
  assert.equal(data.timeframe, 'hour1');
  assert.equal(data.bars.length, 3);
  assert.equal(data.truncated, true);
  assert.ok(data.bars[0].timestamp < data.bars[2].timestamp);
});

test('a data load: trigger, status (u64 fields as BigInt), results', async () => {
  const started = api.triggerDataLoading('AAPL', 'day1', 'local', undefined, undefined);
  assert.equal(started.operationType, 'data-load');
  assert.equal(started.mode, 'local');
  let status = api.getOperationStatus(started.operationId);
  for (let tries = 0; status.status !== 'completed' && tries < 100; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    status = api.getOperationStatus(started.operationId);
  }
  assert.equal(status.status, 'completed');
  assert.equal(typeof status.progress.stepsTotal, 'bigint');
  const results = api.getOperationResults(started.operationId);
  assert.ok(JSON.parse(results.results).fetched_bars > 0);
});

test('a long training: start with a json argument as text, list, cancel', () => {
  const started = api.startTraining('mlp_long', ['AAPL'], ['hour1'], '{"detailed_analytics":false}',
    undefined, undefined);
  assert.equal(started.strategyName, 'mlp_long');
  assert.deepEqual(started.timeframes, ['1h']);
  const listed = api.listOperations('training', undefined, undefined, 5, undefined);
  assert.ok(listed.operations.some((operation) => operation.operationId === started.operationId));
  const cancelled = api.cancelOperation(started.operationId, 'jco test');
  assert.equal(cancelled.status, 'cancelled');
  assert.equal(cancelled.cancellationReason, 'jco test');
  const rejected = toolError(() => api.getOperationResults(started.operationId));
  assert.equal(rejected.code, 'rejected');
  assert.equal(rejected.statusCode, 400);
});

test('not-found: a ComponentError whose payload is the tool-error record', () => {
  const error = toolError(() => api.getOperationStatus('op_unknown'));
  assert.deepEqual(Object.keys(error), ['statusCode', 'code', 'message', 'details']);
  assert.equal(error.code, 'not-found');
  assert.equal(error.statusCode, 404);
  assert.match(error.message, /op_unknown/);
  assert.equal(typeof JSON.parse(error.details), 'object');
});

test('invalid-argument: refused before any request', () => {
  const error = toolError(() => api.listOperations(undefined, undefined, undefined, 0, undefined));
  assert.equal(error.code, 'invalid-argument');
  assert.equal(error.statusCode, 0);
  assert.equal(JSON.parse(error.details).parameter, 'limit');
});

test('a JSON spelling of an enum case is refused by the bindings, not by the component', () => {
  assert.throws(() => api.getMarketData('AAPL', '1h', undefined, undefined, undefined, 1),
    { name: 'TypeError', message: /not one of the cases of timeframe/ });
});

test('unavailable: the backend is down', async () => {
  const down = await tools({ KTRDR_API_URL: `http://127.0.0.1:${await closedPort()}/api/v1` });
  const error = toolError(() => down.listOperations(undefined, undefined, undefined, undefined, undefined));
  assert.equal(error.code, 'unavailable');
  assert.equal(error.statusCode, 0);
});

test('with enableNetwork: false the shim throws instead of returning a WASI error code', async () => {
  const offline = await tools({}, { enableNetwork: false });
  assert.throws(() => offline.listOperations(undefined, undefined, undefined, undefined, undefined),
    (error) => error.constructor.name !== 'ComponentError' && /access-denied/.test(String(error)));
});
