#!/usr/bin/env node
// The `quiver` command: the TypeScript sources through tsx in a checkout, the built CLI in an installed package.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../core/cli/main.ts', import.meta.url));
let mod;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(source);
} else mod = await import('../dist/core/cli/main.js');
await mod.main(process.argv);
