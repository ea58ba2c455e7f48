import { describe, expect, it } from 'vitest';
import { connectionLost } from './unavailable-pool.js';

describe('connectionLost', () => {
  it("tells a lost or refused connection from a statement's own error", () => {
    const lost = [
      { code: '57P01', message: 'terminating connection due to administrator command' },
      { code: '57P03', message: 'the database system is starting up' },
      { code: '08006', message: 'connection failure' },
      { code: '53300', message: 'sorry, too many clients already' },
      { code: 'ECONNRESET', message: 'read ECONNRESET' },
      { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' },
      new Error('Connection terminated unexpectedly'),
      new Error('Client has encountered a connection error and is not queryable'),
      new Error('Connection terminated due to connection timeout'),
      new Error('timeout exceeded when trying to connect'),
    ];
    const statement = [
      { code: '23505', message: 'duplicate key value violates unique constraint' },
      { code: '40P01', message: 'deadlock detected' },
      { code: '42601', message: 'syntax error at or near "selec"' },
      { code: '57014', message: 'canceling statement due to statement timeout' },
      new Error('something else'),
      undefined,
    ];
    expect(lost.map(connectionLost)).toEqual(lost.map(() => true));
    expect(statement.map(connectionLost)).toEqual(statement.map(() => false));
  });
});
