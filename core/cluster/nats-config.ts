// Least-privilege NATS permissions for a cluster: what a driver and each executor may publish and subscribe, as nats-server configuration and as JWT user claims.
import { randomBytes } from 'node:crypto';
import { PlanError } from '../../ops/errors.ts';

/** Subjects one NATS user may publish and subscribe to; replies to requests it received are always allowed. */
export interface RolePermissions {
  publish: string[];
  subscribe: string[];
}

const NAME = /^[A-Za-z0-9_-]{1,40}$/;

function checkName(what: string, name: string): void {
  if (!NAME.test(name)) throw new PlanError(`${what} '${name}' must be 1-40 characters of [A-Za-z0-9_-] (it is a NATS subject token)`);
}

/**
 * A driver: sends tasks and control requests to executors, fetches their blocks, serves its own
 * plans and tables, and announces itself. It reads executors' announcements and its results.
 */
export function driverPermissions(cluster: string): RolePermissions {
  checkName('cluster', cluster);
  const p = `quiver.${cluster}`;
  return {
    publish: [`${p}.exec.*.*.task`, `${p}.exec.*.*.control`, `${p}.exec.*.*.blocks`, `${p}.exec.*.*.psctl`, `${p}.exec.*.*.ps`, `${p}.driver.hello`, `${p}.drivers`],
    subscribe: [`${p}.exec.*.*.announce`, `${p}.driver.*.result`, `${p}.driver.*.blocks`, `${p}.driver.*.ps`, `${p}.driver.*.psblobs`, `_INBOX.${p}.driver.>`],
  };
}

/**
 * Executor `name` (started with `--name name`): takes only its own tasks and control requests,
 * serves only its own blocks, announces only itself; it reports results to drivers and fetches
 * plans, tables and peers' blocks by request. It cannot read another executor's task subject
 * (so it never learns another attempt's secret), send tasks, or speak for a driver.
 */
export function executorPermissions(cluster: string, name: string): RolePermissions {
  checkName('cluster', cluster);
  checkName('executor name', name);
  const p = `quiver.${cluster}`;
  const own = `${p}.exec.${name}`;
  return {
    publish: [`${own}.*.announce`, `${p}.driver.*.result`, `${p}.driver.*.blocks`, `${p}.exec.*.*.blocks`, `${p}.exec.*.*.ps`, `${p}.driver.*.ps`, `${p}.driver.*.psblobs`],
    subscribe: [`${own}.*.task`, `${own}.*.control`, `${own}.*.blocks`, `${own}.*.psctl`, `${own}.*.ps`, `${p}.driver.hello`, `${p}.drivers`, `_INBOX.${own}.>`],
  };
}

export interface NatsUsers {
  /** The nats-server configuration block (`authorization { users: [...] }`) to include in its config file. */
  config: string;
  /** Each user's password, by user name: give each process only its own. */
  passwords: Record<string, string>;
}

const quote = (s: string) => JSON.stringify(s);

function userBlock(user: string, pass: string, perm: RolePermissions): string {
  const list = (xs: string[]) => `[${xs.map(quote).join(', ')}]`;
  return [
    `    { user: ${quote(user)}, password: ${quote(pass)}, permissions: {`,
    `        publish: { allow: ${list(perm.publish)} }`,
    `        subscribe: { allow: ${list(perm.subscribe)} }`,
    '        allow_responses: true',
    '    } }',
  ].join('\n');
}

/**
 * A nats-server `authorization` block with one user per driver and per executor (passwords
 * random, 24 bytes), each confined to its role's subjects. Executor users are named as the
 * executors (`quiver executor --name NAME --user NAME --password ...`).
 */
export function natsUsersConfig(cluster: string, drivers: readonly string[], executors: readonly string[]): NatsUsers {
  if (drivers.length === 0 || executors.length === 0) throw new PlanError('name at least one driver user and one executor (--drivers d1 --executors e1,e2)');
  const names = [...drivers, ...executors];
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new PlanError(`user '${dup}' is named twice: drivers and executors need distinct names`);
  for (const d of drivers) checkName('driver user', d);
  const passwords: Record<string, string> = {};
  const blocks: string[] = [];
  for (const d of drivers) {
    passwords[d] = randomBytes(24).toString('base64url');
    blocks.push(userBlock(d, passwords[d], driverPermissions(cluster)));
  }
  for (const e of executors) {
    passwords[e] = randomBytes(24).toString('base64url');
    blocks.push(userBlock(e, passwords[e], executorPermissions(cluster, e)));
  }
  const config = [
    `# Quiver cluster '${cluster}': drivers ${drivers.join(', ')}; executors ${executors.join(', ')}.`,
    '# Written by `quiver nats-config`; keep this file and the passwords secret.',
    'authorization {',
    '  users: [',
    blocks.join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
  return { config, passwords };
}

/**
 * The same permissions as JWT user claims (for `nsc` or `@nats-io/jwt`'s encodeUser): pass as
 * the user's `pub`/`sub` allow lists and `resp` so it may answer requests.
 */
export function jwtPermissions(perm: RolePermissions): { pub: { allow: string[] }; sub: { allow: string[] }; resp: { max: number; ttl: number } } {
  return { pub: { allow: perm.publish }, sub: { allow: perm.subscribe }, resp: { max: 1, ttl: 0 } };
}
