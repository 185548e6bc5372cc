// The local JetStream cluster of scripts/nats-cluster.mjs: it comes up with a meta leader, keeps
// serving when a node dies, takes the node back, and leaves nothing behind when stopped.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from '../../scripts/nats-cluster.mjs';
import { waitUntil } from '../support/wait.js';

const TIMEOUT_MS = 60_000;

interface Jsz {
  readonly meta_cluster?: { readonly leader?: string; readonly cluster_size?: number };
}

async function healthz(monitorUrl: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${monitorUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as { status?: string };
    return response.ok ? body.status : `${response.status} ${JSON.stringify(body)}`;
  } catch {
    return undefined;
  }
}

async function jsz(monitorUrl: string): Promise<Jsz> {
  const response = await fetch(`${monitorUrl}/jsz`, { signal: AbortSignal.timeout(2_000) });
  return (await response.json()) as Jsz;
}

/** True while `pid` is a live process that is still a nats-server (not a reaped, reused pid). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nats-server');
  } catch {
    return true;
  }
}

describe('the local NATS JetStream cluster', () => {
  let cluster: Cluster | undefined;

  afterAll(async () => {
    await cluster?.stop();
  });

  it(
    'starts three nodes with a meta leader, survives a killed node and stops cleanly',
    async () => {
      cluster = await startCluster();
      const { monitorUrls, urls, dir } = cluster;
      expect(urls).toHaveLength(3);
      expect(cluster.url).toBe(urls.join(','));
      for (const url of urls) expect(url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
      expect(existsSync(dir)).toBe(true);

      for (const monitorUrl of monitorUrls) {
        expect(await healthz(monitorUrl)).toBe('ok');
        const meta = (await jsz(monitorUrl)).meta_cluster;
        expect(meta?.leader).toMatch(/^n[123]$/);
        expect(meta?.cluster_size).toBe(3);
      }
      const pids = cluster.pids.filter((pid): pid is number => pid !== undefined);
      expect(pids).toHaveLength(3);

      await cluster.kill(1);
      expect(cluster.pids[1]).toBeUndefined();
      expect(await healthz(monitorUrls[1]!)).toBeUndefined();
      // If n2 led the meta group, the other two elect a new leader first.
      for (const monitorUrl of [monitorUrls[0]!, monitorUrls[2]!]) {
        await waitUntil(
          async () =>
            (await healthz(monitorUrl)) === 'ok' &&
            /^n[13]$/.test((await jsz(monitorUrl)).meta_cluster?.leader ?? ''),
          `${monitorUrl} healthy with a meta leader after n2 was killed`,
          { timeoutMs: 20_000, intervalMs: 100 },
        );
      }

      await cluster.restart(1);
      expect(await healthz(monitorUrls[1]!)).toBe('ok');
      expect((await jsz(monitorUrls[1]!)).meta_cluster?.cluster_size).toBe(3);
      const all = cluster.pids.filter((pid): pid is number => pid !== undefined);
      expect(all).toHaveLength(3);

      await cluster.stop();
      cluster = undefined;
      expect(existsSync(dir)).toBe(false);
      for (const pid of [...pids, ...all]) expect(alive(pid)).toBe(false);
      for (const monitorUrl of monitorUrls) expect(await healthz(monitorUrl)).toBeUndefined();
    },
    TIMEOUT_MS,
  );
});
