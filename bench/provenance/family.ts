/**
 * Which bench items are related: every item carries the photos it comes from
 * (`family`: its own photo, plus the donor of an overlay or splice; a negative
 * number for a distractor), and two items are related when they share one.
 * One rule for every provenance bench that counts false positives.
 */
export interface InFamily {
  family: readonly number[];
}

export function related(a: InFamily, b: InFamily): boolean {
  return a.family.some((f) => b.family.includes(f));
}

/** Index pairs (i < j) of the unrelated items: what a false positive is counted over. */
export function* unrelatedPairs(items: readonly InFamily[]): Generator<[number, number]> {
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) if (!related(items[i]!, items[j]!)) yield [i, j];
  }
}
