/** The demo's parts that need no running plant: the timeline (schema, checks, player), the uplink proxy, the screen. */
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadPlantFile } from '../../config/index.ts';
import { UplinkProxy } from '../../bin/demo/proxy.ts';
import { createScreen } from '../../bin/demo/screen.ts';
import {
  checkTimeline,
  loadTimeline,
  type TimelineActions,
  TimelineFile,
  TimelinePlayer,
} from '../../bin/demo/timeline.ts';

const plant = async () => {
  const r = await loadPlantFile('config/plants/demo.yaml');
  if (!r.ok) throw new Error('demo plant does not load');
  return r.value;
};

describe('demo timeline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('the shipped timeline and the test timeline load against the demo plant', async () => {
    const p = await plant();
    for (const f of ['config/demo/timeline.yaml', 'test/demo/timeline.yaml']) {
      const r = await loadTimeline(f, p);
      expect(r).toMatchObject({ ok: true });
    }
  });

  it('reports every problem at once: unknown device, unconnected device, unknown enterprise, past repeat', async () => {
    const t = TimelineFile.parse({
      repeat: '60s',
      events: [
        { at: '10s', device: 'ts-steel/furnace-9', fault: 'offline' },
        { at: '10s', device: 'ts-steel/coiler-conveyor', fault: 'offline', for: '5s' },
        { at: '10s', uplink: 'nowhere', for: '5s' },
        { at: '50s', uplink: 'bd-equipment', for: '20s' },
      ],
    });
    const errors = checkTimeline(t, await plant());
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatch(/^events\.0\.device: /);
    expect(errors[1]).toMatch(/^events\.0: must end/); // no `for` with repeat: never ends
    expect(errors[2]).toContain('coiler-conveyor is not connected');
    expect(errors[3]).toContain('unknown enterprise "nowhere"');
    expect(errors[4]).toMatch(/^events\.3: must end \(at \+ for\) within repeat \(60s\)/);
  });

  it('a malformed file names the path of each issue', async () => {
    const r = await loadTimeline('test/demo/does-not-exist.yaml', await plant());
    expect(r.ok ? [] : r.errors).toEqual([
      expect.stringMatching(/^test\/demo\/does-not-exist\.yaml: ENOENT/),
    ]);
    const bad = TimelineFile.safeParse({ events: [{ at: 'soon', device: 'x', fault: 'melt' }] });
    expect(bad.success).toBe(false);
  });

  it('plays on wall-clock time: begins, ends (ends first at the same instant), repeats', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const calls: string[] = [];
    const actions: TimelineActions = {
      fault: (d, s) => calls.push(`fault ${d} ${s.type}`),
      clear: (d, t) => calls.push(`clear ${d} ${t}`),
      cut: (e) => calls.push(`cut ${e}`),
      restore: (e) => calls.push(`restore ${e}`),
    };
    const printed: string[] = [];
    const file = TimelineFile.parse({
      repeat: '60s',
      events: [
        { at: '10s', device: 'furnace-1', fault: 'offline', for: '20s' },
        { at: '30s', uplink: 'bd-equipment', for: '10s' },
      ],
    });
    const player = new TimelinePlayer(file, actions, (ms, line) => printed.push(`${ms / 1000}s ${line}`));
    player.start();
    vi.advanceTimersByTime(9_999);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(['fault furnace-1 offline']);
    vi.advanceTimersByTime(20_000);
    expect(calls.slice(1)).toEqual(['clear furnace-1 offline', 'cut bd-equipment']);
    vi.advanceTimersByTime(10_000);
    expect(calls.at(-1)).toBe('restore bd-equipment');
    vi.advanceTimersByTime(30_000); // the cycle starts over at 60 s: the fault again at 70 s
    vi.advanceTimersByTime(10_000);
    expect(calls.at(-1)).toBe('fault furnace-1 offline');
    expect(printed[0]).toBe('10s device fault: furnace-1 offline for 20s (simulator)');
    player.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a failing action is printed and the story goes on', () => {
    vi.useFakeTimers({ now: 0 });
    const printed: string[] = [];
    const fail = () => {
      throw new Error('no such thing');
    };
    const file = TimelineFile.parse({
      events: [
        { at: '1s', uplink: 'x' },
        { at: '2s', uplink: 'y' },
      ],
    });
    const calls: string[] = [];
    const player = new TimelinePlayer(
      file,
      { fault: fail, clear: fail, cut: (e) => (e === 'x' ? fail() : calls.push(e)), restore: fail },
      (_ms, line) => printed.push(line),
    );
    player.start();
    vi.advanceTimersByTime(2000);
    expect(printed[0]).toMatch(/^timeline step failed: uplink cut: x.*: no such thing$/);
    expect(calls).toEqual(['y']);
    player.stop();
  });
});

describe('uplink proxy', () => {
  let upstream: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  });

  const roundTrip = (port: number) =>
    new Promise<string>((resolve) => {
      const s = connect({ host: '::1', port }, () => s.write('ping'));
      s.once('data', (b) => {
        resolve(b.toString());
        s.destroy();
      });
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      s.once('close', () => resolve('closed'));
    });

  it('forwards, drops the open connection on cut, refuses until restored', async () => {
    const server = createServer((s) => s.on('data', (b) => s.write(`echo ${b.toString()}`)));
    upstream = server;
    await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
    const proxy = new UplinkProxy({ host: '::1', port: (server.address() as AddressInfo).port });
    await proxy.start();
    expect(await roundTrip(proxy.port)).toBe('echo ping');

    const open = connect({ host: '::1', port: proxy.port });
    await new Promise((resolve) => open.once('connect', resolve));
    const dropped = new Promise((resolve) => open.once('close', resolve));
    open.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the proxy has paired it upstream
    proxy.cut();
    await dropped;
    expect(proxy.isCut).toBe(true);
    expect(['ECONNRESET', 'closed']).toContain(await roundTrip(proxy.port));

    proxy.restore();
    expect(await roundTrip(proxy.port)).toBe('echo ping');
    await proxy.stop();
  });
});

describe('demo screen', () => {
  const sink = (tty: boolean) => {
    const chunks: string[] = [];
    const out = Object.assign(
      new Writable({
        write(chunk: Buffer, _enc, done) {
          chunks.push(chunk.toString());
          done();
        },
      }),
      { isTTY: tty, columns: 20 },
    );
    return { out, text: () => chunks.join('') };
  };

  it('without a TTY: plain lines, nothing redrawn', () => {
    const { out, text } = sink(false);
    const screen = createScreen(out);
    screen.status(['a', 'b']);
    screen.log('event');
    expect(text()).toBe('a\nb\nevent\n');
  });

  it('on a TTY: the status block is redrawn in place, log lines go above it, long lines are cut', () => {
    const { out, text } = sink(true);
    const screen = createScreen(out);
    screen.status(['one', 'two']);
    screen.log('event');
    screen.status(['x'.repeat(30)]);
    expect(text()).toBe(
      '\r\x1b[Jone\ntwo\n' + '\r\x1b[2A\x1b[Jevent\none\ntwo\n' + '\r\x1b[2A\x1b[J' + 'x'.repeat(19) + '\n',
    );
  });
});
