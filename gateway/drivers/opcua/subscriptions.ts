/**
 * The subscriptions of one session: one subscription per publishing interval, the points as monitored
 * items in groups (one CreateMonitoredItems call per group), and the decoding of publish responses into
 * samples per device.
 *
 * What is asked of the server, and why:
 * - samplingInterval = the point's interval, and publishingInterval the same. The simulator's README
 *   suggests samplingInterval 0 (exception-based, cheaper for it), but 0 means "as fast as you can" to
 *   a server that polls a PLC, and it reports only changes: a machine that holds still would deliver
 *   nothing for hours, and the networked rate (DOMAIN.md §1) needs a good sample with a source timestamp
 *   inside every 60 s bucket. Sampling at the configured interval bounds the load on real servers.
 * - trigger StatusValueTimestamp: a sample whose value equals the last one but carries a new source
 *   timestamp is still delivered, so a steady device keeps proving it is online at the interval (as a
 *   Modbus poll would). With a deadband (numeric points, `deadband` > 0) the trigger is StatusValue with
 *   an Absolute deadband: the user asked for changes only (OPC UA Part 4 makes a deadband turn
 *   StatusValueTimestamp into StatusValue anyway).
 * - queueSize = one minute of samples (2–60), discardOldest: while the connection is down but the
 *   session and subscription live on in the server (lifetime ≈ 1 minute, see session.ts), the server
 *   keeps the samples and delivers them with their source timestamps once the session is reactivated.
 */
import {
  AttributeIds,
  type ClientMonitoredItemBase,
  ClientMonitoredItemGroup,
  type ClientSession,
  type ClientSubscription,
  DataChangeFilter,
  DataChangeNotification,
  DataChangeTrigger,
  DeadbandType,
  type NotificationMessage,
  StatusChangeNotification,
  TimestampsToReturn,
} from 'node-opcua';
import { type Sample, type Scaling, statusName, toSample } from './values.ts';

/** One point of one device, as the connection monitors it. */
export interface MonitoredPoint {
  /** Device key (`<enterprise>/<device>`). */
  device: string;
  point: string;
  nodeId: string;
  intervalMs: number;
  /** Absolute deadband in engineering units; 0 = every sample. Only numeric points get one. */
  deadband: number;
  numeric: boolean;
  scaling: Scaling;
}

export interface SubscriptionTiming {
  /** Longest silence a subscription keeps before the server sends a keep-alive. */
  keepAliveMs: number;
  /** How long the server keeps a subscription nobody publishes for (and samples queued in it). */
  lifetimeMs: number;
}

export interface SubscriptionSink {
  samples(device: string, samples: Sample[]): void;
  /** Any publish response (data or keep-alive) of `subscription`. */
  activity(subscription: ClientSubscription): void;
  /** The server reported the subscription's status (BadTimeout: it is gone). */
  statusChange(subscription: ClientSubscription, status: string): void;
}

/** Points the server refused to monitor, with its status: "BadNodeIdUnknown" etc. */
export type Refusals = { point: MonitoredPoint; status: string }[];

const GROUP_SIZE = 500;
const BUFFER_MS = 60_000;

export interface SessionSubscriptions {
  subscriptions: ClientSubscription[];
  refused: Refusals;
  /** Points whose monitored item is not Good now (after node-opcua re-created them, say). */
  currentRefusals(): Refusals;
}

/** Publishing intervals between keep-alives: about `keepAliveMs`, at least two. */
export function keepAliveCountFor(keepAliveMs: number, intervalMs: number): number {
  return Math.max(2, Math.ceil(keepAliveMs / intervalMs));
}

/** Creates the subscriptions and monitored items of `points` on `session`. */
export async function subscribe(
  session: ClientSession,
  points: readonly MonitoredPoint[],
  timing: SubscriptionTiming,
  sink: SubscriptionSink,
): Promise<SessionSubscriptions> {
  const refs = new WeakMap<ClientMonitoredItemBase, MonitoredPoint>();
  const subscriptions: ClientSubscription[] = [];
  const items: ClientMonitoredItemBase[] = [];
  const byInterval = groupBy(points, (p) => p.intervalMs);
  for (const [interval, ofInterval] of byInterval) {
    // node-opcua refuses (throws W09) a keep-alive period longer than the session timeout: the server
    // would drop a quiet session before its keep-alive. Half the (revised) session timeout at most.
    const fitting = Math.floor(session.timeout / (2 * interval));
    const keepAliveCount = Math.max(1, Math.min(keepAliveCountFor(timing.keepAliveMs, interval), fitting));
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: interval,
      requestedMaxKeepAliveCount: keepAliveCount,
      requestedLifetimeCount: Math.max(3 * keepAliveCount, Math.ceil(timing.lifetimeMs / interval)),
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 0,
    });
    subscriptions.push(subscription);
    // Errors the subscription emits are reported by their effects (no activity, 'terminated').
    subscription.on('error', () => undefined);
    subscription.on('internal_error', () => undefined);
    subscription.on('raw_notification', (message: NotificationMessage) =>
      onNotification(subscription, message, refs, sink),
    );
    const queueSize = Math.min(60, Math.max(2, Math.ceil(BUFFER_MS / interval)));
    for (const [deadband, ofDeadband] of groupBy(ofInterval, (p) => (p.numeric ? p.deadband : 0))) {
      const filter = new DataChangeFilter(
        deadband > 0
          ? {
              trigger: DataChangeTrigger.StatusValue,
              deadbandType: DeadbandType.Absolute,
              deadbandValue: deadband,
            }
          : { trigger: DataChangeTrigger.StatusValueTimestamp, deadbandType: DeadbandType.None },
      );
      for (let i = 0; i < ofDeadband.length; i += GROUP_SIZE) {
        const chunk = ofDeadband.slice(i, i + GROUP_SIZE);
        const group = ClientMonitoredItemGroup.create(
          subscription,
          chunk.map((p) => ({ nodeId: p.nodeId, attributeId: AttributeIds.Value })),
          { samplingInterval: interval, queueSize, discardOldest: true, filter },
          TimestampsToReturn.Both,
        );
        // Mapped before any request leaves: the first notifications may arrive before the group resolves.
        group.monitoredItems.forEach((item, k) => {
          const point = chunk[k];
          if (point) refs.set(item, point);
          items.push(item);
        });
        await groupReady(group);
      }
    }
  }
  const currentRefusals = (): Refusals =>
    items.flatMap((item) => {
      const point = refs.get(item);
      return point && !item.statusCode.isGood() ? [{ point, status: statusName(item.statusCode) }] : [];
    });
  return { subscriptions, refused: currentRefusals(), currentRefusals };
}

function onNotification(
  subscription: ClientSubscription,
  message: NotificationMessage,
  refs: WeakMap<ClientMonitoredItemBase, MonitoredPoint>,
  sink: SubscriptionSink,
): void {
  sink.activity(subscription);
  const now = Date.now();
  const byDevice = new Map<string, Sample[]>();
  for (const data of message.notificationData ?? []) {
    if (data instanceof StatusChangeNotification) {
      sink.statusChange(subscription, statusName(data.status));
      continue;
    }
    if (!(data instanceof DataChangeNotification)) continue;
    for (const n of data.monitoredItems ?? []) {
      const item = subscription.monitoredItems[n.clientHandle];
      const point = item && refs.get(item);
      if (!point) continue;
      const sample = toSample(point.point, n.value, point.scaling, now);
      const list = byDevice.get(point.device);
      if (list) list.push(sample);
      else byDevice.set(point.device, [sample]);
    }
  }
  for (const [device, samples] of byDevice) sink.samples(device, samples);
}

/** Resolves when the group's CreateMonitoredItems call returned (items may still be refused one by one). */
function groupReady(group: ClientMonitoredItemGroup): Promise<void> {
  return new Promise((resolve, reject) => {
    group.once('initialized', () => resolve());
    group.once('terminated', (err?: Error) =>
      reject(err ?? new Error('monitored items could not be created')),
    );
  });
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
