/**
 * An IPv6-only OT network built from Linux network namespaces, for tests (docs/ipv6.md):
 *
 *   plant-<tag> ──ot0═══ot0── edge-<tag> ──up0═══lw<tag>── host (the test process)
 *   fd6c:7761:6e67:1::10/64   :1::1/64  2xxx::2/64       2xxx::1/64
 *
 * Every address comes from the project's ULA fd6c:7761:6e67::/48 (never the host's fd00::/64).
 * The plant link is private to the two namespaces, so its prefix is fixed; the uplink's end sits
 * in the host's namespace, so its /64 (fd6c:7761:6e67:2xxx::/64) is drawn per run, skipping
 * prefixes already on the host: two runs on one machine do not share one. Linux has no switch that turns IPv4 off on an interface: the
 * namespaces get no IPv4 address and lose loopback's 127.0.0.1, which leaves them without a
 * single IPv4 address or route (`ipv4State()` shows it). Addresses are added `nodad` (no
 * duplicate address detection delay) and kept across link down (`keep_addr_on_down`), so a cut
 * uplink comes back as it was. The edge does not forward: the plant reaches its edge and nothing else.
 *
 * Needs root (CAP_SYS_ADMIN for `ip netns add`, CAP_NET_ADMIN for links). `netnsSupport()` probes;
 * `requireNetns()` turns "not permitted" into a skip outside CI and a failure under CI=true.
 * Everything made is removed by `close()`, and by a synchronous sweep when the process exits;
 * namespaces left by a run that was killed outright are removed by the next run (their pid is in
 * the name).
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { findBinary } from './binaries.ts';
import type { SkipContext } from './servers.ts';

/** The project's unique local address prefix (a /48). */
export const ULA = 'fd6c:7761:6e67';
/** The plant ↔ edge link: fd6c:7761:6e67:1::/64. */
export const PLANT_PREFIX = `${ULA}:1::/64`;
export const PLANT_ADDRESS = `${ULA}:1::10`;
export const EDGE_PLANT_SIDE = `${ULA}:1::1`;

export interface OtNetwork {
  /** `<pid base 36>-<4 hex>`: names every namespace and link of this network. */
  readonly tag: string;
  readonly plant: { ns: string; address: string };
  readonly edge: { ns: string; plantSide: string; uplink: string };
  /** The host's end of the uplink (in the test process's namespace) and its /64. */
  readonly host: { link: string; address: string; prefix: string };
  /** `ip netns exec <ns> <command…>` as arguments for `ip`: a child process inside the namespace. */
  execArgs(ns: string, command: string, args: readonly string[]): string[];
  /** Runs a command inside a namespace to completion; never throws on a non-zero exit. */
  run(ns: string, command: string, args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  /** IPv4 addresses and routes (all tables) inside a namespace: both empty on an IPv6-only network. */
  ipv4State(ns: string): Promise<{ addresses: string; routes: string }>;
  /** Takes the host's end of the uplink down: the edge sees its uplink lose carrier. */
  cut(): Promise<void>;
  /** Brings it back up with its address (kept by keep_addr_on_down; re-added if not). */
  restore(): Promise<void>;
  /** Kills what still runs inside, deletes the namespaces and the host link. Idempotent. */
  close(): Promise<void>;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const IP_HINT = "iproute2's `ip` not found: install it with 'apt-get install -y iproute2'";

/** Whether this process may create namespaces and veth links: a probe that adds and deletes one of each. */
export async function netnsSupport(): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  if (!findBinary('ip')) return { ok: false, reason: IP_HINT };
  const tag = newTag();
  const ns = `lwprobe-${tag}`;
  const link = linkName(tag);
  try {
    const added = await run('ip', ['netns', 'add', ns]);
    if (added.code !== 0)
      return { ok: false, reason: `cannot create a network namespace: ${firstLine(added)}` };
    const veth = await run('ip', ['link', 'add', link, 'type', 'veth', 'peer', 'name', 'p0', 'netns', ns]);
    if (veth.code !== 0) return { ok: false, reason: `cannot create a veth link: ${firstLine(veth)}` };
    return { ok: true };
  } finally {
    await run('ip', ['link', 'del', link]);
    await run('ip', ['netns', 'del', ns]);
  }
}

/**
 * Ends the test as skipped when namespaces cannot be created here — with the reason and what is
 * needed — or fails it under CI=true, where the IPv6-only test must run (issue 7).
 */
export async function requireNetns(ctx: SkipContext): Promise<void> {
  const support = await netnsSupport();
  if (support.ok) return;
  const why = `network namespaces unavailable (${support.reason}); run as root, e.g. 'sudo -E npx vitest run test/netns/'`;
  if (process.env.CI === 'true') throw new Error(`${why} — CI=true: this test must run`);
  ctx.skip(why);
}

const open = new Map<string, { namespaces: string[]; link: string }>();
process.once('exit', () => {
  for (const { namespaces, link } of open.values()) removeSync(namespaces, link);
});

/** Creates the plant and edge namespaces, their links, addresses and routes (see the file comment). */
export async function createOtNetwork(): Promise<OtNetwork> {
  await sweepStale();
  const tag = newTag();
  const plant = `plant-${tag}`;
  const edge = `edge-${tag}`;
  const link = linkName(tag);
  const uplink = await freeUplinkPrefix();
  const host = { link, address: `${uplink}::1`, prefix: `${uplink}::/64` };
  const edgeUp = `${uplink}::2`;
  open.set(tag, { namespaces: [plant, edge], link });

  const ns = (name: string, ...args: string[]) => ip('-n', name, ...args);
  const sysctl = (name: string, settings: Record<string, string>) =>
    ip(
      'netns',
      'exec',
      name,
      'sh',
      '-c',
      Object.entries(settings)
        .map(([key, value]) => `echo ${value} > /proc/sys/net/${key.replaceAll('.', '/')}`)
        .join(' && '),
    );
  const close = async () => {
    if (!open.delete(tag)) return;
    for (const name of [plant, edge]) {
      const pids = await run('ip', ['netns', 'pids', name]);
      for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) killQuietly(Number(pid));
    }
    await run('ip', ['link', 'del', link]);
    for (const name of [plant, edge]) await run('ip', ['netns', 'del', name]);
  };

  try {
    for (const name of [plant, edge]) {
      await ip('netns', 'add', name);
      // Set before any link exists: new interfaces take the `default` values.
      await sysctl(name, {
        'ipv6.conf.all.disable_ipv6': '0',
        'ipv6.conf.default.disable_ipv6': '0',
        'ipv6.conf.default.accept_dad': '0',
        'ipv6.conf.default.keep_addr_on_down': '1',
        'ipv6.conf.all.forwarding': '0',
      });
      await ns(name, 'link', 'set', 'lo', 'up');
      await ns(name, 'address', 'del', '127.0.0.1/8', 'dev', 'lo');
    }
    await ip('link', 'add', link, 'type', 'veth', 'peer', 'name', 'up0', 'netns', edge);
    await ns(edge, 'link', 'add', 'ot0', 'type', 'veth', 'peer', 'name', 'ot0', 'netns', plant);
    for (const key of ['accept_dad=0', 'keep_addr_on_down=1']) {
      const [name, value] = key.split('=') as [string, string];
      await writeFile(`/proc/sys/net/ipv6/conf/${link}/${name}`, value);
    }
    await ip('address', 'add', `${host.address}/64`, 'dev', link, 'nodad');
    await ns(edge, 'address', 'add', `${edgeUp}/64`, 'dev', 'up0', 'nodad');
    await ns(edge, 'address', 'add', `${EDGE_PLANT_SIDE}/64`, 'dev', 'ot0', 'nodad');
    await ns(plant, 'address', 'add', `${PLANT_ADDRESS}/64`, 'dev', 'ot0', 'nodad');
    await ip('link', 'set', link, 'up');
    await ns(edge, 'link', 'set', 'up0', 'up');
    await ns(edge, 'link', 'set', 'ot0', 'up');
    await ns(plant, 'link', 'set', 'ot0', 'up');
    // The edge's uplink is its default route (a real edge box reaches the cloud through it); the
    // plant has only its on-link /64: it reaches the edge, nothing beyond.
    await ns(edge, '-6', 'route', 'add', 'default', 'via', host.address, 'dev', 'up0');
  } catch (err) {
    await close();
    throw err;
  }

  return {
    tag,
    plant: { ns: plant, address: PLANT_ADDRESS },
    edge: { ns: edge, plantSide: EDGE_PLANT_SIDE, uplink: edgeUp },
    host,
    execArgs: (name, command, args) => ['netns', 'exec', name, command, ...args],
    run: (name, command, args, timeoutMs) => run('ip', ['netns', 'exec', name, command, ...args], timeoutMs),
    async ipv4State(name) {
      const addresses = await ip('-n', name, '-4', '-o', 'address', 'show');
      const routes = await ip('-n', name, '-4', 'route', 'show', 'table', 'all');
      return { addresses: addresses.trim(), routes: routes.trim() };
    },
    async cut() {
      await ip('link', 'set', link, 'down');
    },
    async restore() {
      await ip('link', 'set', link, 'up');
      await ip('address', 'replace', `${host.address}/64`, 'dev', link, 'nodad');
    },
    close,
  };
}

/** `fd6c:7761:6e67:2xxx`: a random uplink /64 that no interface of the host uses yet. */
async function freeUplinkPrefix(): Promise<string> {
  for (let attempt = 0; attempt < 32; attempt++) {
    const prefix = `${ULA}:${(0x2000 + (randomBytes(2).readUInt16BE(0) % 0x1000)).toString(16)}`;
    if (!(await ip('-6', '-o', 'address', 'show', 'to', `${prefix}::/64`)).trim()) return prefix;
  }
  throw new Error(`no free /64 in ${ULA}:2000::/52 on this host`);
}

/** Runs `ip …`; throws with its stderr on failure. */
async function ip(...args: string[]): Promise<string> {
  const r = await run('ip', args);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${firstLine(r)}`);
  return r.stdout;
}

async function run(command: string, args: readonly string[], timeoutMs = 15_000): Promise<RunResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, { timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr || e.message,
    };
  }
}

const firstLine = (r: RunResult) => (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? '';

function newTag(): string {
  return `${process.pid.toString(36)}-${randomBytes(2).toString('hex')}`;
}

/** The host end of the uplink: at most 15 characters (IFNAMSIZ − 1). */
function linkName(tag: string): string {
  return `lw${tag.replace('-', '')}`;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function removeSync(namespaces: readonly string[], link: string): void {
  const quiet = (args: string[]) => {
    try {
      return execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString();
    } catch {
      return '';
    }
  };
  for (const name of namespaces)
    for (const pid of quiet(['netns', 'pids', name]).split(/\s+/).filter(Boolean)) killQuietly(Number(pid));
  quiet(['link', 'del', link]);
  for (const name of namespaces) quiet(['netns', 'del', name]);
}

/** Removes namespaces (and their host links) whose creating process is gone: a run killed with SIGKILL. */
async function sweepStale(): Promise<void> {
  const list = await run('ip', ['netns', 'list']);
  const byTag = new Map<string, string[]>();
  for (const line of list.stdout.split('\n')) {
    const m = /^((?:plant|edge|lwprobe)-([0-9a-z]+)-([0-9a-f]{4}))\b/.exec(line);
    if (!m?.[1] || !m[2] || !m[3]) continue;
    const tag = `${m[2]}-${m[3]}`;
    if (alive(parseInt(m[2], 36)) || open.has(tag)) continue;
    byTag.set(tag, [...(byTag.get(tag) ?? []), m[1]]);
  }
  for (const [tag, namespaces] of byTag) removeSync(namespaces, linkName(tag));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
