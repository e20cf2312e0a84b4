import type { RawEvent } from '@novamed-stream/testkit';

export type { RawEvent };

/**
 * Values planted as PHI in the journey's events. Each contains `PHI` (in some case), and no
 * other value of the journey does, so a search for the marker finds any leak.
 */
export const PLANTED_PHI = [
  'pat_PHI_journey_1',
  'pat_PHI_journey_2',
  'prac_PHI_journey',
  'Jane PHI Doe',
  '742 PHI Evergreen Terrace',
  'Apt PHI 9',
  '1ZPHI_journey_1',
  'PHI free text',
  'jane.phi@example.com',
  '+1-555-PHI',
] as const;

const ADDRESS = {
  line1: '742 PHI Evergreen Terrace',
  line2: 'Apt PHI 9',
  city: 'San Francisco',
  state: 'CA',
  zip: '94102-1234',
};

/**
 * Fields NovaMed does not document (today or ever): a name, a street, a tracking number and
 * contact details at the top level and nested. Added to every event: an allow-list must keep
 * all of them out of the analytics views.
 */
const UNKNOWN_FIELDS = {
  patient_name: 'Jane PHI Doe',
  patient_address: '742 PHI Evergreen Terrace',
  tracking_number: '1ZPHI_journey_1',
  notes: 'PHI free text',
  future_contact: { email: 'jane.phi@example.com', phone: '+1-555-PHI' },
};

/**
 * One patient's journey through every event type (a medication request approved and filled,
 * its order shipped and delivered, a refill approved and one denied, an order and a request
 * cancelled), and a second patient's request and order. PHI is planted everywhere it can be.
 */
export function journeyEvents(): RawEvent[] {
  const patient = 'pat_PHI_journey_1';
  const request = {
    patient_id: patient,
    practitioner_id: 'prac_PHI_journey',
    medication_name: 'Lisinopril 10mg',
    quantity: 30,
    refills: 2,
  };
  const steps: Array<[string, Record<string, unknown>]> = [
    ['medication_request:created', { medication_request_id: 'mr_journey_1', ...request }],
    [
      'medication_request:approved',
      { medication_request_id: 'mr_journey_1', ...request, approved_at: '2025-01-15T09:00:00Z' },
    ],
    [
      'order:created',
      {
        order_id: 'ord_journey_1',
        patient_id: patient,
        medication_request_id: 'mr_journey_1',
        shipping_address: ADDRESS,
      },
    ],
    ['order:processing', { order_id: 'ord_journey_1', patient_id: patient }],
    [
      'medication_request:filled',
      { medication_request_id: 'mr_journey_1', patient_id: patient, filled_at: null },
    ],
    [
      'order:shipped',
      {
        order_id: 'ord_journey_1',
        patient_id: patient,
        medication_request_id: 'mr_journey_1',
        tracking_number: '1ZPHI_journey_1',
        carrier: 'UPS',
        estimated_delivery: '2025-01-18',
        shipping_address: ADDRESS,
      },
    ],
    ['order:delivered', { order_id: 'ord_journey_1', patient_id: patient }],
    [
      'refill:requested',
      { refill_id: 'rf_journey_1', medication_request_id: 'mr_journey_1', patient_id: patient },
    ],
    [
      'refill:approved',
      { refill_id: 'rf_journey_1', medication_request_id: 'mr_journey_1', patient_id: patient },
    ],
    [
      'refill:requested',
      { refill_id: 'rf_journey_1b', medication_request_id: 'mr_journey_1', patient_id: patient },
    ],
    [
      'refill:denied',
      {
        refill_id: 'rf_journey_1b',
        medication_request_id: 'mr_journey_1',
        patient_id: patient,
        reason: 'PHI free text',
      },
    ],
    [
      'order:created',
      { order_id: 'ord_journey_1c', patient_id: patient, shipping_address: ADDRESS },
    ],
    [
      'order:cancelled',
      { order_id: 'ord_journey_1c', patient_id: patient, reason: 'PHI free text' },
    ],
    ['medication_request:created', { medication_request_id: 'mr_journey_1c', ...request }],
    [
      'medication_request:cancelled',
      { medication_request_id: 'mr_journey_1c', patient_id: patient, reason: 'PHI free text' },
    ],
    [
      'medication_request:created',
      { medication_request_id: 'mr_journey_2', ...request, patient_id: 'pat_PHI_journey_2' },
    ],
    ['order:created', { order_id: 'ord_journey_2', patient_id: 'pat_PHI_journey_2' }],
  ];
  const start = Date.parse('2025-01-15T08:00:00.000Z');
  return steps.map(([type, data], n) => ({
    event_type: type,
    event_id: `evt_journey_${n}`,
    timestamp: new Date(start + n * 3_600_000).toISOString(),
    clinic_id: 'clinic_journey',
    data: { ...UNKNOWN_FIELDS, ...data },
  }));
}
