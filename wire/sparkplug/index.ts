/**
 * Sparkplug B 3.0 on the wire: datatypes, payload codec, topics and session helpers. Pure
 * code shared by the gateway (encode) and the cloud (decode).
 */
export {
  SparkplugType,
  isArrayType,
  sparkplugTypeName,
  sparkplugTypeOf,
  type SparkplugTypeCode,
  type SparkplugTypeName,
} from './datatypes.ts';
export { SparkplugDecodeError } from './errors.ts';
export {
  coerceValue,
  isDataSet,
  isTemplate,
  type DataSet,
  type DataSetCell,
  type MetaData,
  type Metric,
  type MetricValue,
  type PropertySet,
  type PropertyValue,
  type Scalar,
  type Template,
  type TemplateParameter,
} from './metric.ts';
export {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_ELEMENTS,
  DEFAULT_MAX_METRICS,
  decodePayload,
  encodePayload,
  type DecodeLimits,
  type EncodeOptions,
  type Payload,
} from './payload.ts';
export {
  BD_SEQ,
  NODE_CONTROL_REBIRTH,
  decodeState,
  encodeState,
  nextSeq,
  type HostState,
} from './session.ts';
export {
  DEVICE_MESSAGE_TYPES,
  NAMESPACE,
  NODE_MESSAGE_TYPES,
  parseTopic,
  stateTopic,
  topic,
  validTopicToken,
  type DeviceMessageType,
  type NodeMessageType,
  type ParsedTopic,
} from './topics.ts';
