export {
  FAMILIES,
  LAYERS,
  ROLES,
  type CatalogGraph,
  type CatalogGraphOptions,
  type Family,
  type Layer,
  type Lego,
  type LegoEdge,
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
