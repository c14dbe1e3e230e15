// `quiver executor`: joins a cluster through NATS and runs the tasks drivers send it.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { Executor } from '../cluster/executor.ts';

export const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

export function addExecutorCommand(p: Command): void {
  p.command('executor')
    .description('start an executor that joins a cluster through NATS and runs the tasks drivers send it (Quiver.connect), on its own worker threads')
    .requiredOption('--servers <urls>', 'NATS server URL(s), comma separated, e.g. nats://10.0.0.5:4222')
    .option('--token <token>', 'NATS auth token (or QUIVER_TOKEN)')
    .option('--creds <file>', 'NATS .creds file (user JWT + nkey seed) for a server in operator/JWT mode (or QUIVER_CREDS); not with --token')
    .option('--user <name>', 'NATS user (or QUIVER_USER), e.g. from quiver nats-config; with --password')
    .option('--password <password>', 'password of --user (or QUIVER_PASSWORD)')
    .option('--tls-ca <file>', 'PEM file of the CA that signed the NATS server certificate')
    .option('--tls-cert <file>', 'PEM client certificate, for a NATS server that verifies clients (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--cluster <name>', 'cluster name: the subject prefix quiver.<name>.', 'default')
    .option('--name <name>', 'executor name shown in the UI (default: the host name)')
    .option('--workers <n>', 'worker threads (default: one per core)', positiveInt)
    .option('--heartbeat-ms <ms>', 'milliseconds between heartbeats', positiveInt, 1000)
    .option('--paths <dirs>', 'directories whose files tasks may read, comma separated (absolute; never /); drivers send file-reading tasks only to executors that declare the file. Without it the executor reads no files')
    .option('--udf-path <dirs>', 'directories mapBatches UDF modules may be imported from, comma separated (installed packages are always allowed; never data:, http: or other URLs)')
    .addOption(new Option('--gpu <mode>', 'GPU use for predict stages: auto, or off (GPU-placed stages run on the CPU here)').choices(['auto', 'off']).default('auto'))
    .option('--store-budget <bytes>', 'bytes of task output kept in memory before spilling to disk', positiveInt, 1024 * 1024 * 1024)
    .option('--driver-timeout-ms <ms>', 'a driver silent this long is gone: its blocks and cached plans are dropped', positiveInt, 10_000)
    .addOption(new Option('--block-transfer <how>', 'how peers fetch this executor\'s shuffle blocks: tcp (a port of its own, behind a token announced over NATS; NATS the fallback) or nats. Default: tcp, or nats with TLS (the port is not encrypted)').choices(['tcp', 'nats']))
    .option('--block-host <address>', 'the address peers reach the block port at (default: the first non-internal IPv4 address)')
    .option('--task-stall-ms <ms>', 'a task that reads or produces no batch this long is stopped and fails (default 10 minutes)', positiveInt)
    .action(async (o: {
      gpu: 'auto' | 'off'; storeBudget: number; driverTimeoutMs: number; taskStallMs?: number; blockTransfer?: 'tcp' | 'nats'; blockHost?: string;
      servers: string; token?: string; creds?: string; user?: string; password?: string; udfPath?: string; tlsCa?: string; tlsCert?: string; tlsKey?: string; cluster: string; name?: string; workers?: number; heartbeatMs: number; paths?: string;
    }) => {
      // Graceful decommission on SIGTERM / SIGINT: announce leaving, then exit. Installed before
      // joining, so a signal that arrives while it joins is not the default (abrupt) exit.
      let ex: Executor | null = null;
      let signal: string | null = null;
      const bye = (sig: string) => {
        signal = sig;
        if (ex) void ex.stop(`received ${sig}`).then(() => process.exit(0));
      };
      process.once('SIGTERM', () => bye('SIGTERM'));
      process.once('SIGINT', () => bye('SIGINT'));
      // One source for each secret: a flag wins over its environment variable, and an environment
      // variable for the other kind is ignored then, so --creds with QUIVER_TOKEN set is not "both".
      const flagged = o.token ?? o.creds ?? o.user;
      const token = o.token ?? (flagged ? undefined : process.env.QUIVER_TOKEN || undefined);
      const creds = o.creds ?? (flagged ? undefined : process.env.QUIVER_CREDS || undefined);
      const user = o.user ?? (flagged ? undefined : process.env.QUIVER_USER || undefined);
      const pass = o.password ?? (user ? process.env.QUIVER_PASSWORD || undefined : undefined);
      const tls = o.tlsCa || o.tlsCert || o.tlsKey ? { caFile: o.tlsCa, certFile: o.tlsCert, keyFile: o.tlsKey } : undefined;
      ex = await Executor.start({
        servers: o.servers.split(','), token, creds, user, pass, tls, cluster: o.cluster, name: o.name,
        workers: o.workers, heartbeatMs: o.heartbeatMs, paths: o.paths ? o.paths.split(',') : [], udfPaths: o.udfPath ? o.udfPath.split(',') : [],
        gpu: o.gpu, storeBudget: o.storeBudget, driverTimeoutMs: o.driverTimeoutMs, taskStallMs: o.taskStallMs,
        blockTransfer: o.blockTransfer, blockHost: o.blockHost,
      });
      console.log(`quiver executor ${ex.id} joined cluster '${o.cluster}' at ${o.servers}`);
      if (signal) bye(signal);
    });
}
