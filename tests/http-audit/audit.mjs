// Audits a GraphQL endpoint against the GraphQL-over-HTTP spec with
// graphql-http's own audits. Usage: node audit.mjs http://127.0.0.1:PORT/graphql
// Exits non-zero on any failure or warning.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
let passed = 0;
let problems = 0;
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  if (result.status === 'ok') {
    passed += 1;
  } else {
    problems += 1;
    console.log(`${result.status.toUpperCase()} ${audit.name}: ${result.reason}`);
  }
}
console.log(`graphql-http audit: ${passed} passed, ${problems} warnings or failures`);
process.exit(problems === 0 ? 0 : 1);
