// `quiver nats-config`: the authorization block it writes starts a real nats-server, and each user it names gets in with its own password only.
import { connect } from '@nats-io/transport-node';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { natsUsersConfig } from '../../core/cluster/nats-config.ts';
import { startNats } from './nats-server.ts';

const bin = resolve(import.meta.dirname, '../../bin/quiver.mjs');

describe('quiver nats-config', () => {
  it('writes the block and the passwords (mode 0600); nats-server takes it; each user logs in with its own password only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-natsconf-'));
    const out = join(dir, 'auth.conf'), pw = join(dir, 'passwords.json');
    const r = spawnSync('node', [bin, 'nats-config', '--cluster', 'c1', '--drivers', 'd1', '--executors', 'e1,e2', '--out', out, '--passwords', pw], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(statSync(pw).mode & 0o777).toBe(0o600);
    const passwords = JSON.parse(readFileSync(pw, 'utf8')) as Record<string, string>;
    expect(Object.keys(passwords).sort()).toEqual(['d1', 'e1', 'e2']);
    const nats = await startNats({ config: readFileSync(out, 'utf8') });
    try {
      const ok = await connect({ servers: nats.url, user: 'e1', pass: passwords.e1 });
      await ok.close();
      await expect(connect({ servers: nats.url, user: 'e1', pass: passwords.e2 })).rejects.toThrow(/[Aa]uthorization/);
      await expect(connect({ servers: nats.url })).rejects.toThrow(/[Aa]uthorization/);
    } finally {
      await nats.stop();
    }
  }, 30_000);

  it('refuses names that are not subject tokens, and a name used twice', () => {
    expect(() => natsUsersConfig('c', ['d'], ['e.1'])).toThrow(/executor name 'e\.1' must be 1-40 characters/);
    expect(() => natsUsersConfig('c', ['e1'], ['e1'])).toThrow(/user 'e1' is named twice/);
    expect(() => natsUsersConfig('c>', ['d'], ['e1'])).toThrow(/cluster 'c>'/);
  });
});
