/**
 * Catalogues the generator draws from. Every value is made up, but shaped like the real thing
 * (US city, state and ZIP triples that exist, medication names and strengths a compounding
 * pharmacy sells). Generated patients are still treated as PHI: never logged.
 */

/** A medication the pharmacy dispenses, with the quantities and refills it is prescribed with. */
export interface Medication {
  readonly name: string;
  /** Sent as an extra `dosage` field: receivers must keep fields the guide does not list. */
  readonly dosage: string;
  readonly quantities: readonly number[];
  readonly maxRefills: number;
}

export const MEDICATIONS: readonly Medication[] = [
  { name: 'Testosterone Cypionate', dosage: '200 mg/mL', quantities: [1, 2], maxRefills: 5 },
  { name: 'Semaglutide', dosage: '2.5 mg/mL', quantities: [1], maxRefills: 3 },
  { name: 'Tirzepatide', dosage: '10 mg/mL', quantities: [1], maxRefills: 3 },
  { name: 'Sildenafil', dosage: '20 mg tablet', quantities: [30, 60, 90], maxRefills: 5 },
  { name: 'Tadalafil', dosage: '5 mg tablet', quantities: [30, 90], maxRefills: 5 },
  { name: 'Finasteride', dosage: '1 mg tablet', quantities: [30, 90], maxRefills: 4 },
  { name: 'Minoxidil', dosage: '2.5 mg tablet', quantities: [30, 90], maxRefills: 4 },
  { name: 'Metformin', dosage: '500 mg tablet', quantities: [60, 180], maxRefills: 5 },
  { name: 'Levothyroxine', dosage: '50 mcg tablet', quantities: [30, 90], maxRefills: 5 },
  { name: 'Estradiol', dosage: '1 mg tablet', quantities: [30, 90], maxRefills: 4 },
  { name: 'Progesterone', dosage: '100 mg capsule', quantities: [30, 90], maxRefills: 4 },
  { name: 'Anastrozole', dosage: '1 mg tablet', quantities: [12, 30], maxRefills: 3 },
  { name: 'Enclomiphene', dosage: '25 mg capsule', quantities: [30], maxRefills: 3 },
  { name: 'Naltrexone', dosage: '4.5 mg capsule', quantities: [30], maxRefills: 3 },
  { name: 'Spironolactone', dosage: '50 mg tablet', quantities: [30, 90], maxRefills: 4 },
  { name: 'Tretinoin', dosage: '0.05% cream', quantities: [1], maxRefills: 2 },
];

/** A city with ZIP codes that really belong to it. */
export interface Locality {
  readonly city: string;
  readonly state: string;
  readonly zips: readonly string[];
}

export const LOCALITIES: readonly Locality[] = [
  {
    city: 'San Francisco',
    state: 'CA',
    zips: ['94102', '94103', '94107', '94110', '94114', '94117', '94122'],
  },
  { city: 'Los Angeles', state: 'CA', zips: ['90012', '90026', '90027', '90039', '90042'] },
  { city: 'San Diego', state: 'CA', zips: ['92101', '92103', '92104', '92116'] },
  { city: 'Seattle', state: 'WA', zips: ['98101', '98103', '98107', '98115', '98122'] },
  { city: 'Portland', state: 'OR', zips: ['97201', '97209', '97212', '97214'] },
  { city: 'Denver', state: 'CO', zips: ['80202', '80205', '80206', '80218'] },
  { city: 'Austin', state: 'TX', zips: ['78701', '78702', '78704', '78745', '78751'] },
  { city: 'Houston', state: 'TX', zips: ['77002', '77006', '77007', '77019'] },
  { city: 'Phoenix', state: 'AZ', zips: ['85003', '85004', '85006', '85016'] },
  { city: 'Chicago', state: 'IL', zips: ['60607', '60610', '60614', '60622', '60647'] },
  { city: 'Minneapolis', state: 'MN', zips: ['55401', '55403', '55405', '55408'] },
  { city: 'Nashville', state: 'TN', zips: ['37203', '37204', '37206', '37208'] },
  { city: 'Atlanta', state: 'GA', zips: ['30303', '30306', '30308', '30312'] },
  { city: 'Miami', state: 'FL', zips: ['33125', '33130', '33132', '33137'] },
  { city: 'Boston', state: 'MA', zips: ['02108', '02113', '02116', '02118'] },
  { city: 'New York', state: 'NY', zips: ['10001', '10003', '10011', '10025', '10128'] },
  { city: 'Salt Lake City', state: 'UT', zips: ['84101', '84102', '84105', '84111'] },
];

export const STREET_NAMES: readonly string[] = [
  'Main Street',
  'Oak Avenue',
  'Maple Drive',
  'Cedar Lane',
  'Pine Street',
  'Elm Street',
  'Washington Avenue',
  'Park Avenue',
  'Lake Street',
  'Hill Road',
  'Highland Avenue',
  'Valencia Street',
  'Mission Street',
  'Broadway',
  'Market Street',
  'Church Street',
  'Spruce Street',
  'Willow Way',
  '2nd Street',
  '3rd Avenue',
  'Franklin Boulevard',
  'Jefferson Street',
  'Sunset Drive',
  'River Road',
];

/** `line2` values (most addresses have none). */
export const UNIT_PREFIXES: readonly string[] = ['Apt', 'Unit', 'Suite', '#'];

/** Why an order is cancelled before it ships. */
export const ORDER_CANCEL_REASONS: readonly string[] = [
  'patient request',
  'payment declined',
  'address could not be verified',
  'out of stock',
  'duplicate order',
];

/** Why an order is cancelled after it shipped or was delivered. */
export const LATE_ORDER_CANCEL_REASONS: readonly string[] = [
  'lost in transit',
  'returned to sender',
  'returned by patient',
];

/** Why a medication request is cancelled. */
export const MEDICATION_REQUEST_CANCEL_REASONS: readonly string[] = [
  'patient request',
  'prescriber withdrew the request',
  'duplicate request',
  'contraindication found',
];

/** Why a refill is denied. */
export const REFILL_DENY_REASONS: readonly string[] = [
  'too early to refill',
  'no refills remaining',
  'prescriber review required',
  'follow-up visit needed',
];
