import { DataType, DataValue, StatusCodes, type VariantOptions, VariantArrayType } from 'node-opcua';
import { describe, expect, it } from 'vitest';
import { statusName, toSample } from './values.ts';

const t = new Date('2024-05-01T08:00:00.123Z');
const server = new Date('2024-05-01T08:00:01Z');
const unscaled = { scale: 1, offset: 0 };

function dv(
  value: VariantOptions,
  extra: Omit<NonNullable<ConstructorParameters<typeof DataValue>[0]>, 'value'> = {},
) {
  return new DataValue({
    value,
    statusCode: StatusCodes.Good,
    sourceTimestamp: t,
    serverTimestamp: server,
    ...extra,
  });
}

describe('toSample', () => {
  it.each([
    ['Double', { dataType: DataType.Double, value: 12.5 }, 12.5],
    ['Float', { dataType: DataType.Float, value: 12.25 }, 12.25],
    ['Int16', { dataType: DataType.Int16, value: -7 }, -7],
    ['UInt32', { dataType: DataType.UInt32, value: 4_000_000_000 }, 4_000_000_000],
    ['Boolean', { dataType: DataType.Boolean, value: true }, true],
    ['String', { dataType: DataType.String, value: 'B-1234' }, 'B-1234'],
    ['LocalizedText', { dataType: DataType.LocalizedText, value: { text: 'läuft' } }, 'läuft'],
    ['DateTime', { dataType: DataType.DateTime, value: t }, t.getTime()],
    [
      'UInt64',
      { dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: [0xffffffff, 0xfffffffe] },
      0xfffffffffffffffen,
    ],
    [
      'Int64 negative',
      { dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: [0xffffffff, 0xfffffffe] },
      -2n,
    ],
    [
      'Int64 large',
      { dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: [0x00200000, 1] },
      2n ** 53n + 1n,
    ],
  ])('converts a good %s to its JS value with the source timestamp', (_name, variant, value) => {
    expect(toSample('p', dv(variant), unscaled, 0)).toEqual({
      reading: { point: 'p', value, good: true, time: t.getTime() },
    });
  });

  it('reports Bad and Uncertain as bad, value null, with the status name', () => {
    const bad = toSample(
      'p',
      dv({ dataType: DataType.Null }, { statusCode: StatusCodes.BadDeviceFailure }),
      unscaled,
      0,
    );
    expect(bad).toEqual({
      reading: { point: 'p', value: null, good: false, time: t.getTime() },
      status: 'BadDeviceFailure',
    });
    const uncertain = toSample(
      'p',
      dv({ dataType: DataType.Double, value: 3 }, { statusCode: StatusCodes.UncertainLastUsableValue }),
      unscaled,
      0,
    );
    expect(uncertain.reading).toMatchObject({ good: false, value: null });
    expect(uncertain.status).toBe('UncertainLastUsableValue');
  });

  it('falls back to the server timestamp, then to now', () => {
    const noSource = new DataValue({
      value: { dataType: DataType.Double, value: 1 },
      serverTimestamp: server,
    });
    expect(toSample('p', noSource, unscaled, 42).reading.time).toBe(server.getTime());
    const none = new DataValue({ value: { dataType: DataType.Double, value: 1 } });
    expect(toSample('p', none, unscaled, 42).reading.time).toBe(42);
  });

  it('reports values the gateway cannot carry as BadTypeMismatch', () => {
    const array = dv({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: [1, 2] });
    expect(toSample('p', array, unscaled, 0)).toMatchObject({
      reading: { good: false, value: null },
      status: 'BadTypeMismatch',
    });
    expect(toSample('p', dv({ dataType: DataType.Null }), unscaled, 0).status).toBe('BadTypeMismatch');
    expect(
      toSample(
        'p',
        dv({ dataType: DataType.Guid, value: '72962B91-FA75-4AE6-8D28-B404DC7DAF63' }),
        unscaled,
        0,
      ).status,
    ).toBe('BadTypeMismatch');
  });

  it('applies the gateway scaling to numbers only', () => {
    const k = { scale: 0.5, offset: -1 };
    expect(toSample('p', dv({ dataType: DataType.Int32, value: 10 }), k, 0).reading.value).toBe(4);
    expect(toSample('p', dv({ dataType: DataType.Boolean, value: true }), k, 0).reading.value).toBe(true);
    expect(toSample('p', dv({ dataType: DataType.String, value: 'x' }), k, 0).reading.value).toBe('x');
    const big = dv({ dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: [1, 0] });
    expect(toSample('p', big, { scale: 2, offset: 1 }, 0).reading.value).toBe(2n ** 33n + 1n);
    expect(toSample('p', big, k, 0).reading.value).toBe(2 ** 32 * 0.5 - 1);
  });
});

describe('statusName', () => {
  it('names known codes and shows unknown ones in hex', () => {
    expect(statusName(StatusCodes.BadNodeIdUnknown)).toBe('BadNodeIdUnknown');
    expect(statusName(StatusCodes.Good)).toBe('Good');
  });
});
