// Inference thread bootstrap when running from TypeScript sources: registers tsx, then loads inference-thread.ts.
import { register } from 'tsx/esm/api';

register();
await import('./inference-thread.ts');
