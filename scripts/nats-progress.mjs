// How far a scale-out group is, seen from outside through the stream and the state bucket:
// for the scale-out tests and benchmark (h), which wait for a group to fold everything.
import { gunzipSync } from 'node:zlib';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';

/**
 * `look(jsm, kvm)` over a connection of its own, closed after; `unknown(error)` when no
 * server answers or a node being killed or elected makes the look fail.
 */
async function lookAt(url, look, unknown) {
  const nc = await connect({ servers: url.split(','), timeout: 5000 }).catch(() => undefined);
  if (nc === undefined) return unknown(new Error('no server answers'));
  try {
    return await look(await jetstreamManager(nc), new Kvm(nc));
  } catch (error) {
    return unknown(error);
  } finally {
    await nc.close();
  }
}

/** Each partition's last sequence in the stream (0: none yet) and the one `group` stored. */
async function partitionSequences(jsm, kvm, group) {
  const partitions = (await jsm.streams.info('LOGSTREAM')).config.subjects?.length ?? 0;
  const states = await kvm.open('logstream-state');
  const sequences = [];
  for (let p = 0; p < partitions; p++) {
    const last = await jsm.streams
      .getMessage('LOGSTREAM', { last_by_subj: `logstream.events.${p}` })
      .then((message) => message?.seq ?? 0)
      .catch(() => 0);
    const entry = await states.get(`${group}.${p}`);
    const stored =
      entry?.operation === 'PUT'
        ? JSON.parse(gunzipSync(entry.value).toString('utf8')).sequence
        : 0;
    sequences.push({ partition: p, last, stored });
  }
  return sequences;
}

/** The events in the stream LOGSTREAM; -1 while that cannot be known (a node down, no stream). */
export function streamEvents(url) {
  return lookAt(
    url,
    async (jsm) => (await jsm.streams.info('LOGSTREAM')).state.messages,
    () => -1,
  );
}

/**
 * Whether every partition's stored state covers the partition's last event in the stream:
 * the group has folded everything published so far. False while that cannot be known.
 */
export function caughtUp(url, group) {
  return lookAt(
    url,
    async (jsm, kvm) =>
      (await partitionSequences(jsm, kvm, group)).every(({ last, stored }) => stored >= last),
    () => false,
  );
}

/**
 * What each partition of `group` that has not folded its last event is at, for a test or a
 * benchmark that waited in vain: the stream's last sequence, the stored one, the lease's
 * holder, and the partition's consumers (delivered, acknowledged, pending). One line each.
 */
export function lagging(url, group) {
  return lookAt(
    url,
    async (jsm, kvm) => {
      const leases = await kvm.open('logstream-leases');
      const consumers = [];
      for await (const info of jsm.consumers.list('LOGSTREAM')) consumers.push(info);
      const lines = [];
      for (const { partition: p, last, stored } of await partitionSequences(jsm, kvm, group)) {
        if (stored >= last) continue;
        const lease = await leases.get(`${group}.lease.${p}`);
        const holder = lease?.operation === 'PUT' ? JSON.parse(lease.string()).holder : null;
        const own = consumers
          .filter((c) => c.name.startsWith(`${group}-p${p}-`))
          .map(
            (c) =>
              `${c.name.slice(-6)} delivered ${c.delivered.stream_seq} acked ${c.ack_floor.stream_seq} pending ${c.num_pending} waiting ${c.num_waiting}`,
          );
        lines.push(
          `partition ${p}: last ${last}, stored ${stored}, lease ${holder} rev ${lease?.revision}; consumers: ${own.join('; ') || 'none'}`,
        );
      }
      return lines;
    },
    (error) => [`(cannot tell: ${error.message})`],
  );
}
