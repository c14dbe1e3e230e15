// `quiver ui --events DIR`: the web UI over past sessions' event logs (a history server), until Ctrl-C.
import { InvalidArgumentError, type Command } from 'commander';
import { historySource } from '../obs/history.ts';
import { startUiServer } from '../obs/ui/server.ts';

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535 (0: any free port)');
  return n;
};

export function addUiCommand(p: Command): void {
  p.command('ui')
    .summary('serve the web UI over past jobs from an event log directory')
    .description('serve the web UI over past jobs: every event log file under --events (one per session) replayed into jobs, stages, tasks, executors, plans and /metrics; files that grow are re-read')
    .requiredOption('--events <dir>', 'event log directory (the eventLog option of Quiver.local / Quiver.connect), or one .jsonl file')
    .option('--port <port>', 'first port tried; the next free one when taken', port, 4040)
    .option('--host <host>', 'interface to bind; loopback unless told otherwise', '127.0.0.1')
    .option('--allowed-host <host>', 'a host name (or name:port) requests may be addressed to besides loopback and --host, e.g. a proxy\'s; repeatable. Other Host headers get 403', (v: string, all: string[]) => [...all, v], [] as string[])
    .action(async (o: { events: string; port: number; host: string; allowedHost: string[] }) => {
      const source = historySource(o.events);
      const apps = source.reload(); // reads every log now: a bad file fails here, naming it
      const ui = await startUiServer(source, { port: o.port, host: o.host, allowedHosts: o.allowedHost });
      console.log(`quiver ui: ${apps.length} event log${apps.length === 1 ? '' : 's'} (${apps.reduce((n, a) => n + a.state.jobs.length, 0)} jobs) from ${o.events} at ${ui.url}`);
      // The server does not hold the process open by itself (see startUiServer): this does, until a signal.
      const hold = setInterval(() => {}, 1 << 30);
      await new Promise<void>((res) => {
        process.once('SIGINT', () => res());
        process.once('SIGTERM', () => res());
      });
      clearInterval(hold);
      await ui.close();
    });
}
