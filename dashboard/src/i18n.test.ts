import { describe, expect, it } from 'vitest';
import { INDUSTRIES } from '../../config/model/common.ts';
import { CATALOGUE, isMessageKey, placeholders } from './i18n.ts';

describe('message catalogue', () => {
  it('has the same keys in Chinese and English', () => {
    expect(Object.keys(CATALOGUE.en).sort()).toEqual(Object.keys(CATALOGUE.zh).sort());
  });

  it('has the same placeholders for every key in both languages', () => {
    for (const key of Object.keys(CATALOGUE.zh)) {
      if (!isMessageKey(key)) throw new Error(key);
      expect({ key, ph: placeholders(CATALOGUE.en[key]) }).toEqual({
        key,
        ph: placeholders(CATALOGUE.zh[key]),
      });
    }
  });

  it('has no empty message', () => {
    for (const lang of ['zh', 'en'] as const)
      for (const [key, text] of Object.entries(CATALOGUE[lang]))
        expect({ lang, key, text }).not.toMatchObject({ text: '' });
  });

  it('names every industry of the configuration model and every offline reason', () => {
    for (const i of INDUSTRIES) expect(isMessageKey(`industry.${i}`), i).toBe(true);
    for (const r of ['device_unreachable', 'gateway_down', 'never_connected'])
      expect(isMessageKey(`reason.${r}`)).toBe(true);
  });
});
