#!/usr/bin/env node
// The `quiver` command: the TypeScript sources through tsx in a checkout, the built CLI (dist/) in an installed package.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { endWithParent, runFiltered } from './dawn-stderr.mjs';

// Dawn's two harmless lavapipe warnings are filtered from stderr in a child process (see dawn-stderr.mjs).
const code = await runFiltered(fileURLToPath(import.meta.url), process.argv.slice(2));
if (code !== null) process.exit(code);
endWithParent();

const source = fileURLToPath(new URL('../core/cli/main.ts', import.meta.url));
const built = new URL('../dist/core/cli/main.js', import.meta.url);
let mod;
if (existsSync(source)) {
  // A checkout: tsx is one of its dev dependencies. Without them (npm ci --omit=dev), the build.
  let tsx = null;
  try {
    tsx = await import('tsx/esm/api');
  } catch (e) {
    if (e.code !== 'ERR_MODULE_NOT_FOUND' || !existsSync(fileURLToPath(built))) throw e;
  }
  if (tsx) {
    tsx.register();
    mod = await import(source);
  } else mod = await import(built.href);
} else mod = await import(built.href);
await mod.main(process.argv);
