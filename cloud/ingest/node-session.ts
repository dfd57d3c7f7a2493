/**
 * What the host application knows about one edge node: its current birth (bdSeq, alias
 * tables of the node and each device), whether it and its devices are online, its seq
 * tracker, and DATA that arrived before the birth it needs (parked, replayed on birth).
 */
import type { Metric, Payload } from '../../wire/sparkplug/index.ts';
import type { EdgeNodeInfo } from './types.ts';
import { AliasTable } from './samples.ts';
import { SeqTracker } from './seq.ts';

export interface Parked {
  device: string;
  payload: Payload;
  arrived: number;
}

export class NodeSession {
  bdSeq: number | undefined;
  online = false;
  /** Undefined until an NBIRTH is seen in this process. */
  nodeAliases: AliasTable | undefined;
  readonly devices = new Map<string, { aliases: AliasTable; online: boolean }>();
  readonly seq: SeqTracker;
  readonly parked: Parked[] = [];
  lastBirth: number | undefined;
  lastDeath: number | undefined;
  lastMessage: number | undefined;
  lastRebirthRequest = 0;
  rebirthsRequested = 0;
  backlog: { entries: number; bytes: number } | undefined;

  constructor(
    readonly group: string,
    readonly node: string,
    reorderMs: number,
  ) {
    this.seq = new SeqTracker(reorderMs);
  }

  get key(): string {
    return `${this.group}/${this.node}`;
  }

  nbirth(bdSeq: number | undefined, metrics: readonly Metric[], seq: number | undefined, now: number): void {
    this.bdSeq = bdSeq;
    this.online = true;
    this.nodeAliases = AliasTable.fromBirth(metrics);
    // A new session: every device must DBIRTH again before its aliases are trusted.
    for (const d of this.devices.values()) d.online = false;
    this.devices.clear();
    this.seq.reset(seq ?? 0);
    this.lastBirth = now;
    this.noteBacklog(metrics);
  }

  /** NDEATH: true when it ends the current session (its bdSeq matches the NBIRTH's). */
  ndeath(bdSeq: number | undefined, now: number): boolean {
    if (this.bdSeq !== undefined && bdSeq !== this.bdSeq) return false;
    this.online = false;
    for (const d of this.devices.values()) d.online = false;
    this.lastDeath = now;
    return true;
  }

  dbirth(device: string, metrics: readonly Metric[]): void {
    this.devices.set(device, { aliases: AliasTable.fromBirth(metrics), online: true });
  }

  ddeath(device: string): void {
    const d = this.devices.get(device);
    if (d) d.online = false;
  }

  /** The alias table a DATA message of `device` ('' = the node) resolves against. */
  aliases(device: string): AliasTable | undefined {
    return device === '' ? this.nodeAliases : this.devices.get(device)?.aliases;
  }

  /** Gateway buffer depth from the node's own metrics, shown on the dashboard. */
  noteBacklog(metrics: readonly Metric[]): void {
    let entries: number | undefined;
    let bytes: number | undefined;
    for (const m of metrics) {
      const name =
        m.name ?? (m.alias === undefined ? undefined : this.nodeAliases?.byAlias.get(Number(m.alias))?.name);
      if (name === 'Buffer/Entries' && m.value !== null && m.value !== undefined) entries = Number(m.value);
      if (name === 'Buffer/Bytes' && m.value !== null && m.value !== undefined) bytes = Number(m.value);
    }
    if (entries !== undefined || bytes !== undefined) {
      this.backlog = {
        entries: entries ?? this.backlog?.entries ?? 0,
        bytes: bytes ?? this.backlog?.bytes ?? 0,
      };
    }
  }

  info(): EdgeNodeInfo {
    return {
      group: this.group,
      node: this.node,
      online: this.online,
      ...(this.bdSeq === undefined ? {} : { bdSeq: this.bdSeq }),
      ...(this.lastBirth === undefined ? {} : { lastBirth: this.lastBirth }),
      ...(this.lastDeath === undefined ? {} : { lastDeath: this.lastDeath }),
      ...(this.lastMessage === undefined ? {} : { lastMessage: this.lastMessage }),
      ...(this.backlog ? { backlog: { ...this.backlog } } : {}),
      devices: [...this.devices].map(([id, d]) => ({ id, online: d.online })),
      rebirthsRequested: this.rebirthsRequested,
    };
  }
}
