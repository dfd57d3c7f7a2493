/**
 * Counts behind the ratios. Groups (city, industry, province) add the counts of their
 * devices — never average their enterprises' ratios, which would weigh a 3-device
 * enterprise like a 3,000-device one (DOMAIN.md §1).
 */
import type { Industry } from '../../config/model/common.ts';
import type { Ratios } from './types.ts';

export interface Tally {
  devices: number;
  digital: number;
  networked: number;
  networkedDigital: number;
  /** Online buckets summed over the digital devices (integer: exact at any scale). */
  onlineBucketsDigital: number;
}

export const emptyTally = (): Tally => ({
  devices: 0,
  digital: 0,
  networked: 0,
  networkedDigital: 0,
  onlineBucketsDigital: 0,
});

export function addDevice(t: Tally, digital: boolean, networked: boolean, onlineBuckets: number): void {
  t.devices++;
  if (networked) t.networked++;
  if (digital) {
    t.digital++;
    t.onlineBucketsDigital += onlineBuckets;
    if (networked) t.networkedDigital++;
  }
}

export function addTally(into: Tally, t: Tally): void {
  into.devices += t.devices;
  into.digital += t.digital;
  into.networked += t.networked;
  into.networkedDigital += t.networkedDigital;
  into.onlineBucketsDigital += t.onlineBucketsDigital;
}

/** null, not NaN, when a denominator is 0. */
const div = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/** `buckets`: buckets per device in the window (1 for the live bucket). */
export function ratios(t: Tally, buckets: number): Ratios {
  return {
    devices: t.devices,
    digital: t.digital,
    networked: t.networked,
    networkedDigital: t.networkedDigital,
    networkedRate: div(t.networkedDigital, t.digital),
    deviceNetworkedRate: div(t.networked, t.devices),
    digitizationRate: div(t.digital, t.devices),
    meanOnlineFraction: div(t.onlineBucketsDigital, t.digital * buckets),
  };
}

/** Display names of the industries (the words of the Hebei documents). */
export const INDUSTRY_NAMES: Record<Industry, string> = {
  steel: '钢铁',
  equipment: '装备',
  pharma: '医药',
  'building-materials': '建材',
  photovoltaic: '光伏',
  other: '其他',
};
