// planToString: the text form of a logical plan that explain() prints, one node per line.
import { assertNever } from '../../ops/errors.ts';
import { exprToString, transformExpr, windowExprBrief, type ExprNode } from '../../ops/expr/node.ts';
import { qualifiedName } from '../plan/resolve.ts';
import { planChildren, type LogicalPlan } from '../plan/node.ts';

const MAX_PATHS = 3;

const list = (es: readonly ExprNode[]): string => es.map(exprToString).join(', ');

/** One line describing `node` alone (no children), e.g. `Filter: (a > 1)`. */
export function nodeToString(node: LogicalPlan): string {
  switch (node.kind) {
    case 'scan': {
      const paths = node.source.paths;
      const shown = paths.slice(0, MAX_PATHS).join(', ') + (paths.length > MAX_PATHS ? `, ... (${paths.length} files)` : '');
      let s = `Scan: ${node.source.format} [${shown}]`;
      if (node.projection !== null) s += ` projection=[${node.projection.join(', ')}]`;
      if (node.filters.length) s += ` filters=[${list(node.filters)}]`;
      if (node.limit !== null) s += ` limit=${node.limit}`;
      return s;
    }
    case 'streamScan': return `StreamScan: ${node.source.format} (${node.id}) [${node.schema.map((f) => f.name).join(', ')}]`;
    case 'values':
      return `Values: ${node.id} [${node.schema.map((f) => f.name).join(', ')}] rows=${node.rows} partitions=${node.partitions}`;
    case 'project': return `Project: ${list(node.exprs)}`;
    case 'filter': return `Filter: ${exprToString(node.predicate)}`;
    case 'aggregate': return `Aggregate: groupBy=[${list(node.groupBy)}] aggs=[${list(node.aggs)}]`;
    case 'join': {
      // Keys are over each input's names: an aliased input's are shown qualified (n1.x = n2.x).
      const side = (k: ExprNode, fields: LogicalPlan['schema']) => exprToString(qualified(k, fields));
      const keys = node.leftKeys.length ? `on [${node.leftKeys.map((k, i) => `${side(k, node.left.schema)} = ${side(node.rightKeys[i], node.right.schema)}`).join(', ')}]` : '';
      const on = node.using ? `using [${list(node.leftKeys)}]` : keys;
      const cond = [on, node.filter ? `filter=${exprToString(node.filter)}` : ''].filter((x) => x !== '').join(' ');
      return `Join: ${node.how} ${cond === '' ? 'cross' : cond} strategy=${node.strategy}`;
    }
    case 'subqueryAlias': return `SubqueryAlias: ${node.alias}`;
    case 'sort': return `Sort: ${list(node.keys)}`;
    case 'window': return `Window: partitionBy=[${list(node.partitionBy)}] orderBy=[${list(node.orderBy)}] [${node.exprs.map(windowExprBrief).join(', ')}]`;
    case 'limit': return `Limit: ${node.n}${node.offset ? ` offset=${node.offset}` : ''}`;
    case 'distinct': return 'Distinct';
    case 'union': return 'Union';
    case 'repartition': return `Repartition: ${node.n}${node.keys.length ? ` by [${list(node.keys)}]` : ' round-robin'}`;
    case 'mapBatches': return `MapBatches: ${node.udf.module}#${node.udf.export} -> [${node.schema.map((f) => f.name).join(', ')}]`;
    case 'cache': return `Cache: ${node.name} (${node.id})`;
    case 'sample': return `Sample: fraction=${node.fraction} withReplacement=${node.withReplacement} seed=${node.seed}`;
    case 'generate': {
      const f = `${node.posName !== null ? 'pos' : ''}explode${node.outer ? 'Outer' : ''}`;
      return `Generate: ${f}(${exprToString(node.arg)}) -> [${[node.posName, node.colName, node.valueName].filter((x) => x !== null).join(', ')}]`;
    }
    case 'watermark': return `EventTimeWatermark: ${node.column}, delay ${node.delayMs} ms`;
    case 'predict': {
      const s = node.spec;
      return `Predict: model=${s.modelName} (sha256 ${s.modelSha256.slice(0, 12)}) input=${s.inputCol} device=${s.device} batchSize=${s.batchSize}${s.topK ? ` topK=${s.topK}` : ''}${s.outputs?.length ? ` outputs=[${s.outputs.map((o) => o.name).join(', ')}]` : ''}`;
    }
    default: return assertNever(node, 'plan node');
  }
}

/** `e` with each column of a qualified field written `qualifier.name`. */
function qualified(e: ExprNode, fields: LogicalPlan['schema']): ExprNode {
  return transformExpr(e, (n) => {
    if (n.kind !== 'column') return n;
    const f = fields.find((x) => x.name === n.name);
    return f?.qualifier === undefined ? n : { kind: 'column', name: qualifiedName(f) };
  });
}

/** The whole tree, children indented two spaces under their parent. */
export function planToString(plan: LogicalPlan): string {
  const lines: string[] = [];
  const walk = (n: LogicalPlan, depth: number): void => {
    lines.push('  '.repeat(depth) + nodeToString(n));
    for (const c of planChildren(n)) walk(c, depth + 1);
  };
  walk(plan, 0);
  return lines.join('\n');
}
