// Observability's public surface: the event log, the state derived from events, the web UI and history server, metrics, plan events.
export { attachObservability, type Observability, type ObservabilityOptions } from './attach.ts';
export { appendEvent, createEventLogFile, eventLogFiles, readEventLog } from './event-log.ts';
export { applyEvent, emptyState, replay, type ExecutorState, type JobState, type ObsState, type StageState, type TaskAttempt } from './state.ts';
export { explainText, planEvents } from './plan-events.ts';
export { ConsoleProgress } from './progress.ts';
export { renderMetrics } from './metrics.ts';
export { historySource } from './history.ts';
export { startUiServer, type UiApp, type UiServer, type UiServerOptions, type UiSource } from './ui/server.ts';
