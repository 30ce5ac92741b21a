import { runExample } from './support/example-process.js';

describe('example timeouts', () => {
  test('cancelAfter on a connect and as an idle timeout, a parallel group race, cancelAt already passed', async () => {
    const { code, output } = await runExample('timeouts.js', []);
    expect(code).toBe(0);
    const lines = output.trim().split('\n');
    // The example runs its steps one after another, so the order is fixed.
    expect(lines.slice(0, 4)).toEqual([
      'connect with a 2000 ms deadline: connected',
      'read with a 200 ms idle timeout: 3 ticks, then gave up (operation_aborted)',
      'race of a read and a 100 ms timer: the timer won; read: gave up (operation_aborted), timer: expired',
      'connect with a deadline already passed: gave up (operation_aborted)',
    ]);
    expect(lines[4]).toMatch(/^run\(\) executed \d+ handlers$/);
    expect(lines).toHaveLength(5);
  });
});
