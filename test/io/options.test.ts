import { describe, expect, it } from 'vitest';
import { PlanError } from '../../ops/errors.ts';
import { ParseMode, parseReadOptions, parseSchemaOption } from '../../ops/sources/index.ts';

describe('reader options', () => {
  it('fills in defaults', () => {
    const o = parseReadOptions('csv', {});
    expect(o).toMatchObject({ mode: ParseMode.FailFast, header: true, delimiter: 44, quote: 34, nullValue: '', inferRows: 1000, splittable: true, schema: null });
  });

  it('rejects bad values with the option named', () => {
    expect(() => parseReadOptions('csv', { delimiter: ';;' })).toThrow(`option 'delimiter' must be one ASCII character other than a line break, got ";;"`);
    expect(() => parseReadOptions('csv', { delimiter: '"' })).toThrow('the delimiter and the quote must differ');
    expect(() => parseReadOptions('csv', { header: 'yes' })).toThrow(`option 'header' must be true or false, got "yes"`);
    expect(() => parseReadOptions('json', { header: true })).toThrow(`unknown option 'header' for json files; valid options: mode, badRecordsPath, bufferBytes, inferRows, schema, maxRecordBytes`);
    expect(() => parseReadOptions('text', { mode: 'FAILFAST' })).toThrow(PlanError);
  });

  it('accepts the driver-set totalBytes on every format', () => {
    for (const f of ['text', 'csv', 'json', 'arrow', 'parquet'] as const) expect(() => parseReadOptions(f, { totalBytes: 123 })).not.toThrow();
  });
});

describe('schema option', () => {
  it('parses DDL with Quiver and SQL type names, back-quoted names and not null', () => {
    expect(parseSchemaOption('a int32, `b c` string NOT NULL, d bigint,e double , f boolean, g date, h timestamp')).toEqual([
      { name: 'a', type: 'int32', nullable: true }, { name: 'b c', type: 'utf8', nullable: false },
      { name: 'd', type: 'int64', nullable: true }, { name: 'e', type: 'float64', nullable: true },
      { name: 'f', type: 'bool', nullable: true }, { name: 'g', type: 'date32', nullable: true },
      { name: 'h', type: 'timestamp_ms', nullable: true },
    ]);
  });

  it('takes FieldJSON[] and rejects unreadable types, repeats and garbage', () => {
    expect(parseSchemaOption([{ name: 'x', type: 'float32', nullable: false }])).toEqual([{ name: 'x', type: 'float32', nullable: false }]);
    expect(() => parseSchemaOption('a list')).toThrow(`unknown type 'list' for column 'a'`);
    expect(() => parseSchemaOption([{ name: 'a', type: { list: 'int32' }, nullable: true }])).toThrow(`column 'a' has type list<int32>, which text formats cannot hold`);
    expect(() => parseSchemaOption('a int, a int')).toThrow(`declares column 'a' twice`);
    expect(() => parseSchemaOption('a')).toThrow(`cannot read "a"; write 'name type [not null]'`);
    expect(() => parseSchemaOption(42)).toThrow(PlanError);
  });
});
