// Quiver's own log lines and their level (QUIVER_LOG=debug|info|warn|error, default info); lives in gpu-kernels so every layer can use it.

/** From least to most severe; a line is printed when its level is at or above the threshold. */
export enum LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3 }

const NAMES: Record<string, LogLevel> = { debug: LogLevel.Debug, info: LogLevel.Info, warn: LogLevel.Warn, error: LogLevel.Error };

let warnedBad: string | null = null;

/**
 * The threshold: QUIVER_LOG read on every call, so a test or a long-lived process can change it.
 * An unknown value keeps the default (info) and says so once.
 */
export function logLevel(): LogLevel {
  const v = process.env.QUIVER_LOG?.trim().toLowerCase();
  if (!v) return LogLevel.Info;
  const l = NAMES[v];
  if (l !== undefined) return l;
  if (warnedBad !== v) {
    warnedBad = v;
    console.warn(`quiver: QUIVER_LOG=${JSON.stringify(process.env.QUIVER_LOG)} is not a log level; use debug, info, warn or error (using info)`);
  }
  return LogLevel.Info;
}

/**
 * Quiver's progress, info and warning lines. All go to stderr (stdout is the user's: show(), CLI
 * output). Callers keep their own `quiet` option: quiet silences a line whatever the level.
 * User-facing CLI output and the progress bar do not go through here.
 */
export const log = {
  debug(line: string): void { if (logLevel() <= LogLevel.Debug) console.error(line); },
  info(line: string): void { if (logLevel() <= LogLevel.Info) console.error(line); },
  warn(line: string): void { if (logLevel() <= LogLevel.Warn) console.warn(line); },
  error(line: string): void { console.error(line); },
};
