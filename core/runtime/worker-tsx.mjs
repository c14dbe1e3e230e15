// Worker bootstrap when running from TypeScript sources: registers tsx, then loads worker.ts.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./worker.ts');
export default mod.default;
