import { describe, expect, it } from 'vitest';
import { defaultKafkaCacheDir, parseJavaMajorVersion, renderPom } from './kafka-jars.js';

describe('parseJavaMajorVersion', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_392"', 8],
    ['openjdk version "11.0.2" 2019-01-15', 11],
    ['command not found', undefined],
  ])('%j -> %s', (output, major) => {
    expect(parseJavaMajorVersion(output)).toBe(major);
  });
});

describe('renderPom', () => {
  const pom = renderPom('4.1.1');

  it('depends on the broker of the requested version', () => {
    expect(pom).toContain(
      '<groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>4.1.1</version>',
    );
  });

  it('pins slf4j-api 2 next to the log4j2 binding, so the broker can log', () => {
    expect(pom).toContain('<artifactId>slf4j-api</artifactId><version>2.0.17</version>');
    expect(pom).toContain('<artifactId>log4j-slf4j2-impl</artifactId>');
    expect(pom).toContain('<artifactId>log4j-core</artifactId>');
  });
});

describe('defaultKafkaCacheDir', () => {
  it('is per version, outside the repository', () => {
    expect(defaultKafkaCacheDir('4.1.1')).toMatch(/\.cache[/\\]novamed-stream[/\\]kafka-4\.1\.1$/);
    expect(defaultKafkaCacheDir('4.1.1')).not.toContain(process.cwd());
  });
});
