// Named tables the golden cases query: small, with nulls, duplicates and unicode.
export const datasets: Record<string, Record<string, unknown>[]> = {
  people: [
    { id: 1, name: 'ada', age: 36, city: 'Oslo' },
    { id: 2, name: 'bob', age: null, city: 'Paris' },
    { id: 3, name: 'cy', age: 22, city: null },
    { id: 4, name: 'dee', age: 41, city: 'Oslo' },
    { id: 5, name: 'émile', age: 22, city: 'Paris' },
    { id: 6, name: null, age: 30, city: 'Rome' },
  ],
  orders: [
    { oid: 10, pid: 1, amount: 5.5 },
    { oid: 11, pid: 1, amount: 2.0 },
    { oid: 12, pid: 2, amount: 7.25 },
    { oid: 13, pid: 9, amount: 1.0 },
    { oid: 14, pid: null, amount: 3.0 },
    { oid: 15, pid: 4, amount: null },
  ],
  logs: [
    { line: '2020-06-25T13:44:14, 601844, GET /data/m/toy+story+2+1999/59.mpg' },
    { line: '2020-06-25T13:44:15, 601845, GET /data/m/alien+1979/1.mpg' },
    { line: '2020-06-25T13:44:15, 601844, GET /data/m/toy+story+2+1999/59.mpg' },
    { line: 'short line' },
  ],
};
