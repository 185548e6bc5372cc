// What a test needs to see of a scale-out group from outside: how far its stored states are.
import { gunzipSync } from 'node:zlib';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';

/**
 * Whether every partition's stored state covers the partition's last event in the stream:
 * the group has folded everything published so far.
 */
export async function caughtUp(url: string, group: string): Promise<boolean> {
  const nc = await connect({ servers: url.split(','), timeout: 5000 });
  try {
    const jsm = await jetstreamManager(nc);
    const partitions = (await jsm.streams.info('LOGSTREAM')).config.subjects?.length ?? 0;
    const kvm = new Kvm(nc);
    const states = await kvm.open('logstream-state').catch(() => undefined);
    if (states === undefined) return false;
    for (let p = 0; p < partitions; p++) {
      const last = await jsm.streams
        .getMessage('LOGSTREAM', { last_by_subj: `logstream.events.${p}` })
        .then((message) => message?.seq ?? 0)
        .catch(() => 0);
      if (last === 0) continue;
      const entry = await states.get(`${group}.${p}`);
      if (entry === null || entry.operation !== 'PUT') return false;
      const { sequence } = JSON.parse(gunzipSync(entry.value).toString('utf8')) as {
        sequence: number;
      };
      if (sequence < last) return false;
    }
    return true;
  } catch {
    // A node being killed or elected: not known yet.
    return false;
  } finally {
    await nc.close();
  }
}
