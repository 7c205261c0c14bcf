// Starts PostGraphile (graphile.config.mjs) on 127.0.0.1:$PORT, POST /graphql.
//
// PostGraphile 5.1 declares Node.js >= 22. On Node.js 20 (Debian's nodesource
// package on the project's machine) the one missing piece it uses is
// Promise.withResolvers (ES2024); without it every query fails with "Cannot
// read properties of undefined (reading 'items')". Add it when missing; on
// Node.js 22+ this does nothing.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const { createServer } = await import("node:http");
const { readFileSync } = await import("node:fs");
const { postgraphile } = await import("postgraphile");
const { grafserv } = await import("postgraphile/grafserv/node");
const { default: preset } = await import("./graphile.config.mjs");

const version = JSON.parse(
  readFileSync(new URL("./node_modules/postgraphile/package.json", import.meta.url), "utf8"),
).version;

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
// Introspect and build the schema before saying we are ready.
await pgl.getSchemaResult();
const { host, port } = preset.grafserv;
server.listen(port, host, () => {
  console.log(`PostGraphile ${version} (Node.js ${process.version}) ready at http://${host}:${port}/graphql`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    server.close();
    await pgl.release();
    process.exit(0);
  });
}
