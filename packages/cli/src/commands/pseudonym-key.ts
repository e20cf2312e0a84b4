import { readFile } from 'node:fs/promises';
import { PSEUDONYM_KEY_BYTES, rotatePseudonymKey } from '@novamed-stream/db';
import { CliError } from '../cli-error.js';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  type Command,
  type CommandContext,
  stringOption,
} from '../command.js';
import { connectDatabase } from '../connection.js';

/** `novamed-stream pseudonym-key rotate [--key-file <path>]`. */
export const pseudonymKeyRotateCommand: Command = {
  name: 'pseudonym-key rotate',
  summary: 'Replace the key behind the analytics pseudonyms (every view changes at once)',
  help: `novamed-stream pseudonym-key rotate: replace the pseudonym key

Usage: novamed-stream pseudonym-key rotate [--key-file <path>] [options]

The analytics views (role analytics_reader) show patients and practitioners as pseudonyms:
an HMAC-SHA256 of the id with a secret key kept in novamed.pseudonym_key, which no reader
role can read. The first migration creates a random key. This command replaces it, in one
transaction: every view computes the pseudonyms when queried, so from the commit on every
view shows the new pseudonyms and none the old ones. No view is ever empty and no rebuild is
needed. The old key is overwritten: pseudonyms handed out before cannot be linked to the new
ones by anybody. The key is never printed.

Options:
  --key-file <path>           use this file's bytes as the key (at least ${PSEUDONYM_KEY_BYTES} bytes,
                              e.g. \`openssl rand 32 > key\`), to get the same pseudonyms in
                              several databases; default: ${PSEUDONYM_KEY_BYTES} random bytes
${CONNECTION_HELP.database}
${CONNECTION_HELP.common}

Examples:
  novamed-stream pseudonym-key rotate
  novamed-stream pseudonym-key rotate --key-file /run/secrets/pseudonym-key`,
  options: {
    ...CONNECTION_OPTIONS.database,
    'key-file': { type: 'string' },
  },
  async run({ values, io, out }: CommandContext) {
    const keyFile = stringOption(values, 'key-file');
    let key: Buffer | undefined;
    if (keyFile !== undefined) {
      try {
        key = await readFile(keyFile);
      } catch (error) {
        throw new CliError('KEY_FILE_UNREADABLE', `Cannot read the key file ${keyFile}.`, {
          hint: `Check the path and its permissions (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
        });
      }
    }
    const database = await connectDatabase(values, io);
    try {
      const rotated = await rotatePseudonymKey(database.db, key);
      if (!rotated.ok) {
        switch (rotated.reason) {
          case 'KEY_TOO_SHORT':
            throw new CliError(
              'KEY_TOO_SHORT',
              `The key file holds ${key?.length ?? 0} bytes; a key needs at least ${rotated.minBytes}.`,
              { hint: `Make one with \`openssl rand ${PSEUDONYM_KEY_BYTES} > key\`.` },
            );
          default: {
            const never: never = rotated.reason;
            throw new Error(`unexpected rotation outcome ${String(never)}`);
          }
        }
      }
      const source = key === undefined ? 'random' : 'file';
      out.document({
        ok: true,
        keyVersion: rotated.keyVersion,
        previousKeyVersion: rotated.previousKeyVersion,
        rotatedAt: rotated.rotatedAt.toISOString(),
        source,
      });
      out.line(
        `Pseudonym key rotated: version ${rotated.previousKeyVersion ?? '-'} -> ${rotated.keyVersion} (${source === 'random' ? 'random' : 'from the key file'}). Every analytics view shows the new pseudonyms.`,
      );
      return 0;
    } finally {
      await database.close();
    }
  },
};
