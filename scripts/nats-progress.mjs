// How far a scale-out group is, seen from outside through the stream and the state bucket:
// for the scale-out tests and benchmark (h), which wait for a group to fold everything.
import { gunzipSync } from 'node:zlib';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';

/** The events in the stream LOGSTREAM; -1 while that cannot be known (a node down, no stream). */
export async function streamEvents(url) {
  const nc = await connect({ servers: url.split(','), timeout: 5000 }).catch(() => undefined);
  if (nc === undefined) return -1;
  try {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info('LOGSTREAM')).state.messages;
  } catch {
    return -1;
  } finally {
    await nc.close();
  }
}

/**
 * Whether every partition's stored state covers the partition's last event in the stream:
 * the group has folded everything published so far. False while that cannot be known.
 */
export async function caughtUp(url, group) {
  const nc = await connect({ servers: url.split(','), timeout: 5000 }).catch(() => undefined);
  if (nc === undefined) return false;
  try {
    const jsm = await jetstreamManager(nc);
    const partitions = (await jsm.streams.info('LOGSTREAM')).config.subjects?.length ?? 0;
    const states = await new Kvm(nc).open('logstream-state').catch(() => undefined);
    if (states === undefined) return false;
    for (let p = 0; p < partitions; p++) {
      const last = await jsm.streams
        .getMessage('LOGSTREAM', { last_by_subj: `logstream.events.${p}` })
        .then((message) => message?.seq ?? 0)
        .catch(() => 0);
      if (last === 0) continue;
      const entry = await states.get(`${group}.${p}`);
      if (entry === null || entry.operation !== 'PUT') return false;
      const { sequence } = JSON.parse(gunzipSync(entry.value).toString('utf8'));
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

/**
 * What each partition of `group` that has not folded its last event is at, for a test or a
 * benchmark that waited in vain: the stream's last sequence, the stored one, the lease's
 * holder, and the partition's consumers (delivered, acknowledged, pending). One line each.
 */
export async function lagging(url, group) {
  const nc = await connect({ servers: url.split(','), timeout: 5000 }).catch(() => undefined);
  if (nc === undefined) return ['(no server answers)'];
  try {
    const jsm = await jetstreamManager(nc);
    const partitions = (await jsm.streams.info('LOGSTREAM')).config.subjects?.length ?? 0;
    const kvm = new Kvm(nc);
    const states = await kvm.open('logstream-state');
    const leases = await kvm.open('logstream-leases');
    const consumers = [];
    for await (const info of jsm.consumers.list('LOGSTREAM')) consumers.push(info);
    const lines = [];
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
  } catch (error) {
    return [`(cannot tell: ${error.message})`];
  } finally {
    await nc.close();
  }
}
