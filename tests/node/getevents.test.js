'use strict';
// Second, independent gRPC client of vigild: @grpc/grpc-js + proto-loader read our .proto files at
// run time, so this checks the wire contract without sharing any code with the C++ side.
// It starts the real agent on a private unix socket, subscribes to GetEvents, runs the trigger
// program and asserts the exec and exit events it must produce. Needs root (the agent loads BPF).
// Run by CTest, which sets VIGIL_BUILD_DIR, VIGIL_SOURCE_DIR and NODE_PATH.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const OVERALL_DEADLINE_MS = 60_000;
const POLL_INTERVAL_MS = 50;
const RPC_TIMEOUT_MS = 2_000;
// The server registers a GetEvents listener some time after the call arrives and the client
// cannot observe that moment, so a trigger run that no event answers is repeated (with a new
// distinctive argument) after this long, until the overall deadline.
const TRIGGER_RETRY_MS = 3_000;
const KILL_GRACE_MS = 10_000;
const OUTPUT_TAIL_BYTES = 8_192;

const buildDir = process.env.VIGIL_BUILD_DIR;
const sourceDir = process.env.VIGIL_SOURCE_DIR;

function skipReason() {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'needs root: vigild loads eBPF programs (run the kernel tests as root)';
  }
  return false;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// An error that ends a wait at once: no later poll can succeed (the agent died, the stream broke).
class Fatal extends Error {}

// Polls `check` until it returns a truthy value or `deadline` (epoch ms) passes.
async function waitFor(what, deadline, check) {
  let lastError = null;
  for (;;) {
    try {
      const result = await check();
      if (result) return result;
    } catch (err) {
      if (err instanceof Fatal) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out waiting for ${what}${detail}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

// Keeps only the last bytes of a stream, enough to explain a failure.
class Tail {
  constructor() {
    this.text = '';
  }
  push(chunk) {
    this.text = (this.text + chunk.toString()).slice(-OUTPUT_TAIL_BYTES);
  }
}

function loadService() {
  const protoDir = path.join(sourceDir, 'proto');
  const definition = protoLoader.loadSync('tetragon/sensors.proto', {
    includeDirs: [protoDir],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).tetragon.FineGuidanceSensors;
}

function unaryCall(client, method, request) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + RPC_TIMEOUT_MS);
    client[method](request, { deadline }, (err, response) => (err ? reject(err) : resolve(response)));
  });
}

function runTrigger(args) {
  const trigger = path.join(buildDir, 'tests', 'progs', 'vigil_trigger');
  return new Promise((resolve, reject) => {
    const child = spawn(trigger, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

describe('vigild gRPC API through @grpc/grpc-js', { skip: skipReason() }, () => {
  const deadline = Date.now() + OVERALL_DEADLINE_MS;
  const workDir = `/tmp/vigil-node-${process.pid}`;
  const target = `unix://${workDir}/vigil.sock`;
  const stderrTail = new Tail();
  const stdoutTail = new Tail();
  let agent = null;
  let agentExit = null; // { code, signal } once the agent has exited
  let client = null;

  function printAgentOutput(why) {
    console.error(`--- ${why}; vigild ${agentExit ? `exited ${JSON.stringify(agentExit)}` : 'still running'}`);
    console.error(`--- vigild stderr (tail):\n${stderrTail.text || '(empty)'}`);
    if (stdoutTail.text) console.error(`--- vigild stdout (tail):\n${stdoutTail.text}`);
  }

  // Runs a test body; on failure shows what the agent said before re-throwing.
  async function withAgentOutput(name, body) {
    try {
      await body();
    } catch (err) {
      printAgentOutput(`${name} failed: ${err.message}`);
      throw err;
    }
  }

  before(async () => {
    assert.ok(buildDir && sourceDir, 'VIGIL_BUILD_DIR and VIGIL_SOURCE_DIR must be set (run through ctest)');
    const Service = loadService();

    fs.rmSync(workDir, { recursive: true, force: true });
    fs.mkdirSync(path.join(workDir, 'run'), { recursive: true });
    agent = spawn(
      path.join(buildDir, 'vigild'),
      ['--server-address', target, '--run-dir', path.join(workDir, 'run'), '--log-level', 'info'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout.on('data', (chunk) => stdoutTail.push(chunk));
    agent.stderr.on('data', (chunk) => stderrTail.push(chunk));
    agent.on('exit', (code, signal) => {
      agentExit = { code, signal };
    });
    agent.on('error', (err) => {
      agentExit = { error: err.message };
    });

    // Short reconnect backoff: the socket does not exist until the agent has started, and the
    // default backoff would make later polls wait seconds before even trying again.
    client = new Service(target, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 250,
    });

    await withAgentOutput('waiting for GetHealth', () =>
      waitFor('GetHealth to report HEALTH_STATUS_RUNNING', deadline, async () => {
        if (agentExit) throw new Fatal(`vigild exited early: ${JSON.stringify(agentExit)}`);
        const response = await unaryCall(client, 'GetHealth', {});
        return (response.health_status || []).some((h) => h.status === 'HEALTH_STATUS_RUNNING');
      }),
    );
  });

  after(async () => {
    if (client) client.close();
    if (agent && !agentExit) {
      const exited = new Promise((resolve) => agent.once('exit', resolve));
      agent.kill('SIGTERM');
      let timer = null;
      const grace = new Promise((resolve) => {
        timer = setTimeout(() => resolve('timeout'), KILL_GRACE_MS);
      });
      const outcome = await Promise.race([exited, grace]);
      clearTimeout(timer); // a pending timer would keep this process alive for the full grace time
      if (outcome === 'timeout') {
        console.error(`vigild did not exit within ${KILL_GRACE_MS} ms of SIGTERM; sending SIGKILL`);
        agent.kill('SIGKILL');
        await exited;
      }
    }
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('GetVersion returns a non-empty version', async () => {
    await withAgentOutput('GetVersion', async () => {
      const response = await unaryCall(client, 'GetVersion', {});
      assert.equal(typeof response.version, 'string');
      assert.notEqual(response.version, '', 'GetVersion returned an empty version');
    });
  });

  it('GetEvents streams process_exec and process_exit of the trigger', async () => {
    await withAgentOutput('GetEvents', async () => {
      const events = [];
      let streamError = null;
      const call = client.GetEvents({ allow_list: [{ binary_regex: ['vigil_trigger$'] }] });
      call.on('data', (response) => events.push(response));
      call.on('error', (err) => {
        if (err.code !== grpc.status.CANCELLED) streamError = err;
      });

      try {
        // Each run gets its own argument; whichever run the stream shows first is asserted on.
        const launched = new Set();
        let runs = 0;
        let nextRunAt = 0;
        const exec = await waitFor('process_exec of vigil_trigger with a launched argument', deadline, async () => {
          if (streamError) throw new Fatal(`GetEvents stream failed: ${streamError.message}`);
          const found = events.find((e) => e.process_exec && execMatches(e.process_exec, launched));
          if (found) return found;
          if (Date.now() >= nextRunAt) {
            const arg = `node-distinctive-arg-${crypto.randomBytes(6).toString('hex')}`;
            launched.add(arg);
            runs += 1;
            const result = await runTrigger(['exit', '7', arg]);
            if (result.code !== 7) throw new Fatal(`vigil_trigger ended with ${JSON.stringify(result)}, not code 7`);
            nextRunAt = Date.now() + TRIGGER_RETRY_MS;
          }
          return null;
        }).catch((err) => {
          throw new Error(`${err.message}; launched: ${[...launched].join(' ')}; ${describeExecs(events)}`);
        });
        if (runs > 1) console.log(`# the stream missed ${runs - 1} trigger run(s) made before it was listening`);

        const process_ = exec.process_exec.process;
        assert.ok(process_.binary.endsWith('/vigil_trigger'), `binary is ${process_.binary}`);
        assert.ok(process_.exec_id, 'process_exec has no exec_id');

        const exit = await waitFor(`process_exit for exec_id ${process_.exec_id}`, deadline, () => {
          if (streamError) throw new Fatal(`GetEvents stream failed: ${streamError.message}`);
          return events.find((e) => e.process_exit && e.process_exit.process &&
                                    e.process_exit.process.exec_id === process_.exec_id);
        });
        assert.equal(exit.process_exit.status, 7, `exit status: ${JSON.stringify(exit.process_exit)}`);
      } finally {
        call.cancel();
      }
    });
  });
});

// True when the exec is of a vigil_trigger binary and carries one of the launched arguments.
function execMatches(processExec, launched) {
  const p = processExec.process;
  if (!p || typeof p.binary !== 'string' || !p.binary.endsWith('/vigil_trigger')) return false;
  const args = String(p.arguments || '').split(/\s+/);
  return args.some((a) => launched.has(a));
}

// A short account of the exec events seen, for failure messages.
function describeExecs(events) {
  const execs = events.filter((e) => e.process_exec && e.process_exec.process).map((e) => {
    const p = e.process_exec.process;
    return `${p.binary} [${p.arguments || ''}]`;
  });
  return `${execs.length} process_exec seen${execs.length ? `: ${execs.slice(-5).join('; ')}` : ''}`;
}
