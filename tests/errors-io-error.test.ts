import { IoError, fromNodeError } from '../src/index.js';

function nodeError(code: string, errno: number, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${syscall} ${code}`), { code, errno, syscall });
}

describe('IoError', () => {
  test('carries a stable code, a default message and no errno/syscall by default', () => {
    const err = new IoError('eof');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('IoError');
    expect(err.code).toBe('eof');
    expect(err.message).toBe('End of file');
    expect(err.errno).toBeUndefined();
    expect(err.syscall).toBeUndefined();
    expect(new IoError('operation_aborted', 'cancelled by user').message).toBe('cancelled by user');
  });

  test('IoError.is checks the class and the code', () => {
    const err = new IoError('timed_out');
    expect(IoError.is(err, 'timed_out')).toBe(true);
    expect(IoError.is(err, 'eof')).toBe(false);
    expect(IoError.is(Object.assign(new Error('x'), { code: 'timed_out' }), 'timed_out')).toBe(false);
  });

  test.each([
    ['ECONNRESET', -104, 'read', 'connection_reset'],
    ['ECONNREFUSED', -111, 'connect', 'connection_refused'],
    ['EPIPE', -32, 'write', 'broken_pipe'],
    ['EADDRINUSE', -98, 'listen', 'address_in_use'],
    ['ENOENT', -2, 'open', 'not_found'],
    ['ETIMEDOUT', -110, 'connect', 'timed_out'],
    ['EMSGSIZE', -90, 'send', 'message_size'],
  ])('fromNodeError maps %s to %s', (nodeCode, errno, syscall, code) => {
    const source = nodeError(nodeCode, errno, syscall);
    const err = fromNodeError(source);
    expect(err).toBeInstanceOf(IoError);
    expect(err.code).toBe(code);
    expect(err.errno).toBe(errno);
    expect(err.syscall).toBe(syscall);
    expect(err.message).toBe(source.message);
    expect(err.cause).toBe(source);
  });

  test('an unknown Node code maps to unknown, keeping errno and syscall', () => {
    const err = fromNodeError(nodeError('EWHATEVER', -9999, 'frobnicate'));
    expect(err.code).toBe('unknown');
    expect(err.errno).toBe(-9999);
    expect(err.syscall).toBe('frobnicate');
  });

  test('non-errors and errors without a code become unknown; an IoError passes through', () => {
    expect(fromNodeError('text').code).toBe('unknown');
    expect(fromNodeError('text').message).toBe('text');
    expect(fromNodeError(new Error('plain')).code).toBe('unknown');
    const original = new IoError('eof');
    expect(fromNodeError(original)).toBe(original);
  });

  test('a real ENOENT from Node maps to not_found', async () => {
    const { promises: fs } = await import('node:fs');
    const thrown = await fs.stat('/definitely/not/here/proactor').then(
      () => null,
      (e: unknown) => e,
    );
    const err = fromNodeError(thrown);
    expect(err.code).toBe('not_found');
    expect(err.syscall).toBe('stat');
    expect(typeof err.errno).toBe('number');
  });
});
