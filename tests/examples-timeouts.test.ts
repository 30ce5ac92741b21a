import { runExample } from './support/example-process.js';

describe('example timeouts', () => {
  test('a read and a connect with deadlines, with callbacks then promises, then run() returns', async () => {
    const { code, output } = await runExample('timeouts.js', []);
    expect(code).toBe(0);
    const lines = output.trim().split('\n');
    // The example runs its steps one after another, so the order is fixed.
    expect(lines.slice(0, 6)).toEqual([
      'callback: read with a 200 ms deadline: gave up (operation_aborted)',
      'callback: connect with a 2000 ms budget: connected',
      "callback: connect with the read's deadline, already passed: gave up (operation_aborted)",
      'promise: read with a 200 ms deadline: gave up (operation_aborted)',
      'promise: connect with a 2000 ms budget: connected',
      "promise: connect with the read's deadline, already passed: gave up (operation_aborted)",
    ]);
    expect(lines[6]).toMatch(/^run\(\) executed \d+ handlers$/);
    expect(lines).toHaveLength(7);
  });
});
