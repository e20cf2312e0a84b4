import { describe, expect, it } from 'vitest';
import { CARRIERS, fedexCheckDigit, upsCheckDigit, uspsCheckDigit } from '../src/carriers.js';
import { Random } from '../src/random.js';

describe('carriers', () => {
  it("computes the UPS check digit of the guide's sample 1Z999AA10123456784", () => {
    expect(upsCheckDigit('999AA1012345678')).toBe(4);
  });

  it('makes tracking numbers in each carrier format, with valid check digits', () => {
    const random = new Random(7);
    const byName = new Map(CARRIERS.map((carrier) => [carrier.name, carrier]));
    expect([...byName.keys()]).toEqual(['UPS', 'FedEx', 'USPS', 'DHL']);
    for (let i = 0; i < 200; i++) {
      const ups = byName.get('UPS')!.trackingNumber(random);
      expect(ups).toMatch(/^1Z[A-Z0-9]{6}\d{10}$/);
      expect(Number(ups.at(-1))).toBe(upsCheckDigit(ups.slice(2, -1)));
      const fedex = byName.get('FedEx')!.trackingNumber(random);
      expect(fedex).toMatch(/^\d{12}$/);
      expect(Number(fedex.at(-1))).toBe(fedexCheckDigit(fedex.slice(0, -1)));
      const usps = byName.get('USPS')!.trackingNumber(random);
      expect(usps).toMatch(/^9400\d{18}$/);
      expect(Number(usps.at(-1))).toBe(uspsCheckDigit(usps.slice(0, -1)));
      const dhl = byName.get('DHL')!.trackingNumber(random);
      expect(dhl).toMatch(/^\d{10}$/);
      expect(Number(dhl.at(-1))).toBe(Number(dhl.slice(0, -1)) % 7);
    }
  });
});
