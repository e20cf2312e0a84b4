import { findRepoRoot } from '@novamed-stream/devstack';
import { expect, it } from 'vitest';

it('runs workspace packages from their TypeScript sources (the `source` export condition)', () => {
  let stack = '';
  try {
    findRepoRoot('/');
  } catch (error) {
    stack = error instanceof Error ? (error.stack ?? '') : '';
  }
  // The error is thrown inside @novamed-stream/devstack: its frame shows which file ran.
  expect(stack).toMatch(/packages[/\\]devstack[/\\]src[/\\]repo-root\.ts/);
});
