import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16, encodeMbap, encodeRtu, FramingError, MbapDecoder, RtuRequestDecoder } from './frames.ts';
import { bitsResponse, EXCEPTION, parseRequest, registersResponse } from './pdu.ts';

const pdu = (...bytes: number[]) => Buffer.from(bytes);

describe('PDU parsing', () => {
  it('parses reads and writes', () => {
    expect(parseRequest(pdu(3, 0x00, 0x10, 0x00, 0x02))).toEqual({
      kind: 'read',
      fc: 3,
      table: 'holding',
      address: 16,
      quantity: 2,
    });
    expect(parseRequest(pdu(5, 0, 1, 0xff, 0))).toEqual({
      kind: 'write-bits',
      fc: 5,
      address: 1,
      values: [true],
    });
    expect(parseRequest(pdu(15, 0, 0, 0, 10, 2, 0b0000_0101, 0b10))).toEqual({
      kind: 'write-bits',
      fc: 15,
      address: 0,
      values: [true, false, true, false, false, false, false, false, false, true],
    });
    expect(parseRequest(pdu(16, 0, 4, 0, 2, 4, 0x12, 0x34, 0xab, 0xcd))).toEqual({
      kind: 'write-registers',
      fc: 16,
      address: 4,
      values: [0x1234, 0xabcd],
    });
  });

  it('answers bad requests with the right exception', () => {
    expect(parseRequest(pdu(0x2b, 0x0e, 1, 0, 0))).toEqual({
      kind: 'exception',
      fc: 0x2b,
      code: EXCEPTION.illegalFunction,
    });
    expect(parseRequest(pdu(3, 0, 0, 0, 126))).toMatchObject({ code: EXCEPTION.illegalDataValue });
    expect(parseRequest(pdu(3, 0xff, 0xff, 0, 2))).toMatchObject({ code: EXCEPTION.illegalDataAddress });
    expect(parseRequest(pdu(5, 0, 0, 0x12, 0x34))).toMatchObject({ code: EXCEPTION.illegalDataValue });
  });

  it('builds responses', () => {
    expect([...bitsResponse(1, [true, false, true, true, false, false, false, false, true])]).toEqual([
      1, 2, 0b1101, 1,
    ]);
    expect([...registersResponse(4, [0x1234, 0xffff])]).toEqual([4, 4, 0x12, 0x34, 0xff, 0xff]);
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => void parseRequest(Buffer.from(b))),
      { numRuns: 2000 },
    );
  });
});

describe('MBAP framing', () => {
  it('reassembles frames split anywhere and split frames glued together', () => {
    const a = encodeMbap(1, 7, pdu(3, 0, 0, 0, 2));
    const b = encodeMbap(2, 9, pdu(4, 0, 1, 0, 1));
    const stream = Buffer.concat([a, b]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new MbapDecoder();
      const frames = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(frames.map((f) => [f.transaction, f.unit, [...f.pdu]])).toEqual([
        [1, 7, [3, 0, 0, 0, 2]],
        [2, 9, [4, 0, 1, 0, 1]],
      ]);
    }
  });

  it('rejects a corrupt header', () => {
    expect(() => new MbapDecoder().push(Buffer.from([0, 1, 0, 5, 0, 6, 1, 3, 0, 0, 0, 1]))).toThrow(
      FramingError,
    );
    expect(() => new MbapDecoder().push(Buffer.from([0, 1, 0, 0, 0x10, 0, 1]))).toThrow(
      'MBAP length 4096 outside 2–254',
    );
  });
});

describe('RTU framing', () => {
  it('computes CRC-16/MODBUS', () => {
    // Reference frame: read holding registers 0x006B, 3 registers from unit 17 → CRC 0x8776.
    expect(crc16(Buffer.from([0x11, 0x03, 0x00, 0x6b, 0x00, 0x03]))).toBe(0x8776);
    expect([...encodeRtu(0x11, pdu(3, 0, 0x6b, 0, 3))].slice(-2)).toEqual([0x76, 0x87]);
  });

  it('finds frames in a stream with noise, split anywhere', () => {
    const good = Buffer.concat([
      encodeRtu(1, pdu(3, 0, 0, 0, 4)),
      encodeRtu(2, pdu(16, 0, 0, 0, 1, 2, 0, 9)),
    ]);
    const stream = Buffer.concat([Buffer.from([0x00, 0x55]), good, encodeRtu(3, pdu(0x2b, 0x0e, 1, 0))]);
    for (let cut = 0; cut <= stream.length; cut += 3) {
      const d = new RtuRequestDecoder();
      const frames = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(frames.slice(0, 2).map((f) => [f.unit, [...f.pdu]])).toEqual([
        [1, [3, 0, 0, 0, 4]],
        [2, [16, 0, 0, 0, 1, 2, 0, 9]],
      ]);
    }
    const d = new RtuRequestDecoder();
    expect(d.push(stream).map((f) => f.unit)).toEqual([1, 2, 3]);
    expect(d.dropped).toBe(2);
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 10 }), (chunks) => {
        const d = new RtuRequestDecoder();
        for (const c of chunks) d.push(Buffer.from(c));
      }),
      { numRuns: 1000 },
    );
  });
});
