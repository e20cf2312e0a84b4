/**
 * `npm run reliability:publish [quick|full]`: copies the last reliability run's summary into
 * reliability/results/ and its table into docs/reliability.md (both tracked). Test runs never
 * touch tracked files; publishing figures is this explicit step.
 */
import { publishLastRun } from './harness/publish-results.js';

const scales = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['quick', 'full'];
let published = 0;
for (const scale of scales) {
  const summary = publishLastRun(scale);
  if (!summary) {
    console.log(
      `no run of scale ${scale} in reliability/last-run/ (run npm run test:reliability${scale === 'full' ? ':full' : ''})`,
    );
    continue;
  }
  published++;
  const passed = summary.scenarios.filter((s) => s.passed).length;
  console.log(
    `published the ${scale} run of ${summary.at}: ${passed}/${summary.scenarios.length} scenarios passed`,
  );
}
process.exit(published > 0 ? 0 : 1);
