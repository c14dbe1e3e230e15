// MapBatchesExec: loading the UDF by module and export, schema checks, and the error cases.
import * as arrow from 'apache-arrow';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DataError, PlanError } from '../../ops/errors.ts';
import { MapBatchesExec, type MapBatchesOptions } from '../../ops/map-batches-exec.ts';
import type { FieldJSON } from '../../ops/types.ts';
import { collect, columnValues, makeContext, SourceExec } from './stream-support.ts';

const MODULE = fileURLToPath(new URL('../fixtures/udf/add-column.ts', import.meta.url));
const input = new arrow.Table({ x: arrow.vectorFromArray([1, 2, 3, 4, 5], new arrow.Int32()) });
const X: FieldJSON = { name: 'x', type: 'int32', nullable: true };

function exec(udf: Partial<MapBatchesOptions['udf']>, fields: FieldJSON[] = [X], options: Record<string, unknown> = {}, batches = input.batches) {
  const opts: MapBatchesOptions = { udf: { module: MODULE, export: 'identity', ...udf }, fields, options };
  return new MapBatchesExec(opts, new SourceExec(input.schema, [batches]));
}

async function run(e: MapBatchesExec) {
  return collect(e.execute(0, await makeContext()));
}

describe('MapBatchesExec', () => {
  it('applies the exported function with its options and checks the promised schema', async () => {
    const e = exec({ export: 'addScaled' }, [X, { name: 'scaled', type: 'float64', nullable: false }], { factor: 2.5 });
    const out = await run(e);
    // The UDF's Table marks every column nullable; the output carries the promised schema.
    expect(out[0].schema.fields.map((f) => [f.name, f.nullable])).toEqual([['x', true], ['scaled', false]]);
    expect(columnValues(out, 'scaled')).toEqual([2.5, 5, 7.5, 10, 12.5]);
    expect(e.display()).toBe(`MapBatchesExec: ${MODULE}#addScaled -> [x: int32, scaled: float64]`);
  });

  it('yields the batches of a returned Table (async UDF)', async () => {
    const out = await run(exec({ export: 'splitInTwo' }));
    expect(out.map((b) => b.numRows)).toEqual([2, 3]);
    expect(columnValues(out, 'x')).toEqual([1, 2, 3, 4, 5]);
  });

  it('imports nothing before the first pull and skips empty batches', async () => {
    const { calls } = await import('../fixtures/udf/add-column.ts');
    const before = calls.count;
    const e = exec({ module: '/no/such/module.ts' }, [X], {}, []);
    expect(await run(e)).toEqual([]);
    const empty = input.batches[0].slice(0, 0);
    await run(exec({}, [X], {}, [empty, input.batches[0], empty]));
    expect(calls.count - before).toBe(1);
  });

  it('PlanError naming module and export when the module cannot be imported', async () => {
    const err = await run(exec({ module: '/no/such/module.ts', export: 'f' })).catch((e) => e);
    expect(err).toBeInstanceOf(PlanError);
    expect(err.message).toContain("'/no/such/module.ts'");
    expect(err.message).toContain("'f'");
  });

  it('PlanError for a relative module path, which workers cannot resolve', async () => {
    const err = await run(exec({ module: './add-column.ts' })).catch((e) => e);
    expect(err).toBeInstanceOf(PlanError);
    expect(err.message).toContain('give an absolute path');
  });

  it('PlanError listing the exports when the export is missing', async () => {
    const err = await run(exec({ export: 'nope' })).catch((e) => e);
    expect(err).toBeInstanceOf(PlanError);
    expect(err.message).toMatch(/no export 'nope'.*addScaled.*identity/);
    expect(err.message).toContain(MODULE);
  });

  it('PlanError when the export is not a function', async () => {
    const err = await run(exec({ export: 'notAFunction' })).catch((e) => e);
    expect(err).toBeInstanceOf(PlanError);
    expect(err.message).toContain("'notAFunction'");
    expect(err.message).toContain('is a number, expected a function');
  });

  it('DataError with expected and actual schema when a batch does not match', async () => {
    const err = await run(exec({ export: 'wrongType' })).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain("'wrongType'");
    expect(err.message).toContain('schema [x: utf8], expected [x: int32]');
    const names = await run(exec({ export: 'addScaled' }, [X])).catch((e) => e);
    expect(names).toBeInstanceOf(DataError);
    expect(names.message).toContain('[x: int32, scaled: float64], expected [x: int32]');
  });

  it('DataError when the UDF returns something other than a batch or table', async () => {
    const err = await run(exec({ export: 'returnsNothing' })).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain('returned undefined, expected an arrow RecordBatch or Table');
  });

  it('DataError when a column promised non-nullable holds nulls', async () => {
    const withNull = new arrow.Table({ x: arrow.vectorFromArray([1, null], new arrow.Int32()) });
    const err = await run(exec({}, [{ ...X, nullable: false }], {}, withNull.batches)).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain("nulls in column 'x'");
  });
});
