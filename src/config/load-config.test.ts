import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'herald-config-'));
}

describe('loadConfig', () => {
  it('applies defaults, generates secrets once with mode 0600, and freezes the result', () => {
    const cwd = tempDir();
    const config = loadConfig({ env: {}, cwd, fs });
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.database).toEqual({
      kind: 'sqlite',
      url: 'sqlite:./data/herald.db',
      path: path.join(cwd, 'data/herald.db'),
      cacheMb: 64,
    });
    expect(config.generated).toEqual({ adminToken: true, secretKey: true });
    const tokenFile = path.join(cwd, 'data', 'admin-token');
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.delivery)).toBe(true);

    const again = loadConfig({ env: {}, cwd, fs });
    expect(again.adminToken).toBe(config.adminToken);
    expect(again.secretKey).toBe(config.secretKey);
    expect(again.generated).toEqual({ adminToken: false, secretKey: false });
  });

  it('names the data directory when it cannot be created', () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'file.csv'), 'x');
    const file = path.join(cwd, 'file.csv');
    expect(() => loadConfig({ env: { HERALD_DATA_DIR: path.join(file, 'd') }, cwd, fs })).toThrow(
      `HERALD_DATA_DIR (or "dataDir" in herald.config.json): ${path.join(file, 'd')} cannot be created: ${file} is a file, not a directory`,
    );
    // Also when no secret has to be written there (the spool of imports is created there later).
    const secrets = { HERALD_ADMIN_TOKEN: 'a'.repeat(20), HERALD_SECRET_KEY: 'k'.repeat(20) };
    expect(() =>
      loadConfig({ env: { ...secrets, HERALD_DATA_DIR: path.join(file, 'd', 'e') }, cwd, fs }),
    ).toThrow(ConfigError);
  });

  it('names HERALD_DATABASE_URL when the SQLite file cannot be made where it says', () => {
    // These ended with mkdir's own EEXIST or ENOTDIR when the database was opened, naming no setting.
    const cwd = tempDir();
    const file = path.join(cwd, 'hostname');
    fs.writeFileSync(file, 'x');
    fs.mkdirSync(path.join(cwd, 'a-directory.db'));
    const problems = (url: string) => {
      try {
        loadConfig({ env: { HERALD_DATABASE_URL: url }, cwd, fs, generateSecrets: false });
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      return [];
    };
    const where = 'HERALD_DATABASE_URL (or "databaseUrl" in herald.config.json)';
    expect(problems(`sqlite:${file}/x.db`)).toEqual([
      `${where}: ${file}/x.db cannot be created: ${file} is a file, not a directory`,
    ]);
    expect(problems('sqlite:./hostname/data/x.db')).toEqual([
      `${where}: ${file}/data/x.db cannot be created: ${file} is a file, not a directory`,
    ]);
    expect(problems('sqlite:a-directory.db')).toEqual([
      `${where}: ${path.join(cwd, 'a-directory.db')} is a directory, not a database file`,
    ]);
    expect(problems('sqlite:./new/dir/x.db')).toEqual([]);
    // Checked, not created: a client command leaves nothing behind.
    expect(fs.existsSync(path.join(cwd, 'new'))).toBe(false);
    expect(problems('sqlite::memory:')).toEqual([]);
  });

  it('refuses a secret file that is too short rather than replacing it', () => {
    const cwd = tempDir();
    fs.mkdirSync(path.join(cwd, 'data'));
    fs.writeFileSync(path.join(cwd, 'data', 'secret-key'), 'shortkey\n');
    expect(() => loadConfig({ env: {}, cwd, fs })).toThrow(/secret-key: holds 8 characters/);
    expect(fs.readFileSync(path.join(cwd, 'data', 'secret-key'), 'utf8')).toBe('shortkey\n');
    fs.writeFileSync(path.join(cwd, 'data', 'secret-key'), '');
    expect(() => loadConfig({ env: {}, cwd, fs, generateSecrets: false })).toThrow(/holds nothing/);
  });

  it('lets client commands read an existing admin token without ever creating secrets', () => {
    const empty = tempDir();
    const client = loadConfig({ env: {}, cwd: empty, fs, generateSecrets: false });
    expect(client.adminToken).toBe('');
    expect(fs.existsSync(path.join(empty, 'data'))).toBe(false);

    const server = tempDir();
    const served = loadConfig({ env: {}, cwd: server, fs });
    expect(loadConfig({ env: {}, cwd: server, fs, generateSecrets: false }).adminToken).toBe(
      served.adminToken,
    );
  });

  it('reads the environment over herald.config.json', () => {
    const cwd = tempDir();
    fs.writeFileSync(
      path.join(cwd, 'herald.config.json'),
      JSON.stringify({ port: 4000, delivery: { holdTimeSeconds: 60 }, customFunctions: { wa: './fn.mjs' } }),
    );
    const config = loadConfig({
      env: {
        HERALD_PORT: '5000',
        HERALD_DATABASE_URL: 'postgres://u@h:5432/db',
        HERALD_ADMIN_TOKEN: 'x'.repeat(20),
        HERALD_INBOX_RETENTION_DAYS: '2',
      },
      cwd,
      fs,
    });
    expect(config.port).toBe(5000);
    expect(config.delivery.inboxRetentionDays).toBe(2);
    expect(config.delivery.holdTimeSeconds).toBe(60);
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@h:5432/db' });
    expect(config.adminToken).toBe('x'.repeat(20));
    expect(config.customFunctions).toEqual({ wa: path.join(cwd, 'fn.mjs') });
  });

  it('names the variable and what is wrong', () => {
    const cwd = tempDir();
    const attempt = () =>
      loadConfig({ env: { HERALD_PORT: 'eighty', HERALD_DATABASE_URL: 'mysql://x' }, cwd, fs });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toContain('HERALD_PORT');
      expect(problems).toContain('HERALD_DATABASE_URL');
      expect(problems).toContain('sqlite:<path> or postgres://');
    }
    const one = (env: Record<string, string>) => {
      try {
        loadConfig({ env, cwd, fs });
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
      return 'accepted';
    };
    expect(one({ HERALD_PORT: ' ' })).toContain('HERALD_PORT');
    // The reason, not zod's bare "Invalid input".
    expect(one({ HERALD_PORT: 'abc' })).toBe(
      'HERALD_PORT (or "port" in herald.config.json): must be a port number, 0 to 65535',
    );
    expect(one({ HERALD_DATABASE_URL: 'sqlite:' })).toContain('HERALD_DATABASE_URL');
    expect(one({ HERALD_MARK_READ: 'yes' })).toContain(
      'HERALD_MARK_READ (or "delivery.markRead" in herald.config.json): must be true, false, 1 or 0',
    );
    expect(one({ HERALD_PORT: '80.5' })).toContain('HERALD_PORT');
    expect(one({ HERALD_SENDER_LEASE_MS: '9000000000' })).toContain('HERALD_SENDER_LEASE_MS');
    expect(one({ HERALD_HOLD_TIME_SECONDS: '30' })).toContain('HERALD_HOLD_TIME_SECONDS');
    expect(one({ HERALD_INBOX_RETENTION_DAYS: '0' })).toContain('HERALD_INBOX_RETENTION_DAYS');
    expect(one({ HERALD_PORT: '0', HERALD_SENDER_LEASE_MS: '86400000' })).toBe('accepted');
  });

  it('names the file HERALD_CONFIG gives, not herald.config.json, in the errors of its settings', () => {
    const cwd = tempDir();
    fs.mkdirSync(path.join(cwd, 'conf'));
    fs.writeFileSync(path.join(cwd, 'conf', 'prod.json'), JSON.stringify({ prot: 1, port: 'eighty' }));
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ env, cwd, fs });
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    const named = problems({ HERALD_CONFIG: 'conf/prod.json' });
    expect(named).toContain('"(root)" in conf/prod.json: unknown setting(s) "prot"');
    expect(named).toContainEqual(expect.stringMatching(/^HERALD_PORT \(or "port" in conf\/prod\.json\): /));
    expect(named.join('\n')).not.toContain('herald.config.json');
    // Without HERALD_CONFIG the file is the default one, and the errors say so.
    fs.writeFileSync(path.join(cwd, 'herald.config.json'), JSON.stringify({ prot: 1 }));
    expect(problems({})).toEqual(['"(root)" in herald.config.json: unknown setting(s) "prot"']);
  });

  it('rejects unknown settings in the file and a short admin token', () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'herald.config.json'), JSON.stringify({ prot: 1 }));
    expect(() => loadConfig({ env: {}, cwd, fs })).toThrow(/unknown setting\(s\) "prot"/);
    fs.writeFileSync(path.join(cwd, 'herald.config.json'), '{}');
    expect(() => loadConfig({ env: { HERALD_ADMIN_TOKEN: 'short' }, cwd, fs })).toThrow(
      /HERALD_ADMIN_TOKEN.*at least 16/,
    );
  });
});
