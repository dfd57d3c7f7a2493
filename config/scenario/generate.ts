/**
 * Expands a scenario (config/model/scenario.ts) into enterprises and their ledgers,
 * deterministically: the same seed always yields the same province. Names are invented
 * and marked （模拟） so they can never be mistaken for real companies.
 */
import type { Kind } from '../kinds/define.ts';
import type { Industry } from '../model/common.ts';
import type { EnterpriseInput, Region } from '../model/plant.ts';
import type { IndustryMix, Scenario } from '../model/scenario.ts';
import { Rng } from '../random.ts';

const SYLLABLES = [...'澜泽恒远瑞丰骏禾朗晟岳曜鼎弘昕泓峻翎栎沐川融拓景昊钧澄嘉润衡宸锐启'];
const INDUSTRY_WORD: Record<Industry, string> = {
  steel: '钢铁',
  equipment: '装备制造',
  pharma: '制药',
  'building-materials': '建材',
  photovoltaic: '光伏科技',
  other: '实业',
};
const INDUSTRY_CODE: Record<Industry, string> = {
  steel: 'st',
  equipment: 'eq',
  pharma: 'ph',
  'building-materials': 'bm',
  photovoltaic: 'pv',
  other: 'ot',
};

type DeviceInput = EnterpriseInput['lines'][number]['devices'][number];

export function generateEnterprises(
  scenario: Scenario,
  region: Region,
  kinds: ReadonlyMap<string, Kind>,
): EnterpriseInput[] {
  const rng = new Rng(scenario.seed);
  const cities = new Map(region.cities.map((c) => [c.id, c]));
  const out: EnterpriseInput[] = [];
  const counters = new Map<string, number>();
  for (const mix of scenario.industries) {
    for (let i = 0; i < mix.enterprises; i++) {
      const cityId = rng.weighted(mix.cities);
      const city = cityId === undefined ? undefined : cities.get(cityId);
      if (!city) continue; // unknown city ids are reported by the semantic checks
      const key = `${city.id}-${INDUSTRY_CODE[mix.industry]}`;
      const n = (counters.get(key) ?? 0) + 1;
      counters.set(key, n);
      out.push(generateEnterprise(rng, mix, `${key}-${String(n).padStart(3, '0')}`, city, out.length, kinds));
    }
  }
  return out;
}

function generateEnterprise(
  rng: Rng,
  mix: IndustryMix,
  id: string,
  city: Region['cities'][number],
  index: number,
  kinds: ReadonlyMap<string, Kind>,
): EnterpriseInput {
  const place = city.name.replace(/(市|新区)$/, '');
  const name = `${place}${rng.pick(SYLLABLES)}${rng.pick(SYLLABLES)}${INDUSTRY_WORD[mix.industry]}有限公司（模拟）`;
  const networked = rng.between(mix.networkedShare[0], mix.networkedShare[1]);
  // Each enterprise gets its own /64 of the project's ULA for its Modbus and OPC UA hosts.
  const prefix = `fd6c:7761:6e67:${(index + 1).toString(16)}`;
  const opcuaEndpoint = `opc.tcp://[${prefix}::4840]:4840`;
  const perKind = new Map<string, number>();
  let host = 0;
  const lineCount = rng.int(mix.lines[0], mix.lines[1]);
  const lines = Array.from({ length: lineCount }, (_, li) => {
    const devices: DeviceInput[] = [];
    const count = rng.int(mix.devicesPerLine[0], mix.devicesPerLine[1]);
    for (let d = 0; d < count; d++) {
      const kindId = rng.weighted(mix.kinds) ?? 'manual-equipment';
      const seq = (perKind.get(kindId) ?? 0) + 1;
      perKind.set(kindId, seq);
      const digital = (kinds.get(kindId)?.digital ?? false) && rng.chance(mix.digitalShare);
      const device: DeviceInput = { id: `${kindId}-${String(seq).padStart(3, '0')}`, kind: kindId, digital };
      if (!digital) device.connectivity = { type: 'none', reason: 'not-digital' };
      else if (!rng.chance(networked)) device.connectivity = { type: 'none', reason: 'no-gateway' };
      else {
        const protocol = rng.weighted(mix.protocols) ?? 'modbus-tcp';
        if (protocol === 'opcua') device.connectivity = { type: 'opcua', endpoint: opcuaEndpoint };
        else if (protocol === 'modbus-rtu') {
          device.connectivity = { type: 'modbus-rtu', path: `/dev/ttyS${li}`, unitId: (d % 247) + 1 };
        } else {
          host++;
          device.connectivity = { type: 'modbus-tcp', host: `${prefix}::${host.toString(16)}`, port: 502 };
        }
      }
      devices.push(device);
    }
    return { id: `line-${li + 1}`, devices };
  });
  return { id, name, city: city.id, industry: mix.industry, leading: rng.chance(mix.leadingShare), lines };
}
