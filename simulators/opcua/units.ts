/**
 * Engineering units as OPC UA EUInformation (UN/CEFACT Recommendation 20 codes, the OPC UA Part 8
 * convention). The displayName is always the point's own unit string, so a client reads back exactly
 * the unit the configuration declares; unitId and description come from the UNECE table.
 */
import { type EUInformation, makeEUInformation, standardUnits } from 'node-opcua';

/** Units node-opcua's `standardUnits` knows, by the spelling our configs use. */
const STANDARD: Record<string, EUInformation> = {
  '°C': standardUnits.degree_celsius,
  '°F': standardUnits.degree_fahrenheit,
  K: standardUnits.kelvin,
  bar: standardUnits.bar,
  mbar: standardUnits.millibar,
  Pa: standardUnits.pascal,
  kPa: standardUnits.kilopascal,
  MPa: standardUnits.megapascal,
  mm: standardUnits.millimetre,
  cm: standardUnits.centimetre,
  m: standardUnits.metre,
  'm/s': standardUnits.metre_per_second,
  'km/h': standardUnits.kilometre_per_hour,
  'm³': standardUnits.cubic_metre,
  'm³/h': standardUnits.cubic_metre_per_hour,
  'm³/min': standardUnits.cubic_meter_per_minute,
  g: standardUnits.gram,
  kg: standardUnits.kilogram,
  'kg/s': standardUnits.kilogram_per_second,
  s: standardUnits.second,
  ms: standardUnits.millisecond,
  min: standardUnits.minute,
  Hz: standardUnits.hertz,
  kHz: standardUnits.kilohertz,
  rpm: standardUnits.revolutions_per_minute,
  'r/min': standardUnits.revolutions_per_minute,
  N: standardUnits.newton,
  W: standardUnits.watt,
  kW: standardUnits.kilowatt,
  MW: standardUnits.megawatt,
  A: standardUnits.ampere,
  V: standardUnits.volt,
  J: standardUnits.joule,
  '%': standardUnits.percent,
  ppm: standardUnits.part_per_million,
};

/** Further UNECE common codes for units node-opcua has no constant for. */
const EXTRA: Record<string, readonly [code: string, description: string]> = {
  h: ['HUR', 'hour'],
  kN: ['B47', 'kilonewton'],
  MN: ['B73', 'meganewton'],
  kWh: ['KWH', 'kilowatt hour'],
  MWh: ['MWH', 'megawatt hour'],
  kVA: ['KVA', 'kilovolt - ampere'],
  kvar: ['KVR', 'kilovar'],
  mA: ['4K', 'milliampere'],
  kV: ['KVT', 'kilovolt'],
  mg: ['MGM', 'milligram'],
  t: ['TNE', 'tonne (metric ton)'],
  't/h': ['E18', 'tonne per hour'],
  'mm/min': ['H81', 'millimetre per minute'],
  'm/min': ['2X', 'metre per minute'],
  'L/min': ['L2', 'litre per minute'],
  L: ['LTR', 'litre'],
  'Nm³/h': ['MQH', 'cubic metre per hour'],
};

const cache = new Map<string, EUInformation>();

/** EUInformation for a unit string; an unknown unit gets unitId −1 (Part 8: "not available"). */
export function euInformation(unit: string): EUInformation {
  const cached = cache.get(unit);
  if (cached) return cached;
  const standard = STANDARD[unit];
  const extra = EXTRA[unit];
  let eu: EUInformation;
  if (standard) {
    eu = makeEUInformation('', unit, standard.description.text ?? unit);
    eu.unitId = standard.unitId;
  } else if (extra) {
    eu = makeEUInformation(extra[0], unit, extra[1]);
  } else {
    eu = makeEUInformation('', unit, unit);
    eu.unitId = -1;
  }
  cache.set(unit, eu);
  return eu;
}
