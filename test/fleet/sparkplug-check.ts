/**
 * A Sparkplug B 3.0 edge-node rule checker over a captured frame stream (DOMAIN.md §2), written
 * from the spec without fleet code: per node, NBIRTH seq 0 with bdSeq (+1 after each death), seq
 * +1 per message (wrap 255), NDEATH bdSeq = the birth's, DATA only for born devices and only by
 * aliases their DBIRTH declared, historical DATA with names. Returns the violations found.
 */
import { decodePayload, parseTopic } from '../../wire/sparkplug/index.ts';

export interface Captured {
  topic: string;
  payload: Buffer;
}

interface NodeState {
  bdSeq: number | undefined;
  online: boolean;
  seq: number;
  born: Map<string, Set<number>>;
}

const bdSeqOf = (p: ReturnType<typeof decodePayload>): number | undefined => {
  const v = p.metrics.find((m) => m.name === 'bdSeq')?.value;
  return typeof v === 'number' || typeof v === 'bigint' ? Number(v) : undefined;
};

export function checkSparkplug(frames: readonly Captured[]): string[] {
  const errors: string[] = [];
  const nodes = new Map<string, NodeState>();
  frames.forEach((f, i) => {
    const t = parseTopic(f.topic);
    if (t?.type === 'STATE') return; // the host application's
    if (!t) return void errors.push(`${i}: not a Sparkplug topic ${f.topic}`);
    const key = `${t.group}/${t.node}`;
    const where = `${i} ${t.type} ${key}${t.device ? `/${t.device}` : ''}`;
    const p = decodePayload(f.payload);
    let s = nodes.get(key);
    if (!s) nodes.set(key, (s = { bdSeq: undefined, online: false, seq: 0, born: new Map() }));
    if (t.type === 'NDEATH') {
      if (bdSeqOf(p) !== s.bdSeq) errors.push(`${where}: bdSeq ${bdSeqOf(p)} ≠ birth's ${s.bdSeq}`);
      s.online = false;
      s.born.clear();
      return;
    }
    if (t.type === 'NBIRTH') {
      const bd = bdSeqOf(p);
      if (bd === undefined) errors.push(`${where}: no bdSeq`);
      // A rebirth keeps the connection's bdSeq; a new connection (after a death) takes the next one.
      else if (s.bdSeq !== undefined && !s.online && bd !== (s.bdSeq + 1) % 256)
        errors.push(`${where}: bdSeq ${bd} after ${s.bdSeq}`);
      else if (s.online && bd !== s.bdSeq) errors.push(`${where}: rebirth changed bdSeq`);
      if (p.seq !== 0) errors.push(`${where}: seq ${p.seq}`);
      if (!p.metrics.some((m) => m.name === 'Node Control/Rebirth'))
        errors.push(`${where}: no Rebirth metric`);
      s.bdSeq = bd;
      s.online = true;
      s.seq = 0;
      s.born.clear();
      return;
    }
    if (t.type === 'NCMD' || t.type === 'DCMD' || t.type === 'NDATA') return;
    if (!s.online) return void errors.push(`${where}: before NBIRTH`);
    const want = (s.seq + 1) % 256;
    if (p.seq !== want) errors.push(`${where}: seq ${p.seq}, expected ${want}`);
    s.seq = p.seq ?? want;
    const device = t.device ?? '';
    if (t.type === 'DBIRTH') {
      const aliases = new Set<number>();
      for (const m of p.metrics) {
        if (m.name === undefined || m.alias === undefined || m.datatype === undefined)
          errors.push(`${where}: metric without name, alias or datatype`);
        else aliases.add(Number(m.alias));
      }
      s.born.set(device, aliases);
    } else if (t.type === 'DDEATH') {
      if (!s.born.delete(device)) errors.push(`${where}: DDEATH of a device not born`);
    } else {
      const aliases = s.born.get(device);
      if (!aliases) return void errors.push(`${where}: DDATA of a device not born`);
      for (const m of p.metrics) {
        if (m.alias === undefined || !aliases.has(Number(m.alias)))
          errors.push(`${where}: alias ${m.alias} not in the DBIRTH`);
        if (m.isHistorical && m.name === undefined) errors.push(`${where}: historical metric without name`);
        if (m.datatype !== undefined) errors.push(`${where}: datatype in DATA`);
      }
    }
  });
  return errors;
}
