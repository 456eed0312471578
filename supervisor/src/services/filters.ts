// Container list filters: each filter is a comma-separated list of conditions that must all hold; a container is
// listed when any filter matches. Conditions: id==X, id!=X, labels.K==V, labels.K!=V, labels.K (present).
import { invalid } from '../errors.js';

interface Condition {
  field: 'id' | 'label';
  key: string;
  op: '==' | '!=' | 'present';
  value: string;
}

export interface Filterable {
  id: string;
  labels: Record<string, string>;
}

function parseCondition(text: string, filter: string): Condition {
  const m = /^(id|labels\.([^=!,]+))(?:(==|!=)(.*))?$/.exec(text.trim());
  if (!m) throw invalid(`filter "${filter}": cannot parse "${text}" (use id==X, id!=X, labels.K==V, labels.K!=V or labels.K)`);
  const field = m[1] === 'id' ? 'id' : 'label';
  const op = (m[3] as '==' | '!=' | undefined) ?? 'present';
  if (field === 'id' && op === 'present') throw invalid(`filter "${filter}": id needs == or !=`);
  return { field, key: m[2] ?? '', op, value: m[4] ?? '' };
}

export function parseFilters(filters: readonly string[]): Condition[][] {
  return filters.map((f) => f.split(',').map((c) => parseCondition(c, f)));
}

function holds(c: Condition, obj: Filterable): boolean {
  const actual = c.field === 'id' ? obj.id : obj.labels[c.key];
  if (c.op === 'present') return actual !== undefined;
  return c.op === '==' ? actual === c.value : actual !== c.value;
}

export function matches(parsed: Condition[][], obj: Filterable): boolean {
  return parsed.length === 0 || parsed.some((all) => all.every((c) => holds(c, obj)));
}
