/** What the ingest host application exposes to the API and the dashboard. */

/** One Sparkplug edge node as the host application sees it. */
export interface EdgeNodeInfo {
  group: string;
  node: string;
  /** Between NBIRTH and NDEATH (or the broker's Will). */
  online: boolean;
  bdSeq?: number;
  lastBirth?: number;
  lastDeath?: number;
  /** Arrival time of the latest message, ms. */
  lastMessage?: number;
  /** Store-and-forward backlog the gateway reported in its NBIRTH/NDATA (Buffer/Entries, Buffer/Bytes). */
  backlog?: { entries: number; bytes: number };
  devices: { id: string; online: boolean }[];
  rebirthsRequested: number;
}

/** Counters of the ingest, by reason for rejects. */
export interface IngestStats {
  messages: number;
  samples: number;
  samplesStored: number;
  /** Rejected messages by reason (malformed_payload, bad_topic, unknown_alias, …). */
  rejected: Record<string, number>;
  /** Metrics dropped inside accepted messages, by reason. */
  dropped: Record<string, number>;
  seqGaps: number;
  rebirthsRequested: number;
  /** Samples waiting for the store. */
  pending: number;
}
