/** What the fleet has published, as counters (cumulative) and gauges (now). */

export const MESSAGE_TYPES = ['NBIRTH', 'DBIRTH', 'DDATA', 'DDEATH', 'NDEATH'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface FleetCounters {
  /** Messages handed to the broker (written at QoS 0, acknowledged at QoS 1), by type. */
  messages: Record<MessageType, number>;
  /** Metric values in live DDATA. */
  livePoints: number;
  /** Metric values in DDATA replayed from a node's buffer (isHistorical). */
  historicalPoints: number;
  /** Metric values in births (DBIRTH values, NBIRTH Buffer/* metrics). */
  birthPoints: number;
  /** Values put into a node's buffer while its uplink was down. */
  bufferedPoints: number;
  /** Buffered values dropped, oldest first, when a node's buffer was full. */
  droppedPoints: number;
  /** Values in messages the link failed to deliver (lost with a dropped connection). */
  lostPoints: number;
  connects: number;
  /** Connections lost without an outage of the schedule (refused, reset, keepalive). */
  connectionsLost: number;
  gatewayOutages: number;
  deviceOutages: number;
  rebirths: number;
}

export const emptyCounters = (): FleetCounters => ({
  messages: { NBIRTH: 0, DBIRTH: 0, DDATA: 0, DDEATH: 0, NDEATH: 0 },
  livePoints: 0,
  historicalPoints: 0,
  birthPoints: 0,
  bufferedPoints: 0,
  droppedPoints: 0,
  lostPoints: 0,
  connects: 0,
  connectionsLost: 0,
  gatewayOutages: 0,
  deviceOutages: 0,
  rebirths: 0,
});

export interface FleetStats extends FleetCounters {
  /** ms since the fleet started. */
  elapsedMs: number;
  /** `replaying`: up and still replaying a buffer as historical DDATA. */
  nodes: { total: number; up: number; connecting: number; down: number; replaying: number };
  devices: { total: number; reachable: number };
  /**
   * Values that reached the broker and that ingest stores as samples: live + historical + birth
   * (bdSeq and Node Control metrics excluded, as the cloud does).
   */
  samples: number;
  /** Buffers of nodes whose uplink is down or still replaying. */
  buffer: { messages: number; bytes: number };
  /** How late the scheduler runs behind its timeline, ms: the generator is short of CPU when it grows. */
  lagMs: number;
  /** Bytes waiting in node sockets: the broker is not reading fast enough when it grows. */
  socketBacklogBytes: number;
}
