/**
 * SQL building blocks of the de-identified (`analytics`) views: a limited data set in HIPAA's
 * sense. Pseudonyms come from `pseudonymSql` of @novamed-stream/db.
 */

/**
 * A jsonb object holding only the `allowed` keys of the jsonb expression `json` whose values
 * are scalars (a nested object might carry an address): what replaces `attributes` and an
 * event's `data`. A field NovaMed adds later stays out until someone adds it here.
 */
export function allowListedJson(json: string, allowed: readonly string[]): string {
  const keys = allowed.map((k) => `'${k.replaceAll("'", "''")}'`).join(', ');
  return `(select coalesce(jsonb_object_agg(f.key, f.value), '{}'::jsonb)
     from jsonb_each(case when jsonb_typeof(${json}) = 'object' then ${json} end) as f
     where f.key in (${keys})
       and jsonb_typeof(f.value) in ('string', 'number', 'boolean', 'null'))`;
}

/** A string field of the jsonb `address` (null when absent or not a string): city or state. */
export function addressText(address: string, field: 'city' | 'state'): string {
  return `case when jsonb_typeof(${address} -> '${field}') = 'string' then ${address} ->> '${field}' end`;
}

/**
 * The 5-digit ZIP of the jsonb `address`: the first five digits of a ZIP or ZIP+4, null for
 * anything else (a malformed value could hold a street). ZIP+4 is cut because it narrows to a
 * block or a building. Five digits, not safe harbor's three: this data set keeps full dates
 * and the city, so it is a limited data set (which HIPAA allows to keep the 5-digit ZIP,
 * under a data use agreement) and three digits would not make it safe-harbor data anyway.
 */
export function addressZip5(address: string): string {
  return `case when jsonb_typeof(${address} -> 'zip') = 'string'
     then substring(${address} ->> 'zip' from '^\\s*([0-9]{5})(?:-?[0-9]{4})?\\s*$') end`;
}
