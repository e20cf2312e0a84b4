import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A scratch log file holding known secrets, for a sweep to prove it finds them. */
export interface PlantedCanary {
  /** The scratch file (inside its own folder, which {@link removePlantedCanary} deletes). */
  file: string;
  /** The planted values, labelled `planted canary: ...`. */
  secrets: Array<{ label: string; value: string }>;
  /** Lines of the file, each holding one planted value in one form. */
  lines: number;
}

/**
 * Writes a scratch log into `logDir` (beside the processes' logs) holding a patient id, a
 * patient name and an API key, each as a service would log it: plainly, JSON-escaped (the
 * name has quotes and a non-ASCII letter), JSON-escaped to ASCII (`\u00eb`), in a logged URL
 * (percent-encoded) and in a header. A sweep of `logDir` must report every line.
 */
export function plantCanary(logDir: string): PlantedCanary {
  const token = randomBytes(4).toString('hex');
  const id = `pat_planted_${token}`;
  const name = `Zoë "Planted" O'Canary ${token}`;
  const key = `key-planted-${token}-${randomBytes(12).toString('hex')}`;
  const line = (o: object) => JSON.stringify({ level: 40, service: 'planted-canary', ...o });
  const lines = [
    line({ msg: 'event rejected', patient_id: id }),
    line({ msg: 'event rejected', patient_name: name }),
    line({ msg: 'event rejected', patient_name: name }).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    ),
    line({ msg: 'request', url: `/webhooks/novamed?patient=${encodeURIComponent(name)}` }),
    line({ msg: 'request', headers: { 'x-api-key': key } }),
  ];
  const folder = join(logDir, `planted-canary-${token}`);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'planted.log');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return {
    file,
    secrets: [
      { label: 'planted canary: patient id', value: id },
      { label: 'planted canary: patient name', value: name },
      { label: 'planted canary: API key', value: key },
    ],
    lines: lines.length,
  };
}

/** Deletes the scratch log (and its folder), so the real sweep reads only real logs. */
export function removePlantedCanary(canary: PlantedCanary): void {
  rmSync(join(canary.file, '..'), { recursive: true, force: true });
}
