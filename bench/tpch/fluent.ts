// The 22 TPC-H queries in the fluent DataFrame API, with the specification's validation parameters.
//
// Written as a Spark DataFrame user writes them: correlated subqueries become joins (semi and
// anti joins for EXISTS, IN and NOT IN; a grouped aggregate joined back for a per-key scalar),
// an uncorrelated scalar subquery a one-row aggregate joined with crossJoin. Column names follow
// the SQL texts in test/fixtures/tpch where the SQL names them.
import { join } from 'node:path';
import { col, fn, lit, when, type DataFrame, type Expr, type Quiver } from '../../core/index.ts';

/** The eight TPC-H tables. */
export interface Tables {
  readonly lineitem: DataFrame;
  readonly orders: DataFrame;
  readonly partsupp: DataFrame;
  readonly part: DataFrame;
  readonly customer: DataFrame;
  readonly supplier: DataFrame;
  readonly nation: DataFrame;
  readonly region: DataFrame;
}

export const TABLE_NAMES = ['lineitem', 'orders', 'partsupp', 'part', 'customer', 'supplier', 'nation', 'region'] as const;

/** The tables read from `<dir>/<table>.parquet`, one file per table. */
export function parquetTables(q: Quiver, dir: string): Tables {
  const t = Object.fromEntries(TABLE_NAMES.map((name) => [name, q.read.parquet(join(dir, `${name}.parquet`))]));
  return t as unknown as Tables;
}

const date = fn.date;
/** `l_extendedprice * (1 - l_discount)`: a line's revenue after discount. */
const discounted = (): Expr => col('l_extendedprice').mul(lit(1).sub(col('l_discount')));
/** `c >= start and c < start + n unit`: the half-open date ranges of the spec. */
const inPeriod = (c: string, start: string, n: number, unit: 'month' | 'year'): Expr =>
  col(c).gte(date(start)).and(col(c).lt(date(start).add(fn.interval(n, unit))));

/** Q1, pricing summary report (DELTA = 90). */
function q01({ lineitem }: Tables): DataFrame {
  return lineitem
    .filter(col('l_shipdate').lte(date('1998-12-01').sub(fn.interval(90, 'day'))))
    .groupBy('l_returnflag', 'l_linestatus')
    .agg(
      fn.sum('l_quantity').alias('sum_qty'),
      fn.sum('l_extendedprice').alias('sum_base_price'),
      fn.sum(discounted()).alias('sum_disc_price'),
      fn.sum(discounted().mul(lit(1).add(col('l_tax')))).alias('sum_charge'),
      fn.avg('l_quantity').alias('avg_qty'),
      fn.avg('l_extendedprice').alias('avg_price'),
      fn.avg('l_discount').alias('avg_disc'),
      fn.count().alias('count_order'),
    )
    .orderBy('l_returnflag', 'l_linestatus');
}

/** Q2, minimum cost supplier (SIZE = 15, TYPE = BRASS, REGION = EUROPE). */
function q02({ part, supplier, partsupp, nation, region }: Tables): DataFrame {
  const europe = region.filter(col('r_name').eq('EUROPE'))
    .join(nation, col('r_regionkey').eq(col('n_regionkey')))
    .join(supplier, col('n_nationkey').eq(col('s_nationkey')))
    .join(partsupp, col('s_suppkey').eq(col('ps_suppkey')));
  const brass = part.filter(col('p_size').eq(15).and(col('p_type').like('%BRASS')))
    .join(europe, col('p_partkey').eq(col('ps_partkey')));
  // The correlated min(ps_supplycost) per part, over the same European suppliers.
  const cheapest = brass.groupBy('ps_partkey').agg(fn.min('ps_supplycost').alias('min_supplycost'));
  return brass.join(cheapest, 'ps_partkey')
    .filter(col('ps_supplycost').eq(col('min_supplycost')))
    .select('s_acctbal', 's_name', 'n_name', 'p_partkey', 'p_mfgr', 's_address', 's_phone', 's_comment')
    .orderBy(col('s_acctbal').desc(), 'n_name', 's_name', 'p_partkey')
    .limit(100);
}

/** Q3, shipping priority (SEGMENT = BUILDING, DATE = 1995-03-15). */
function q03({ customer, orders, lineitem }: Tables): DataFrame {
  return customer.filter(col('c_mktsegment').eq('BUILDING'))
    .join(orders.filter(col('o_orderdate').lt(date('1995-03-15'))), col('c_custkey').eq(col('o_custkey')))
    .join(lineitem.filter(col('l_shipdate').gt(date('1995-03-15'))), col('o_orderkey').eq(col('l_orderkey')))
    .groupBy('l_orderkey', 'o_orderdate', 'o_shippriority')
    .agg(fn.sum(discounted()).alias('revenue'))
    .select('l_orderkey', 'revenue', 'o_orderdate', 'o_shippriority')
    .orderBy(col('revenue').desc(), 'o_orderdate')
    .limit(10);
}

/** Q4, order priority checking (DATE = 1993-07-01): EXISTS as a semi join. */
function q04({ orders, lineitem }: Tables): DataFrame {
  const late = lineitem.filter(col('l_commitdate').lt(col('l_receiptdate')));
  return orders.filter(inPeriod('o_orderdate', '1993-07-01', 3, 'month'))
    .join(late, col('o_orderkey').eq(col('l_orderkey')), 'semi')
    .groupBy('o_orderpriority')
    .agg(fn.count().alias('order_count'))
    .orderBy('o_orderpriority');
}

/** Q5, local supplier volume (REGION = ASIA, DATE = 1994-01-01). */
function q05({ customer, orders, lineitem, supplier, nation, region }: Tables): DataFrame {
  const asia = region.filter(col('r_name').eq('ASIA'))
    .join(nation, col('r_regionkey').eq(col('n_regionkey')))
    .join(supplier, col('n_nationkey').eq(col('s_nationkey')));
  return lineitem
    .join(asia, col('l_suppkey').eq(col('s_suppkey')))
    .join(orders.filter(inPeriod('o_orderdate', '1994-01-01', 1, 'year')), col('l_orderkey').eq(col('o_orderkey')))
    .join(customer, col('o_custkey').eq(col('c_custkey')).and(col('c_nationkey').eq(col('s_nationkey'))))
    .groupBy('n_name')
    .agg(fn.sum(discounted()).alias('revenue'))
    .orderBy(col('revenue').desc());
}

/** Q6, forecasting revenue change (DATE = 1994-01-01, DISCOUNT = 0.06, QUANTITY = 24). */
function q06({ lineitem }: Tables): DataFrame {
  // 0.06 ± 0.01 written out: in doubles 0.06 - 0.01 is 0.049999999999999996, not SQL's decimal 0.05.
  return lineitem
    .filter(inPeriod('l_shipdate', '1994-01-01', 1, 'year')
      .and(col('l_discount').between(0.05, 0.07))
      .and(col('l_quantity').lt(24)))
    .agg(fn.sum(col('l_extendedprice').mul(col('l_discount'))).alias('revenue'));
}

/** Q7, volume shipping (NATION1 = FRANCE, NATION2 = GERMANY). */
function q07({ supplier, lineitem, orders, customer, nation }: Tables): DataFrame {
  const pair = nation.filter(col('n_name').isin('FRANCE', 'GERMANY'));
  const shipped = pair.select(col('n_name').alias('supp_nation'), col('n_nationkey').alias('supp_nationkey'))
    .join(supplier, col('supp_nationkey').eq(col('s_nationkey')))
    .join(lineitem.filter(col('l_shipdate').between(date('1995-01-01'), date('1996-12-31'))), col('s_suppkey').eq(col('l_suppkey')));
  const bought = pair.select(col('n_name').alias('cust_nation'), col('n_nationkey').alias('cust_nationkey'))
    .join(customer, col('cust_nationkey').eq(col('c_nationkey')))
    .join(orders, col('c_custkey').eq(col('o_custkey')));
  return shipped.join(bought, col('l_orderkey').eq(col('o_orderkey')))
    .filter(col('supp_nation').eq('FRANCE').and(col('cust_nation').eq('GERMANY'))
      .or(col('supp_nation').eq('GERMANY').and(col('cust_nation').eq('FRANCE'))))
    .select('supp_nation', 'cust_nation', fn.year('l_shipdate').alias('l_year'), discounted().alias('volume'))
    .groupBy('supp_nation', 'cust_nation', 'l_year')
    .agg(fn.sum('volume').alias('revenue'))
    .orderBy('supp_nation', 'cust_nation', 'l_year');
}

/** Q8, national market share (NATION = BRAZIL, REGION = AMERICA, TYPE = ECONOMY ANODIZED STEEL). */
function q08({ part, supplier, lineitem, orders, customer, nation, region }: Tables): DataFrame {
  return part.filter(col('p_type').eq('ECONOMY ANODIZED STEEL'))
    .join(lineitem, col('p_partkey').eq(col('l_partkey')))
    .join(supplier, col('l_suppkey').eq(col('s_suppkey')))
    .join(orders.filter(col('o_orderdate').between(date('1995-01-01'), date('1996-12-31'))), col('l_orderkey').eq(col('o_orderkey')))
    .join(customer, col('o_custkey').eq(col('c_custkey')))
    .join(nation.alias('n1'), col('c_nationkey').eq(col('n1.n_nationkey')))
    .join(region.filter(col('r_name').eq('AMERICA')), col('n1.n_regionkey').eq(col('r_regionkey')))
    .join(nation.alias('n2'), col('s_nationkey').eq(col('n2.n_nationkey')))
    .select(fn.year('o_orderdate').alias('o_year'), discounted().alias('volume'), col('n2.n_name').alias('nation'))
    .groupBy('o_year')
    .agg(fn.sum(when(col('nation').eq('BRAZIL'), col('volume')).otherwise(0)).div(fn.sum('volume')).alias('mkt_share'))
    .orderBy('o_year');
}

/** Q9, product type profit measure (COLOR = green). */
function q09({ part, supplier, lineitem, partsupp, orders, nation }: Tables): DataFrame {
  return part.filter(col('p_name').like('%green%'))
    .join(lineitem, col('p_partkey').eq(col('l_partkey')))
    .join(supplier, col('l_suppkey').eq(col('s_suppkey')))
    .join(partsupp, col('l_suppkey').eq(col('ps_suppkey')).and(col('l_partkey').eq(col('ps_partkey'))))
    .join(orders, col('l_orderkey').eq(col('o_orderkey')))
    .join(nation, col('s_nationkey').eq(col('n_nationkey')))
    .select(
      col('n_name').alias('nation'),
      fn.year('o_orderdate').alias('o_year'),
      discounted().sub(col('ps_supplycost').mul(col('l_quantity'))).alias('amount'),
    )
    .groupBy('nation', 'o_year')
    .agg(fn.sum('amount').alias('sum_profit'))
    .orderBy('nation', col('o_year').desc());
}

/** Q10, returned item reporting (DATE = 1993-10-01). */
function q10({ customer, orders, lineitem, nation }: Tables): DataFrame {
  return customer
    .join(orders.filter(inPeriod('o_orderdate', '1993-10-01', 3, 'month')), col('c_custkey').eq(col('o_custkey')))
    .join(lineitem.filter(col('l_returnflag').eq('R')), col('o_orderkey').eq(col('l_orderkey')))
    .join(nation, col('c_nationkey').eq(col('n_nationkey')))
    .groupBy('c_custkey', 'c_name', 'c_acctbal', 'c_phone', 'n_name', 'c_address', 'c_comment')
    .agg(fn.sum(discounted()).alias('revenue'))
    .select('c_custkey', 'c_name', 'revenue', 'c_acctbal', 'n_name', 'c_address', 'c_phone', 'c_comment')
    .orderBy(col('revenue').desc())
    .limit(20);
}

/** Q11, important stock identification (NATION = GERMANY, FRACTION = 0.0001). */
function q11({ partsupp, supplier, nation }: Tables): DataFrame {
  const german = partsupp
    .join(supplier, col('ps_suppkey').eq(col('s_suppkey')))
    .join(nation.filter(col('n_name').eq('GERMANY')), col('s_nationkey').eq(col('n_nationkey')))
    .select('ps_partkey', col('ps_supplycost').mul(col('ps_availqty')).alias('stock'));
  const threshold = german.agg(fn.sum('stock').mul(0.0001).alias('threshold'));
  return german.groupBy('ps_partkey')
    .agg(fn.sum('stock').alias('value'))
    .crossJoin(threshold)
    .filter(col('value').gt(col('threshold')))
    .select('ps_partkey', 'value')
    .orderBy(col('value').desc());
}

/** Q12, shipping modes and order priority (SHIPMODE1 = MAIL, SHIPMODE2 = SHIP, DATE = 1994-01-01). */
function q12({ orders, lineitem }: Tables): DataFrame {
  const high = col('o_orderpriority').isin('1-URGENT', '2-HIGH');
  return lineitem
    .filter(col('l_shipmode').isin('MAIL', 'SHIP')
      .and(col('l_commitdate').lt(col('l_receiptdate')))
      .and(col('l_shipdate').lt(col('l_commitdate')))
      .and(inPeriod('l_receiptdate', '1994-01-01', 1, 'year')))
    .join(orders, col('l_orderkey').eq(col('o_orderkey')))
    .groupBy('l_shipmode')
    .agg(
      fn.sum(when(high, 1).otherwise(0)).alias('high_line_count'),
      fn.sum(when(high.not(), 1).otherwise(0)).alias('low_line_count'),
    )
    .orderBy('l_shipmode');
}

/** Q13, customer distribution (WORD1 = special, WORD2 = requests). */
function q13({ customer, orders }: Tables): DataFrame {
  // The ON condition's `o_comment not like` belongs to the outer join: orders are filtered first.
  const plain = orders.filter(col('o_comment').like('%special%requests%').not());
  return customer
    .join(plain, col('c_custkey').eq(col('o_custkey')), 'left')
    .groupBy('c_custkey')
    .agg(fn.count('o_orderkey').alias('c_count'))
    .groupBy('c_count')
    .agg(fn.count().alias('custdist'))
    .orderBy(col('custdist').desc(), col('c_count').desc());
}

/** Q14, promotion effect (DATE = 1995-09-01). */
function q14({ lineitem, part }: Tables): DataFrame {
  return lineitem.filter(inPeriod('l_shipdate', '1995-09-01', 1, 'month'))
    .join(part, col('l_partkey').eq(col('p_partkey')))
    .agg(lit(100.0).mul(fn.sum(when(col('p_type').like('PROMO%'), discounted()).otherwise(0))).div(fn.sum(discounted())).alias('promo_revenue'));
}

/** Q15, top supplier (DATE = 1996-01-01): the view revenue0, and its max joined back. */
function q15({ lineitem, supplier }: Tables): DataFrame {
  const revenue = lineitem.filter(inPeriod('l_shipdate', '1996-01-01', 3, 'month'))
    .groupBy(col('l_suppkey').alias('supplier_no'))
    .agg(fn.sum(discounted()).alias('total_revenue'));
  const top = revenue.agg(fn.max('total_revenue').alias('max_revenue'));
  return supplier
    .join(revenue, col('s_suppkey').eq(col('supplier_no')))
    .join(top, col('total_revenue').eq(col('max_revenue')))
    .select('s_suppkey', 's_name', 's_address', 's_phone', 'total_revenue')
    .orderBy('s_suppkey');
}

/** Q16, parts/supplier relationship (BRAND = Brand#45, TYPE = MEDIUM POLISHED, SIZES = 49, 14, 23, 45, 19, 3, 36, 9). */
function q16({ partsupp, part, supplier }: Tables): DataFrame {
  // NOT IN as an anti join: s_suppkey is never null.
  const complained = supplier.filter(col('s_comment').like('%Customer%Complaints%'));
  return partsupp
    .join(complained, col('ps_suppkey').eq(col('s_suppkey')), 'anti')
    .join(part.filter(col('p_brand').neq('Brand#45')
      .and(col('p_type').like('MEDIUM POLISHED%').not())
      .and(col('p_size').isin(49, 14, 23, 45, 19, 3, 36, 9))), col('ps_partkey').eq(col('p_partkey')))
    .groupBy('p_brand', 'p_type', 'p_size')
    .agg(fn.countDistinct('ps_suppkey').alias('supplier_cnt'))
    .orderBy(col('supplier_cnt').desc(), 'p_brand', 'p_type', 'p_size');
}

/** Q17, small-quantity-order revenue (BRAND = Brand#23, CONTAINER = MED BOX). */
function q17({ lineitem, part }: Tables): DataFrame {
  const lines = part.filter(col('p_brand').eq('Brand#23').and(col('p_container').eq('MED BOX')))
    .join(lineitem, col('p_partkey').eq(col('l_partkey')));
  // The correlated 0.2 * avg(l_quantity) per part, grouped once and joined back.
  const limits = lines.groupBy('p_partkey').agg(fn.avg('l_quantity').mul(0.2).alias('qty_limit'));
  return lines.join(limits, 'p_partkey')
    .filter(col('l_quantity').lt(col('qty_limit')))
    .agg(fn.sum('l_extendedprice').div(7.0).alias('avg_yearly'));
}

/** Q18, large volume customer (QUANTITY = 300). */
function q18({ customer, orders, lineitem }: Tables): DataFrame {
  const large = lineitem.groupBy('l_orderkey')
    .agg(fn.sum('l_quantity').alias('order_qty'))
    .filter(col('order_qty').gt(300));
  return orders
    .join(large, col('o_orderkey').eq(col('l_orderkey')), 'semi')
    .join(customer, col('o_custkey').eq(col('c_custkey')))
    .join(lineitem, col('o_orderkey').eq(col('l_orderkey')))
    .groupBy('c_name', 'c_custkey', 'o_orderkey', 'o_orderdate', 'o_totalprice')
    .sum('l_quantity')
    .orderBy(col('o_totalprice').desc(), 'o_orderdate')
    .limit(100);
}

/** Q19, discounted revenue (QUANTITY1..3 = 1, 10, 20; BRAND1..3 = Brand#12, Brand#23, Brand#34). */
function q19({ lineitem, part }: Tables): DataFrame {
  const kind = (brand: string, containers: string[], qty: number, maxSize: number): Expr =>
    col('p_brand').eq(brand)
      .and(col('p_container').isin(containers))
      .and(col('l_quantity').between(qty, qty + 10))
      .and(col('p_size').between(1, maxSize));
  return lineitem
    .filter(col('l_shipmode').isin('AIR', 'AIR REG').and(col('l_shipinstruct').eq('DELIVER IN PERSON')))
    .join(part, col('l_partkey').eq(col('p_partkey')).and(
      kind('Brand#12', ['SM CASE', 'SM BOX', 'SM PACK', 'SM PKG'], 1, 5)
        .or(kind('Brand#23', ['MED BAG', 'MED BOX', 'MED PKG', 'MED PACK'], 10, 10))
        .or(kind('Brand#34', ['LG CASE', 'LG BOX', 'LG PACK', 'LG PKG'], 20, 15))))
    .agg(fn.sum(discounted()).alias('revenue'));
}

/** Q20, potential part promotion (COLOR = forest, DATE = 1994-01-01, NATION = CANADA). */
function q20({ supplier, nation, partsupp, part, lineitem }: Tables): DataFrame {
  // The correlated 0.5 * sum(l_quantity) per (part, supplier); a pair that shipped nothing has
  // a null subquery, which no ps_availqty exceeds: the inner join drops it as SQL does.
  const shipped = lineitem.filter(inPeriod('l_shipdate', '1994-01-01', 1, 'year'))
    .groupBy('l_partkey', 'l_suppkey')
    .agg(fn.sum('l_quantity').mul(0.5).alias('half_qty'));
  const excess = partsupp
    .join(part.filter(col('p_name').like('forest%')), col('ps_partkey').eq(col('p_partkey')), 'semi')
    .join(shipped, col('ps_partkey').eq(col('l_partkey'))
      .and(col('ps_suppkey').eq(col('l_suppkey')))
      .and(col('ps_availqty').gt(col('half_qty'))));
  return supplier
    .join(nation.filter(col('n_name').eq('CANADA')), col('s_nationkey').eq(col('n_nationkey')))
    .join(excess, col('s_suppkey').eq(col('ps_suppkey')), 'semi')
    .select('s_name', 's_address')
    .orderBy('s_name');
}

/** Q21, suppliers who kept orders waiting (NATION = SAUDI ARABIA). */
function q21({ supplier, lineitem, orders, nation }: Tables): DataFrame {
  const late = (l: DataFrame) => l.filter(col('l_receiptdate').gt(col('l_commitdate')));
  return supplier
    .join(nation.filter(col('n_name').eq('SAUDI ARABIA')), col('s_nationkey').eq(col('n_nationkey')))
    .join(late(lineitem).alias('l1'), col('s_suppkey').eq(col('l1.l_suppkey')))
    .join(orders.filter(col('o_orderstatus').eq('F')), col('l1.l_orderkey').eq(col('o_orderkey')))
    // exists: another supplier on the order; not exists: another supplier on it was late too.
    .join(lineitem.alias('l2'), col('l2.l_orderkey').eq(col('l1.l_orderkey')).and(col('l2.l_suppkey').neq(col('l1.l_suppkey'))), 'semi')
    .join(late(lineitem).alias('l3'), col('l3.l_orderkey').eq(col('l1.l_orderkey')).and(col('l3.l_suppkey').neq(col('l1.l_suppkey'))), 'anti')
    .groupBy('s_name')
    .agg(fn.count().alias('numwait'))
    .orderBy(col('numwait').desc(), 's_name')
    .limit(100);
}

/** Q22, global sales opportunity (I1..I7 = 13, 31, 23, 29, 30, 18, 17). */
function q22({ customer, orders }: Tables): DataFrame {
  const prospects = customer
    .select(col('c_phone').substr(1, 2).alias('cntrycode'), 'c_acctbal', 'c_custkey')
    .filter(col('cntrycode').isin('13', '31', '23', '29', '30', '18', '17'));
  const average = prospects.filter(col('c_acctbal').gt(0)).agg(fn.avg('c_acctbal').alias('avg_acctbal'));
  return prospects
    .crossJoin(average)
    .filter(col('c_acctbal').gt(col('avg_acctbal')))
    .join(orders, col('c_custkey').eq(col('o_custkey')), 'anti')
    .groupBy('cntrycode')
    .agg(fn.count().alias('numcust'), fn.sum('c_acctbal').alias('totacctbal'))
    .orderBy('cntrycode');
}

/** The queries by name, q01 ... q22. */
export const queries: Readonly<Record<string, (t: Tables) => DataFrame>> = Object.freeze({
  q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15, q16, q17, q18, q19, q20, q21, q22,
});
