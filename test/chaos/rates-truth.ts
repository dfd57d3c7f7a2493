/**
 * The rates the tracker serves against the ground truth, DOMAIN.md §1 applied here without any
 * lianwang rates code: a device is online in a bucket of width w iff a good sample whose source time
 * lies in that bucket reached the store; online fraction = online buckets / buckets in the window;
 * networked iff the fraction ≥ θ. The good samples come from the read logs (minus those that died
 * in flight at a kill -9) and from the skewed edge node's own list (minus what ingest refuses as
 * too far in the future); the ledger from the plant file.
 */
import { formatError, loadPlantFile } from '../../config/index.ts';

export interface LedgerDevice {
  enterprise: string;
  id: string;
  digital: boolean;
}

export async function ledgerOf(plantFile: string): Promise<LedgerDevice[]> {
  const plant = await loadPlantFile(plantFile);
  if (!plant.ok) throw new Error(plant.errors.map(formatError).join('\n'));
  return plant.value.enterprises.flatMap((e) =>
    e.lines.flatMap((l) => l.devices.map((d) => ({ enterprise: e.id, id: d.id, digital: d.digital }))),
  );
}

interface Counts {
  devices: number;
  digital: number;
  networked: number;
  networkedDigital: number;
}

export interface RatesCheck {
  window: { from: number; to: number; buckets: number; theta: number };
  devicesCompared: number;
  enterprisesCompared: number;
  /** "e1/e1-d02: online buckets api 41, truth 42" … */
  mismatches: string[];
  /** Province window counts, truth and API, for the table. */
  province: { truth: Counts; api: Counts };
}

interface ApiCounts extends Counts {
  networkedRate: number | null;
}
interface RatesReport {
  window: { from: number; to: number; buckets: number; theta: number };
  enterprises: { id: string; window: ApiCounts }[];
  province: { window: ApiCounts };
}
interface EnterpriseDetail {
  lines: { devices: { id: string; onlineBuckets: number; buckets: number }[] }[];
}

const countsOf = (c: Counts): Counts => ({
  devices: c.devices,
  digital: c.digital,
  networked: c.networked,
  networkedDigital: c.networkedDigital,
});

/**
 * `goodTimes(enterprise/device)` → source times of the good samples that reached the store.
 * [from, to) must be bucket-aligned.
 */
export async function checkRates(
  api: string,
  ledger: readonly LedgerDevice[],
  goodTimes: (device: string) => Iterable<number>,
  from: number,
  to: number,
  widthMs: number,
): Promise<RatesCheck> {
  const get = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${api}${p}`, { signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new Error(`GET ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const q = `from=${from}&to=${to}`;
  const report = await get<RatesReport>(`/api/rates?${q}`);
  const { theta, buckets } = report.window;
  if (report.window.from !== from || report.window.to !== to)
    throw new Error(
      `the API moved the window: asked ${from}–${to}, got ${report.window.from}–${report.window.to}`,
    );

  const mismatches: string[] = [];
  const zero = (): Counts => ({ devices: 0, digital: 0, networked: 0, networkedDigital: 0 });
  const byEnterprise = new Map<string, Counts>();
  const province = zero();
  const truthBuckets = new Map<string, number>();
  for (const d of ledger) {
    const key = `${d.enterprise}/${d.id}`;
    const online = new Set<number>();
    for (const t of goodTimes(key)) if (t >= from && t < to) online.add(Math.floor(t / widthMs));
    truthBuckets.set(key, online.size);
    const networked = online.size / buckets >= theta;
    let c = byEnterprise.get(d.enterprise);
    if (!c) byEnterprise.set(d.enterprise, (c = zero()));
    for (const x of [c, province]) {
      x.devices++;
      if (d.digital) x.digital++;
      if (networked) x.networked++;
      if (networked && d.digital) x.networkedDigital++;
    }
  }

  let devicesCompared = 0;
  for (const enterprise of byEnterprise.keys()) {
    const detail = await get<EnterpriseDetail>(`/api/enterprises/${enterprise}?${q}`);
    for (const dev of detail.lines.flatMap((l) => l.devices)) {
      const key = `${enterprise}/${dev.id}`;
      devicesCompared++;
      const want = truthBuckets.get(key);
      if (dev.onlineBuckets !== want)
        mismatches.push(
          `${key}: online buckets api ${dev.onlineBuckets}, truth ${want ?? 'not in the ledger'}`,
        );
    }
  }
  for (const row of report.enterprises) {
    const want = byEnterprise.get(row.id);
    const got = countsOf(row.window);
    if (!want || JSON.stringify(got) !== JSON.stringify(want))
      mismatches.push(`enterprise ${row.id}: api ${JSON.stringify(got)}, truth ${JSON.stringify(want)}`);
    const rate = want && want.digital ? want.networkedDigital / want.digital : null;
    if (row.window.networkedRate !== rate)
      mismatches.push(`enterprise ${row.id}: networkedRate api ${row.window.networkedRate}, truth ${rate}`);
  }
  if (report.enterprises.length !== byEnterprise.size)
    mismatches.push(
      `api reports ${report.enterprises.length} enterprises, the ledger has ${byEnterprise.size}`,
    );
  const apiProvince = countsOf(report.province.window);
  if (JSON.stringify(apiProvince) !== JSON.stringify(province))
    mismatches.push(`province: api ${JSON.stringify(apiProvince)}, truth ${JSON.stringify(province)}`);
  return {
    window: { from, to, buckets, theta },
    devicesCompared,
    enterprisesCompared: report.enterprises.length,
    mismatches,
    province: { truth: province, api: apiProvince },
  };
}
