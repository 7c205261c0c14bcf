// PostGraphile 5 over Tidtam's database, for benches/compare.sh.
//
// Serves the `public` schema of DATABASE_URL with the Amber preset (the
// PostGraphile 5 defaults), @graphile/pg-aggregates (aggregates and grouped
// aggregates on every connection) and postgraphile-plugin-connection-filter
// with relation filters (so that one LAO's approvals of a year can be reached
// through organisations → development_plans → plan_projects → budget_approvals
// without listing the plan projects of other years).
//
// Environment:
//   DATABASE_URL   the database (default postgres://postgres@127.0.0.1/tidtam_national)
//   PORT           where to listen on 127.0.0.1 (default 5678)
//   PG_POOL_MAX    connections in the pool (default 16, as Tidtam's pool)
//   PG_ROLE        optional: SET LOCAL ROLE for every request (e.g. tidtam_request,
//                  so that Tidtam's row-level security applies to PostGraphile too);
//                  unset, requests run as the connecting user (postgres: no RLS).
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import { jsonPgSmartTags } from "postgraphile/utils";

// Tidtam checks these two references with set-based triggers instead of
// foreign keys (migration 20261126000015, for the national e-LAAS import),
// so PostGraphile is told of them as virtual foreign keys to keep the
// relations it would otherwise infer.
const elaasRelations = jsonPgSmartTags({
  version: 1,
  config: {
    class: {
      elaas_snapshots: { tags: { foreignKey: "(elaas_item_id) references elaas_items (id)" } },
      elaas_items: { tags: { foreignKey: "(organisation_id) references organisations (id)" } },
    },
  },
});

const connectionString = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1/tidtam_national";
const role = process.env.PG_ROLE || undefined;

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PgAggregatesPreset, PostGraphileConnectionFilterPreset],
  plugins: [elaasRelations],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.PG_POOL_MAX || 16) },
      ...(role ? { pgSettings: () => ({ role }) } : {}),
    }),
  ],
  schema: {
    connectionFilterRelations: true,
  },
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PORT || 5678),
    graphqlPath: "/graphql",
    graphiql: false,
    watch: false,
    maxRequestLength: 1_000_000,
  },
  grafast: {
    explain: false,
  },
};

export default preset;
