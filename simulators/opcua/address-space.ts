/**
 * The simulated machines as OPC UA nodes: `Objects/<enterprise>/<line>/<device>` with one variable
 * per point (node id `opcuaNodeId(device, point)`), a `State` variable and a `Reset` method.
 *
 * Values are pushed, not pulled: on every SimDevice 'tick' each variable gets `setValueFromSource`
 * with source timestamp = now. Exception-based monitored items (samplingInterval 0) hear the change at
 * once and sampled ones read the cached value. 4,800 variables, all monitored, cost ≈ 50 ms per tick
 * here (≈ 8% of a core at 1 Hz); a getter per variable would run again for every read and sampling round.
 */
import {
  type AddressSpace,
  type CallMethodResultOptions,
  DataType,
  type Namespace,
  type NodeId,
  type StatusCode,
  StatusCodes,
  type UAObject,
  type UAVariable,
  Variant,
  resolveNodeId,
} from 'node-opcua';
import { opcuaNodeId, type Point } from '../../config/index.ts';
import type { SimDevice } from '../device.ts';
import { fromVariant, isNumeric, opcuaDataType, toVariant } from './datatypes.ts';
import { faultStatus } from './faults.ts';
import { euInformation } from './units.ts';

/** Where the server reports problems it survives (a model bug, a failed write). */
export type OpcuaLog = (message: string, error?: unknown) => void;

/** The nodes of one device, kept fed from its SimDevice until disposed. */
export interface DeviceNodes {
  readonly device: SimDevice;
  /** Pushes the device's current values, state and fault status into its variables. */
  refresh(): void;
  /** Stops listening to the device (the nodes die with the server's address space). */
  dispose(): void;
}

/** Node id of a device's `State` variable: `#` never occurs in ids, so it cannot collide with a point. */
export const stateNodeId = (device: SimDevice['device']): string =>
  `ns=1;s=${device.enterprise}/${device.line}/${device.id}#State`;
/** Node id of a device's `Reset` method. */
export const resetNodeId = (device: SimDevice['device']): string =>
  `ns=1;s=${device.enterprise}/${device.line}/${device.id}#Reset`;

const NULL_VARIANT = new Variant({ dataType: DataType.Null });

/** The devices' nodes, and which device a node id belongs to (for the `served` counter). */
export interface DeviceTree {
  nodes: DeviceNodes[];
  deviceOf(nodeId: NodeId): SimDevice | undefined;
}

/** Adds every device under Objects and starts feeding its variables from the device's ticks. */
export function addDevices(
  addressSpace: AddressSpace,
  devices: readonly SimDevice[],
  log: OpcuaLog,
): DeviceTree {
  const namespace = addressSpace.getOwnNamespace();
  if (namespace.index !== 1)
    throw new Error(`the server's own namespace has index ${namespace.index}, expected 1`);
  const folders = new Map<string, UAObject>();
  const folder = (parent: UAObject, key: string, name: string): UAObject => {
    let node = folders.get(key);
    if (!node) {
      node = namespace.addFolder(parent, { browseName: name, nodeId: `s=${key}` });
      folders.set(key, node);
    }
    return node;
  };
  const owners = new Map<string, SimDevice>();
  const nodes = devices.map((sim) => {
    const { enterprise, line } = sim.device;
    const lineFolder = folder(
      folder(addressSpace.rootFolder.objects, enterprise, enterprise),
      `${enterprise}/${line}`,
      line,
    );
    return addDevice(namespace, lineFolder, sim, owners, log);
  });
  return { nodes, deviceOf: (nodeId) => owners.get(nodeId.toString()) };
}

interface Slot {
  readonly variable: UAVariable;
  readonly point: Point;
  readonly dataType: DataType;
  /** The value the variable holds, for the getter of writable variables. */
  variant: Variant;
  status: StatusCode;
}

function addDevice(
  namespace: Namespace,
  parent: UAObject,
  sim: SimDevice,
  owners: Map<string, SimDevice>,
  log: OpcuaLog,
): DeviceNodes {
  const device = sim.device;
  const path = `${device.enterprise}/${device.line}/${device.id}`;
  for (const reserved of ['State', 'Reset'])
    if (device.points.some((p) => p.name === reserved))
      throw new Error(`device ${path}: point name ${reserved} is reserved for the OPC UA ${reserved} node`);
  const claim = (nodeId: string, what: string): string => {
    const resolved = resolveNodeId(nodeId);
    if (resolved.namespace !== 1)
      throw new Error(`OPC UA node id ${nodeId} of ${what} is outside the simulator's namespace (ns=1)`);
    const key = resolved.toString();
    if (owners.has(key)) throw new Error(`OPC UA node id ${nodeId} of ${what} is used twice`);
    owners.set(key, sim);
    return nodeId;
  };

  const object = namespace.addObject({
    organizedBy: parent,
    browseName: device.id,
    displayName: device.name ?? device.id,
    description: device.kind,
    nodeId: claim(`ns=1;s=${path}`, `device ${path}`),
  });

  let disposed = false;
  const slots: Slot[] = [];
  const refreshSoon = () =>
    setImmediate(() => {
      if (!disposed) refresh();
    });

  for (const point of device.points) {
    const dataType = opcuaDataType(point);
    const slot: Slot = {
      variable: addPointVariable(
        namespace,
        object,
        point,
        dataType,
        claim(opcuaNodeId(device, point), `${path}/${point.name}`),
      ),
      point,
      dataType,
      variant: NULL_VARIANT,
      status: StatusCodes.BadWaitingForInitialData,
    };
    if (point.access === 'readwrite') {
      // A setter needs a getter in node-opcua; it hands back what the last tick pushed.
      slot.variable.bindVariable(
        {
          get: () => (slot.status.isGood() ? slot.variant : slot.status),
          set: (variant: Variant) => {
            const status = write(sim, point, variant, log);
            if (status.isGood()) refreshSoon();
            return status;
          },
        },
        true,
      );
    }
    slots.push(slot);
  }

  const state = namespace.addVariable({
    componentOf: object,
    browseName: 'State',
    description: 'Machine state: off, idle, setup, running, fault, maintenance',
    nodeId: claim(stateNodeId(device), `State of ${path}`),
    dataType: 'String',
    minimumSamplingInterval: 0,
  });

  const reset = namespace.addMethod(object, {
    browseName: 'Reset',
    description: 'Clears a machine fault (like the fault_reset coil)',
    nodeId: claim(resetNodeId(device), `Reset of ${path}`),
    inputArguments: [],
    outputArguments: [],
  });
  reset.bindMethod((_inputs, _context, callback) => {
    const result: CallMethodResultOptions = { statusCode: callReset(sim, log) };
    if (result.statusCode === StatusCodes.Good) refresh();
    callback(null, result);
  });

  function refresh(): void {
    try {
      const now = new Date();
      const bad = faultStatus(sim);
      if (bad) {
        for (const slot of slots) {
          slot.status = bad;
          slot.variable.setValueFromSource(NULL_VARIANT, bad, now);
        }
        state.setValueFromSource(NULL_VARIANT, bad, now);
        return;
      }
      const values = sim.values();
      for (const slot of slots) {
        const value = values[slot.point.name];
        if (value === undefined) {
          slot.status = StatusCodes.BadNoDataAvailable;
          slot.variable.setValueFromSource(NULL_VARIANT, slot.status, now);
          continue;
        }
        slot.variant = toVariant(slot.dataType, value);
        slot.status = StatusCodes.Good;
        slot.variable.setValueFromSource(slot.variant, StatusCodes.Good, now);
      }
      state.setValueFromSource(
        new Variant({ dataType: DataType.String, value: sim.machine }),
        StatusCodes.Good,
        now,
      );
    } catch (err) {
      // Called from the model's tick: a bad value must not break the simulation loop.
      log(`OPC UA update of ${path} failed`, err);
    }
  }

  // A tick whose values reach at least one subscriber counts as one answer served (Modbus counts
  // requests). Exception-based monitored items listen to 'value_changed'; sampled ones are not seen.
  const monitored = () =>
    state.listenerCount('value_changed') > 0 ||
    slots.some((s) => s.variable.listenerCount('value_changed') > 0);
  const onTick = () => {
    refresh();
    if (monitored()) sim.served++;
  };
  const onFault = () => refresh();
  sim.on('tick', onTick);
  sim.on('fault', onFault);
  refresh();
  return {
    device: sim,
    refresh,
    dispose() {
      disposed = true;
      sim.off('tick', onTick);
      sim.off('fault', onFault);
    },
  };
}

function addPointVariable(
  namespace: Namespace,
  parent: UAObject,
  point: Point,
  dataType: DataType,
  nodeId: string,
): UAVariable {
  const common = {
    componentOf: parent,
    browseName: point.name,
    nodeId,
    dataType: DataType[dataType],
    minimumSamplingInterval: 0,
    accessLevel: point.access === 'readwrite' ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
    userAccessLevel: point.access === 'readwrite' ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
    ...(point.description === undefined ? {} : { description: point.description }),
  };
  if (!isNumeric(dataType) || (point.unit === undefined && point.range === undefined)) {
    return namespace.addVariable(common);
  }
  if (point.range) {
    return namespace.addAnalogDataItem({
      ...common,
      engineeringUnitsRange: { low: point.range[0], high: point.range[1] },
      ...(point.unit === undefined ? {} : { engineeringUnits: euInformation(point.unit) }),
    });
  }
  // A unit but no range: AnalogItemType requires EURange, AnalogUnitType (Part 8, 1.05) does not.
  const variable = namespace.addVariable({ ...common, typeDefinition: 'AnalogUnitType' });
  namespace.addVariable({
    propertyOf: variable,
    browseName: { name: 'EngineeringUnits', namespaceIndex: 0 },
    typeDefinition: 'PropertyType',
    dataType: 'EUInformation',
    minimumSamplingInterval: 0,
    value: new Variant({ dataType: DataType.ExtensionObject, value: euInformation(point.unit ?? '') }),
  });
  return variable;
}

function write(sim: SimDevice, point: Point, variant: Variant, log: OpcuaLog): StatusCode {
  const bad = faultStatus(sim);
  if (bad) return bad;
  try {
    sim.write(point.name, fromVariant(variant));
    return StatusCodes.Good;
  } catch (err) {
    if (err instanceof RangeError) return StatusCodes.BadOutOfRange;
    if (err instanceof TypeError) return StatusCodes.BadTypeMismatch;
    log(`OPC UA write of ${sim.key}/${point.name} failed`, err);
    return StatusCodes.BadInternalError;
  }
}

function callReset(sim: SimDevice, log: OpcuaLog): StatusCode {
  const bad = faultStatus(sim);
  if (bad) return bad;
  try {
    sim.reset();
    return StatusCodes.Good;
  } catch (err) {
    if (err instanceof RangeError) return StatusCodes.BadInvalidState;
    log(`OPC UA Reset of ${sim.key} failed`, err);
    return StatusCodes.BadInternalError;
  }
}
