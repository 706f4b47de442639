export {
  FAMILIES,
  LAYERS,
  ROLES,
  type Family,
  type Layer,
  type Lego,
  type LegoOrigin,
  type Role,
} from "./types.js";
export {
  allLegos,
  catalogStatus,
  compositeOf,
  dependenciesOf,
  dependencyClosureOf,
  dependentsOf,
  getLego,
  isImplemented,
  legosByLayer,
  legosByRole,
  suggestLegoNames,
  type CatalogStatus,
  type LayerStatus,
} from "./queries.js";
export { toDot, toMermaid } from "./render.js";
