/** /metrics read with a real Prometheus text-format parser (parse-prometheus-text-format), not regexes. */
import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";

interface Family {
  name: string;
  type: string;
  metrics: Array<{
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }>;
}

export class Metrics {
  readonly families: Family[];
  constructor(text: string) {
    this.families = parsePrometheusTextFormat(text) as Family[];
  }

  family(name: string): Family {
    const f = this.families.find((x) => x.name === name);
    assert.ok(f, `no metric family ${name} in ${this.families.map((x) => x.name).join(", ")}`);
    return f;
  }

  /** The value of the one sample of `name` whose labels include `labels`. */
  value(name: string, labels: Record<string, string> = {}): number {
    const f = this.family(name);
    const m = f.metrics.filter((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
    assert.equal(m.length, 1, `${name}${JSON.stringify(labels)}: ${m.length} samples`);
    return Number(m[0]?.value);
  }

  histogram(name: string): { buckets: Record<string, number>; count: number; sum: number } {
    const f = this.family(name);
    assert.equal(f.type, "HISTOGRAM");
    const h = f.metrics[0];
    assert.ok(h?.buckets);
    return {
      buckets: Object.fromEntries(Object.entries(h.buckets).map(([le, n]) => [le, Number(n)])),
      count: Number(h.count),
      sum: Number(h.sum),
    };
  }
}
