import { createHmac } from 'node:crypto';

/** What a pseudonym stands for; part of the HMAC input, so a patient and a practitioner who share an id get different pseudonyms. */
export type PseudonymKind = 'patient' | 'practitioner';

/** Hex characters kept of the HMAC-SHA256 (128 bits: collisions are out of reach). */
const PSEUDONYM_HEX_LENGTH = 32;

/**
 * The pseudonym of `id`: HMAC-SHA256 over `<kind>:<id>` with the pseudonym key, hex, first 32
 * characters. The same as {@link pseudonymSql} computes in the analytics views; without the key
 * it can neither be reversed nor recomputed from a guessed id.
 */
export function pseudonym(key: Buffer, kind: PseudonymKind, id: string): string {
  return createHmac('sha256', key)
    .update(`${kind}:${id}`, 'utf8')
    .digest('hex')
    .slice(0, PSEUDONYM_HEX_LENGTH);
}

/**
 * A SQL expression computing {@link pseudonym} of the text expression `idSql` (null stays null),
 * with the key in `novamed.pseudonym_key`. HMAC is spelled out with Postgres's built-in
 * `sha256()` over the key's precomputed pads (RFC 2104: H(K^opad || H(K^ipad || m))), so no
 * extension is needed. The key table is read through a scalar subquery inside the view, so
 * Postgres checks it against the view's owner: readers of the view need no right on the key,
 * and there is no function they could call to compute the pseudonym of an id of their choosing.
 */
export function pseudonymSql(kind: PseudonymKind, idSql: string): string {
  return `(select substr(encode(sha256(k.outer_pad || sha256(k.inner_pad || convert_to('${kind}:' || (${idSql}), 'UTF8'))), 'hex'), 1, ${PSEUDONYM_HEX_LENGTH}) from novamed.pseudonym_key k)`;
}
