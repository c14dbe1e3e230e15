// Image scans as executors see them: the stage plan passes the stage schema unchanged and runs from its JSON, and the plan guard checks every file of a split.
import type * as arrow from 'apache-arrow';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { checkStage, realPathOf, type ExecutorPolicy } from '../../core/cluster/plan-guard.ts';
import { decodeStage } from '../../core/cluster/stage-schema.ts';
import { buildExec } from '../../core/physical/build-exec.ts';
import type { Stage } from '../../core/physical/phys-node.ts';
import { testContext } from './helpers.ts';

const root = realPathOf(mkdtempSync(join(tmpdir(), 'quiver-images-guard-')));
const data = join(root, 'data');
const N = 70;
const policy: ExecutorPolicy = { executorId: 'e-00000000', readRoots: [data], udfRoots: [] };

describe('images scan in cluster plans', () => {
  let q: Quiver;
  let stage: Stage;

  beforeAll(async () => {
    mkdirSync(data);
    for (let i = 0; i < N; i++) {
      const png = await sharp(Buffer.from([i, 255 - i, 3, 4]), { raw: { width: 2, height: 2, channels: 1 } }).toColourspace('b-w').png().toBuffer();
      writeFileSync(join(data, `${String(i).padStart(3, '0')}.png`), png);
    }
    q = await Quiver.local({ workers: 2, ui: false, quiet: true });
    const df = q.read.images(data, { size: [2, 2], channels: 1, mode: 'permissive', badRecordsPath: join(data, 'bad') });
    const { physical } = await q.session.physical(df.plan);
    expect(physical.stages.length).toBe(1);
    stage = physical.stages[0];
  });
  afterAll(async () => { await q?.close(); });

  it('passes the stage schema unchanged and reads the same rows from its JSON', async () => {
    const d = decodeStage(JSON.stringify(stage));
    expect(d.ok ? d.stage : d.reason).toEqual(JSON.parse(JSON.stringify(stage)));
    if (!d.ok) return;
    const root0 = d.stage.root as Extract<Stage['root'], { op: 'scan' }>;
    expect(root0.format).toBe('images');
    expect(root0.splits.length).toBe(2);
    expect(root0.splits.flatMap((s) => s.files as string[]).length).toBe(N);
    const exec = buildExec(d.stage.root);
    const seen: number[] = [];
    for (let p = 0; p < root0.splits.length; p++) {
      for await (const b of exec.execute(p, await testContext({ partition: p }))) {
        const img = b.getChild('image')!;
        for (let i = 0; i < b.numRows; i++) seen.push(((img.get(i) as arrow.Vector).toArray() as Uint8Array)[0]);
      }
    }
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('the guard accepts files under --paths and refuses any file of a split outside them', () => {
    for (let p = 0; p < 2; p++) expect(() => checkStage(stage, p, policy)).not.toThrow();
    const tampered = (f: (split: { files: string[] }) => void, split = 1, partition = split) => {
      const s = JSON.parse(JSON.stringify(stage));
      f(s.root.splits[split]);
      const d = decodeStage(JSON.stringify(s));
      if (!d.ok) throw new Error(d.reason);
      return () => checkStage(d.stage, partition, policy);
    };
    // One file among many, not the split's first (path): still checked.
    expect(tampered((s) => { s.files[5] = '/etc/passwd'; })).toThrow(/executor e-00000000 refuses to read '\/etc\/passwd': it reads only under .*data \(--paths\)/);
    expect(tampered((s) => { s.files.push(`${data}/../elsewhere.png`); })).toThrow(/refuses to read '.*\/data\/\.\.\/elsewhere\.png'/);
    expect(tampered((s) => { s.files[0] = 'relative.png'; })).toThrow(/plans name files by absolute path/);
    // Each task checks its own split: another executor may hold the other files.
    expect(tampered((s) => { s.files[5] = '/etc/passwd'; }, 0)).toThrow(/\/etc\/passwd/);
    expect(tampered((s) => { s.files[5] = '/etc/passwd'; }, 0, 1)).not.toThrow();
    const s = JSON.parse(JSON.stringify(stage));
    s.root.splits[1].files = [];
    expect(decodeStage(JSON.stringify(s))).toMatchObject({ ok: false, reason: expect.stringMatching(/root\.splits\.1\.files/) });
    s.root.splits[1].files = 'a.png';
    expect(decodeStage(JSON.stringify(s))).toMatchObject({ ok: false, reason: expect.stringMatching(/root\.splits\.1\.files/) });
    // Bad records are written under --paths only.
    const out = JSON.parse(JSON.stringify(stage));
    out.root.options.badRecordsPath = join(root, 'quarantine');
    const d = decodeStage(JSON.stringify(out));
    expect(d.ok && (() => checkStage(d.stage, 0, policy))).toThrow(/refuses to write bad records under/);
  });
});
