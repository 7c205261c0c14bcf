// Apollo Client's BatchHttpLink against a running Tidtam.
// Usage: node batch.mjs http://127.0.0.1:PORT/graphql TOKEN
// Prints one JSON line: how many POSTs went out, their batch sizes, and what
// each operation answered.
import { ApolloClient, InMemoryCache, gql } from '@apollo/client/core/index.js';
import { BatchHttpLink } from '@apollo/client/link/batch-http/index.js';

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node batch.mjs URL TOKEN');
  process.exit(2);
}
const sent = [];
const counting = async (input, init) => {
  sent.push(JSON.parse(init.body));
  return fetch(input, init);
};
const link = new BatchHttpLink({
  uri: url,
  batchMax: 10,
  batchInterval: 50,
  fetch: counting,
  headers: { authorization: `Bearer ${token}` },
});
const client = new ApolloClient({
  link,
  cache: new InMemoryCache(),
  defaultOptions: { query: { fetchPolicy: 'no-cache' } },
});

const [viewer, org, provinces] = await Promise.all([
  client.query({ query: gql`query Viewer { viewer { username role } }` }),
  client.query({
    query: gql`query Org($code: String!) { organisation(code: $code) { code name } }`,
    variables: { code: '7100001' },
  }),
  client.query({ query: gql`query Provinces { provinces { totalCount } }` }),
]);
const [first, second] = await Promise.all([
  client.mutate({
    mutation: gql`mutation First { createApiToken(name: "apollo-first") { info { id name } } }`,
  }),
  client.mutate({
    mutation: gql`mutation Second { createApiToken(name: "apollo-second") { info { id name } } }`,
  }),
]);
// An error in one operation of a batch is that operation's alone.
const failed = await Promise.allSettled([
  client.query({ query: gql`query Nope { organisation(code: "7100001") { nope } }` }),
  client.query({ query: gql`query Fine { viewer { username } }` }),
]);
console.log(
  JSON.stringify({
    batches: sent.map((body) => (Array.isArray(body) ? body.length : 0)),
    viewer: viewer.data.viewer,
    org: org.data.organisation,
    provinces: provinces.data.provinces.totalCount,
    first: first.data.createApiToken.info,
    second: second.data.createApiToken.info,
    failed: failed.map((r) =>
      r.status === 'fulfilled'
        ? r.value.data.viewer.username
        : r.reason.graphQLErrors?.[0]?.extensions?.code ?? String(r.reason),
    ),
  }),
);
