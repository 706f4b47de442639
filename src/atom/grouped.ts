/** Anything that carries a `group` label (DESIGN.md §1.6). */
export interface Grouped {
  group?: string | undefined;
}

/**
 * A component that owns a helper gives it the component's group when the
 * helper has none; a helper that already has a group keeps it.
 */
export function adoptGroup<H extends Grouped>(helper: H, group: string | undefined): H {
  if (group !== undefined && helper.group === undefined) helper.group = group;
  return helper;
}
