/**
 * Field names that carry protected health information or secrets wherever they appear in a
 * payload. Loggers redact them; nothing may print their values.
 */
export const PHI_FIELDS = [
  'patient_id',
  'patient_name',
  'patient',
  'name',
  'first_name',
  'last_name',
  'full_name',
  'date_of_birth',
  'dob',
  'email',
  'phone',
  'address',
  'shipping_address',
  'billing_address',
  'line1',
  'line2',
  'medication_name',
  'medication',
] as const;
