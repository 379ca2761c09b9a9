// A node:test reporter that prints one line at the end: "N passed, N failed" (and skipped/todo when there are any).
// Suites are not counted, only the tests inside them.
export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let todo = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const d = event.data;
    if (d.details?.type === 'suite') continue;
    if (d.skip) skipped++;
    else if (d.todo) todo++;
    else if (event.type === 'test:pass') passed++;
    else failed++;
  }
  let line = `${passed} passed, ${failed} failed`;
  if (skipped) line += `, ${skipped} skipped`;
  if (todo) line += `, ${todo} todo`;
  yield `\n${line}\n`;
}
