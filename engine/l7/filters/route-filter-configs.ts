/**
 * A route's configured filters: the listener's, each replaced by the route's entry of its type, then
 * the route's others. Pure and typed only by `type`, so the configuration's checks (which see
 * entries not yet validated) and the chain compiler share it.
 */
export function routeFilterConfigs<C extends { readonly type: string }>(listener: readonly C[], route: readonly C[]): C[] {
  const byType = new Map(route.map((c) => [c.type, c]))
  const merged = listener.map((c) => byType.get(c.type) ?? c)
  const inherited = new Set(listener.map((c) => c.type))
  return [...merged, ...route.filter((c) => !inherited.has(c.type))]
}
