import type { PriceKey, PriceTable } from './prices.js';
import type { LineItem, PricedDesign } from './types.js';

// Binary units, as AWS meters GB and TB.
export const KB = 1024;
export const MB = 1024 ** 2;
export const GB = 1024 ** 3;
export const TB = 1024 ** 4;
export const MILLION = 1e6;

/** Line items of one design, priced from the price table. */
export class Bill {
  readonly items: LineItem[] = [];
  constructor(private readonly prices: PriceTable) {}

  /**
   * `quantity` in the price's unit (`per`); `divisor` converts to it, e.g. 1e6 for per-million prices.
   * `item` names the line when the price's own name would not say which use it is.
   */
  add(key: PriceKey, quantity: number, divisor = 1, item: string = this.prices[key].what): void {
    const p = this.prices[key];
    this.items.push({
      service: p.service,
      item,
      quantity,
      unit: p.per,
      usd: (quantity / divisor) * p.usd,
    });
  }

  addUsd(service: string, item: string, quantity: number, unit: string, usd: number): void {
    this.items.push({ service, item, quantity, unit, usd });
  }

  total(): number {
    return this.items.reduce((s, i) => s + i.usd, 0);
  }

  byService(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const i of this.items) out[i.service] = (out[i.service] ?? 0) + i.usd;
    return out;
  }

  /** A design's monthly cost: this bill's items, their total and their sum per service. */
  designCost<U>(design: string, description: string, usage: U): PricedDesign<U> {
    return {
      design,
      description,
      monthlyUsd: this.total(),
      byService: this.byService(),
      items: this.items,
      usage,
    };
  }
}
