import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { App, type AppProps } from 'aws-cdk-lib';

/** Reads the feature flags of cdk.json, so tests synthesize the same template that `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * Creates an app with the cdk.json feature flags that skips asset bundling unless `bundle` is set.
 * Templates are the same either way except for asset hashes.
 */
export function createTestApp(options: { bundle?: boolean } & Pick<AppProps, 'outdir'> = {}): App {
  const context: Record<string, unknown> = { ...cdkJsonContext() };
  if (!options.bundle) {
    // An empty list of stacks to bundle turns bundling off for every stack.
    context['aws:cdk:bundling-stacks'] = [];
  }
  return new App({ context, outdir: options.outdir });
}
