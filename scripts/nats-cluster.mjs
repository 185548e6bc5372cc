#!/usr/bin/env node
// A local three-node NATS JetStream cluster on loopback, for the scale-out tests and for
// `npm run nats:start` / `npm run nats:stop`.
//
// As a module: `startCluster()` writes one config per node, starts `nats-server` for each and
// resolves once every node reports JetStream healthy with a meta leader. Its servers are killed
// when the process exits, so a failed test cannot leave them behind.
//
// As a command: `node scripts/nats-cluster.mjs start` starts a detached cluster on the fixed
// ports 4222-4224 (routes 6222-6224, monitoring 8222-8224) and records it in
// <tmpdir>/logstream-nats/cluster.json; `node scripts/nats-cluster.mjs stop` stops it again.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const HOST = '127.0.0.1';
/** How long a node may take to answer and report JetStream ready. */
const READY_TIMEOUT_MS = 20_000;
/** How long `stop()` waits after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** The ports of `node scripts/nats-cluster.mjs start`: 4222.., routes 6222.., monitoring 8222... */
const CLI_BASE_PORT = 4222;
/** With `basePort`, routes and monitoring sit this far above the client ports. */
const ROUTE_OFFSET = 2000;
const MONITOR_OFFSET = 4000;

/** Servers started by this process (not the detached ones of the CLI), killed on exit. */
const owned = new Set();
/** Directories startCluster() created and stop() has not removed yet, removed on exit. */
const createdDirs = new Set();
let exitHookInstalled = false;

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of owned) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of createdDirs) {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // best effort: a server may still be writing in it
      }
    }
  });
}

/** The nats-server binary: PATH first, then the sbin directories Debian installs it to. */
export function findNatsServer() {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of [...dirs, '/usr/sbin', '/usr/local/sbin', '/sbin']) {
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `count` distinct free loopback ports, all held open together so none is handed out twice. */
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise((ok, fail) => {
        server.once('error', fail);
        server.listen(0, HOST, () => ok(undefined));
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port bound');
      return address.port;
    });
  } finally {
    await Promise.all(
      servers.map((server) => new Promise((ok) => server.close(() => ok(undefined)))),
    );
  }
}

function portLayout(nodes, basePort) {
  if (basePort === undefined) return undefined;
  if (!Number.isInteger(basePort) || basePort < 1 || basePort + MONITOR_OFFSET + nodes > 65_536) {
    throw new Error(
      `basePort ${basePort} leaves no room for ${nodes} nodes' client, route and monitoring ports`,
    );
  }
  return Array.from({ length: nodes }, (_, i) => ({
    client: basePort + i,
    route: basePort + ROUTE_OFFSET + i,
    monitor: basePort + MONITOR_OFFSET + i,
  }));
}

/** A nats-server config file: strings go in double quotes with `\` and `"` escaped. */
function quote(text) {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function nodeConfig({ name, ports, allPorts, storeDir, maxPayload }) {
  const routes = allPorts
    .filter((other) => other.route !== ports.route)
    .map((other) => `    nats://${HOST}:${other.route}`);
  const server = [
    `server_name: ${name}`,
    `listen: ${HOST}:${ports.client}`,
    `http: ${HOST}:${ports.monitor}`,
    `max_payload: ${maxPayload}`,
    'jetstream {',
    `  store_dir: ${quote(storeDir)}`,
    '}',
  ];
  // nats-server 2.9 refuses JetStream in a cluster block without routes: one node stands alone.
  if (routes.length === 0) return [...server, ''].join('\n');
  return [
    ...server,
    'cluster {',
    '  name: logstream',
    `  listen: ${HOST}:${ports.route}`,
    '  routes: [',
    ...routes,
    '  ]',
    '}',
    '',
  ].join('\n');
}

function logTail(logFile, lines = 25) {
  try {
    const text = readFileSync(logFile, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function getJson(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

/**
 * Why node `node` is not ready yet, or undefined when it is: /healthz answers ok (JetStream
 * current) and /jsz names a meta leader of a cluster of `size` peers.
 */
async function notReadyReason(node, size) {
  try {
    const health = await getJson(`${node.monitorUrl}/healthz`);
    if (health.status !== 200 || health.body?.status !== 'ok') {
      return `/healthz answered ${health.status} ${JSON.stringify(health.body)}`;
    }
    if (size === 1) return undefined; // standalone: no meta group
    const jsz = await getJson(`${node.monitorUrl}/jsz`);
    const meta = jsz.body?.meta_cluster;
    if (!meta?.leader) return `/jsz shows no meta leader yet (${JSON.stringify(meta ?? null)})`;
    if (meta.cluster_size !== size) {
      return `/jsz shows a meta cluster of ${meta.cluster_size}, not ${size}`;
    }
    return undefined;
  } catch (error) {
    return `monitoring endpoint ${node.monitorUrl} not answering (${error?.cause?.code ?? error?.message ?? error})`;
  }
}

/** Resolves once `node` is ready; rejects with its log's tail after the timeout or when it exits. */
async function waitReady(node, size, isAlive, timeoutMs = READY_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive()) {
      throw new Error(
        `nats-server ${node.name} exited while starting; its log (${node.logFile}) ends:\n${logTail(node.logFile)}`,
      );
    }
    const reason = await notReadyReason(node, size);
    if (reason === undefined) return;
    if (Date.now() > deadline) {
      throw new Error(
        `nats-server ${node.name} not ready after ${timeoutMs / 1000} s: ${reason}; its log (${node.logFile}) ends:\n${logTail(node.logFile)}`,
      );
    }
    await sleep(100);
  }
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  // A pid may have been reused since: where /proc tells, it must still be a nats-server.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nats-server');
  } catch {
    return true;
  }
}

function spawnNode(binary, node, detached) {
  const log = openSync(node.logFile, 'a');
  try {
    return spawn(binary, ['-c', node.confFile], {
      stdio: ['ignore', log, log],
      detached,
    });
  } finally {
    closeSync(log);
  }
}

/** Resolves when `child` has exited: at once if it has, else on its 'exit' event. */
function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => child.once('exit', () => ok(undefined)));
}

/** Sends `signal`, then SIGKILL after `graceMs` if it is still running; resolves on exit. */
async function terminate(child, signal, graceMs) {
  const done = exited(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  // A ref'd timer keeps the event loop alive while we wait (the children are unref'd).
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await done;
  } finally {
    clearTimeout(timer);
  }
}

async function removeCreated(dir) {
  await rm(dir, { recursive: true, force: true });
  createdDirs.delete(dir);
}

async function prepare({ dir, basePort, nodes, maxPayload }) {
  const binary = findNatsServer();
  if (binary === undefined) {
    throw new Error('nats-server is not installed (run `bash scripts/install-nats.sh`)');
  }
  let layout = portLayout(nodes, basePort);
  if (layout === undefined) {
    const ports = await freePorts(nodes * 3);
    layout = Array.from({ length: nodes }, (_, i) => ({
      client: ports[3 * i],
      route: ports[3 * i + 1],
      monitor: ports[3 * i + 2],
    }));
  }
  const createdDir = dir === undefined;
  const root = createdDir ? await mkdtemp(join(tmpdir(), 'logstream-nats-')) : resolve(dir);
  await mkdir(root, { recursive: true });
  const specs = [];
  for (let i = 0; i < nodes; i++) {
    const name = `n${i + 1}`;
    const ports = layout[i];
    const storeDir = join(root, name);
    await mkdir(storeDir, { recursive: true });
    const confFile = join(root, `${name}.conf`);
    await writeFile(confFile, nodeConfig({ name, ports, allPorts: layout, storeDir, maxPayload }));
    specs.push({
      name,
      ports,
      confFile,
      logFile: join(root, `${name}.log`),
      url: `nats://${HOST}:${ports.client}`,
      monitorUrl: `http://${HOST}:${ports.monitor}`,
    });
  }
  return { binary, root, createdDir, specs };
}

/**
 * Starts a `nodes`-node JetStream cluster on 127.0.0.1 and resolves once every node is healthy
 * and agrees on a meta leader. See scripts/nats-cluster.d.mts for the returned handle.
 */
export async function startCluster({
  dir,
  basePort,
  nodes = 3,
  maxPayload = 8 * 1024 * 1024,
} = {}) {
  const { binary, root, createdDir, specs } = await prepare({ dir, basePort, nodes, maxPayload });
  installExitHook();
  if (createdDir) createdDirs.add(root);
  const children = new Array(nodes);

  const launch = (i) => {
    const child = spawnNode(binary, specs[i], false);
    child.unref();
    owned.add(child);
    child.once('exit', () => owned.delete(child));
    child.once('error', () => owned.delete(child));
    children[i] = child;
    return child;
  };
  const running = (child) => child.exitCode === null && child.signalCode === null;
  const checkIndex = (i) => {
    if (!Number.isInteger(i) || i < 0 || i >= nodes) {
      throw new RangeError(`node index ${i} is not in 0..${nodes - 1}`);
    }
  };
  const stopAll = async () => {
    await Promise.all(children.filter(Boolean).map((c) => terminate(c, 'SIGTERM', STOP_GRACE_MS)));
  };

  try {
    for (let i = 0; i < nodes; i++) launch(i);
    await Promise.all(
      specs.map((spec, i) => {
        const child = children[i];
        return waitReady(spec, nodes, () => running(child));
      }),
    );
  } catch (error) {
    await stopAll();
    if (createdDir) await removeCreated(root);
    throw error;
  }

  const urls = specs.map((spec) => spec.url);
  return {
    dir: root,
    urls,
    url: urls.join(','),
    monitorUrls: specs.map((spec) => spec.monitorUrl),
    get pids() {
      return children.map((child) => (child && running(child) ? child.pid : undefined));
    },
    async kill(i, signal = 'SIGKILL') {
      checkIndex(i);
      const child = children[i];
      if (child && running(child)) await terminate(child, signal, STOP_GRACE_MS);
    },
    async restart(i) {
      checkIndex(i);
      const previous = children[i];
      if (previous && running(previous)) {
        throw new Error(`node ${specs[i].name} is still running; kill(${i}) it first`);
      }
      const child = launch(i);
      await waitReady(specs[i], nodes, () => running(child));
    },
    async stop() {
      await stopAll();
      if (createdDir) await removeCreated(root);
    },
  };
}

// ---- the command line ----

const STATE_DIR = join(tmpdir(), 'logstream-nats');
const STATE_FILE = join(STATE_DIR, 'cluster.json');

async function readState() {
  try {
    return JSON.parse(await readFile(STATE_FILE, 'utf8'));
  } catch {
    return undefined;
  }
}

async function clearState(state) {
  if (state?.dir) await rm(state.dir, { recursive: true, force: true });
  await rm(STATE_FILE, { force: true });
  await rmdir(STATE_DIR).catch(() => {}); // only when nothing else is in it
}

async function stopPids(pids) {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + STOP_GRACE_MS;
  while (pids.some(pidAlive) && Date.now() < deadline) await sleep(50);
  for (const pid of pids.filter(pidAlive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  while (pids.some(pidAlive)) await sleep(50);
}

async function cliStart() {
  const state = await readState();
  if (state !== undefined) {
    const live = (state.pids ?? []).filter(pidAlive);
    if (live.length > 0) {
      console.error(
        `a cluster is already running (pids ${live.join(' ')}, ${state.url}); run \`npm run nats:stop\` first`,
      );
      return 1;
    }
    await clearState(state); // stale: its servers are gone
  }
  if (findNatsServer() === undefined) {
    const script = join(dirname(fileURLToPath(import.meta.url)), 'install-nats.sh');
    const install = spawnSync('bash', [script], { stdio: 'inherit' });
    if (install.status !== 0) return 1;
  }
  const { binary, root, specs } = await prepare({
    dir: await mkdtemp(join(tmpdir(), 'logstream-nats-data-')),
    basePort: CLI_BASE_PORT,
    nodes: 3,
    maxPayload: 8 * 1024 * 1024,
  });
  const pids = [];
  for (const spec of specs) {
    const child = spawnNode(binary, spec, true);
    child.unref();
    pids.push(child.pid);
  }
  const url = specs.map((spec) => spec.url).join(',');
  await mkdir(STATE_DIR, { recursive: true });
  await writeFile(STATE_FILE, `${JSON.stringify({ pids, dir: root, url }, null, 2)}\n`);
  try {
    await Promise.all(
      specs.map((spec, i) => waitReady(spec, specs.length, () => pidAlive(pids[i]))),
    );
  } catch (error) {
    console.error(error.message);
    await stopPids(pids);
    await clearState({ dir: root });
    return 1;
  }
  console.log(url);
  return 0;
}

async function cliStop() {
  const state = await readState();
  if (state === undefined) {
    console.log('no cluster running');
    return 0;
  }
  const live = (state.pids ?? []).filter(pidAlive);
  await stopPids(live);
  await clearState(state);
  console.log(
    live.length > 0 ? `stopped the cluster (pids ${live.join(' ')})` : 'no cluster running',
  );
  return 0;
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const command = process.argv[2];
  const run = command === 'start' ? cliStart : command === 'stop' ? cliStop : undefined;
  if (run === undefined) {
    console.error('usage: node scripts/nats-cluster.mjs start|stop');
    process.exitCode = 2;
  } else {
    run().then(
      (code) => {
        process.exitCode = code;
      },
      (error) => {
        console.error(error?.message ?? error);
        process.exitCode = 1;
      },
    );
  }
}
