// Past sessions from an event log directory, for `quiver ui --events DIR`: each file replayed into its own state, re-read when it grows.
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { eventLogFiles, readEventLog } from './event-log.ts';
import { replay } from './state.ts';
import type { UiApp, UiSource } from './ui/server.ts';

interface Loaded { size: number; app: UiApp }

/**
 * A UiSource over the event logs under `path` (a directory or one file). Files are listed on
 * every call, and a file is replayed again when its size changed, so a session still writing
 * its log shows up and grows; a file that cannot be read is named in the error.
 */
export function historySource(path: string): UiSource & { reload(): UiApp[] } {
  const cache = new Map<string, Loaded>();
  const reload = (): UiApp[] => {
    const files = eventLogFiles(path);
    return files.map((file) => {
      const size = statSync(file).size;
      const hit = cache.get(file);
      if (hit && hit.size === size) return hit.app;
      const name = basename(file).replace(/\.jsonl$/, '');
      const app: UiApp = { id: name, name, live: false, state: replay(readEventLog(file)) };
      cache.set(file, { size, app });
      return app;
    });
  };
  return {
    reload,
    apps: reload,
    subscribe: () => () => {},
    // Running tasks of a log that stopped (a crashed session) are drawn up to its last event.
    now: (app) => app.state.last ?? 0,
  };
}
