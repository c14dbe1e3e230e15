// Timeouts that know the process's own pauses: a check long after its interval reports the pause.
import { describe, expect, it, vi } from 'vitest';
import { PauseDetector } from '../../core/cluster/pause.ts';

describe('PauseDetector', () => {
  it('reports nothing for checks on time or a little late, and the pause for one far past its interval', () => {
    vi.useFakeTimers({ now: 1_000 });
    try {
      const p = new PauseDetector(500);
      expect(p.check(1_500)).toBe(0);
      expect(p.check(2_100)).toBe(0); // 100 ms late: a busy loop, not a pause
      expect(p.check(5_600)).toBe(3_000); // 3.5 s after the last check: paused for 3 s
      expect(p.check(6_100)).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
