import { createHash, randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';

/** Bytes of a generated key; a given key must have at least as many. */
export const PSEUDONYM_KEY_BYTES = 32;

/** SHA-256's block size: HMAC pads (and hashes longer keys down to) this many bytes. */
const BLOCK_BYTES = 64;

/** A fresh random key. */
export function generatePseudonymKey(): Buffer {
  return randomBytes(PSEUDONYM_KEY_BYTES);
}

/**
 * HMAC-SHA256's inner and outer pads of `key` (RFC 2104): the key (hashed first when longer
 * than a block) zero-filled to 64 bytes, XOR 0x36 and XOR 0x5c. Storing the pads lets SQL
 * compute the HMAC with plain `sha256()`.
 */
export function hmacPads(key: Buffer): { inner_pad: Buffer; outer_pad: Buffer } {
  const block = Buffer.alloc(BLOCK_BYTES);
  (key.length > BLOCK_BYTES ? createHash('sha256').update(key).digest() : key).copy(block);
  const inner_pad = Buffer.alloc(BLOCK_BYTES);
  const outer_pad = Buffer.alloc(BLOCK_BYTES);
  for (let i = 0; i < BLOCK_BYTES; i++) {
    inner_pad[i] = (block[i] ?? 0) ^ 0x36;
    outer_pad[i] = (block[i] ?? 0) ^ 0x5c;
  }
  return { inner_pad, outer_pad };
}

/** Outcome of {@link rotatePseudonymKey}. */
export type RotatePseudonymKeyOutcome =
  | { ok: true; keyVersion: number; previousKeyVersion: number | null; rotatedAt: Date }
  | { ok: false; reason: 'KEY_TOO_SHORT'; minBytes: number };

/**
 * Replaces the pseudonym key (with `key`, else a random one) in one statement: every analytics
 * view computes pseudonyms from the key when queried, so from the commit on, every view shows
 * the new pseudonyms and none the old ones (no view is ever empty or mixed). The old key is
 * overwritten, not kept: pseudonyms handed out before cannot be linked to the new ones.
 */
export async function rotatePseudonymKey<DB>(
  db: Kysely<DB>,
  key: Buffer = generatePseudonymKey(),
): Promise<RotatePseudonymKeyOutcome> {
  if (key.length < PSEUDONYM_KEY_BYTES) {
    return { ok: false, reason: 'KEY_TOO_SHORT', minBytes: PSEUDONYM_KEY_BYTES };
  }
  const { inner_pad, outer_pad } = hmacPads(key);
  // The update re-reads the locked row, so two rotations at once still count up by one each.
  const result = await sql<{ key_version: number; created_at: Date }>`
    insert into novamed.pseudonym_key as k (singleton, key_version, inner_pad, outer_pad, created_at)
    values (true, 1, ${inner_pad}, ${outer_pad}, now())
    on conflict (singleton) do update
      set key_version = k.key_version + 1, inner_pad = excluded.inner_pad,
          outer_pad = excluded.outer_pad, created_at = excluded.created_at
    returning key_version, created_at`.execute(db);
  const row = result.rows[0];
  if (row === undefined) throw new Error('rotating the pseudonym key returned no row');
  return {
    ok: true,
    keyVersion: row.key_version,
    previousKeyVersion: row.key_version > 1 ? row.key_version - 1 : null,
    rotatedAt: row.created_at,
  };
}
