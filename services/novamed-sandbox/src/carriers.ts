import type { Random } from './random.js';

/** A shipping carrier: its name as sent in `carrier`, tracking number format and transit time. */
export interface Carrier {
  readonly name: string;
  /** Business days from shipment to the estimated delivery, both included. */
  readonly transitDays: readonly [number, number];
  /** A tracking number in the carrier's format, with a valid check digit. */
  trackingNumber(random: Random): string;
}

/** UPS letters count as digits for the check digit: A=2, B=3, ... I=0, J=1, ... */
function upsValue(char: string): number {
  const code = char.charCodeAt(0);
  return code >= 65 ? (code - 65 + 2) % 10 : code - 48;
}

/**
 * The check digit of a UPS `1Z` number, from the 15 characters after `1Z` (odd positions
 * once, even positions twice). The guide's sample `1Z999AA10123456784` ends in its check digit.
 */
export function upsCheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += upsValue(body[i] as string) * (i % 2 === 0 ? 1 : 2);
  return (10 - (sum % 10)) % 10;
}

/** USPS IMpb mod-10 check digit: weights 3 and 1 alternating from the right. */
export function uspsCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const fromRight = digits.length - 1 - i;
    sum += Number(digits[i]) * (fromRight % 2 === 0 ? 3 : 1);
  }
  return (10 - (sum % 10)) % 10;
}

/** FedEx Express 12-digit check digit: weights 1, 3, 7 from the right, mod 11, mod 10. */
export function fedexCheckDigit(digits: string): number {
  const weights = [1, 3, 7];
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const fromRight = digits.length - 1 - i;
    sum += Number(digits[i]) * (weights[fromRight % 3] as number);
  }
  return (sum % 11) % 10;
}

const UPS_SERVICES = ['01', '02', '03', '12', '13'];
const ALNUM_UPPER = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';

export const CARRIERS: readonly Carrier[] = [
  {
    name: 'UPS',
    transitDays: [2, 5],
    trackingNumber(random) {
      const body = random.string(6, ALNUM_UPPER) + random.pick(UPS_SERVICES) + random.digits(7);
      return `1Z${body}${upsCheckDigit(body)}`;
    },
  },
  {
    name: 'FedEx',
    transitDays: [1, 3],
    trackingNumber(random) {
      const body = `7${random.digits(10)}`;
      return `${body}${fedexCheckDigit(body)}`;
    },
  },
  {
    name: 'USPS',
    transitDays: [3, 6],
    trackingNumber(random) {
      const body = `9400${random.digits(17)}`;
      return `${body}${uspsCheckDigit(body)}`;
    },
  },
  {
    name: 'DHL',
    transitDays: [2, 4],
    trackingNumber(random) {
      const body = random.digits(9);
      return `${body}${Number(body) % 7}`;
    },
  },
];
