import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { z } from 'zod';
import { configSchema, type ParsedConfig } from './config-schema.js';
import { CONFIG_FILE_VAR, DEFAULT_CONFIG_FILE, ENV_VARS } from './config-sources.js';

/** The slice of `node:fs` that configuration needs, injected so tests use a temporary directory. */
export interface ConfigFs {
  existsSync(p: string): boolean;
  readFileSync(p: string, encoding: 'utf8'): string;
  writeFileSync(p: string, data: string, options: { mode: number; flag: string }): void;
  mkdirSync(p: string, options: { recursive: true }): unknown;
  statSync(p: string): { isDirectory(): boolean };
}

export type DatabaseConfig =
  /** `cacheMb`: SQLite's page cache (HERALD_SQLITE_CACHE_MB); absent: the default of `connectSqlite`. */
  { kind: 'sqlite'; url: string; path: string; cacheMb?: number } | { kind: 'postgres'; url: string };

/**
 * Herald's validated, frozen configuration.
 *
 * @example
 * const config = loadConfig({ env: process.env, cwd: process.cwd(), fs });
 * config.database.kind; // 'sqlite'
 */
export type HeraldConfig = Readonly<
  Omit<ParsedConfig, 'adminToken' | 'secretKey'> & {
    adminToken: string;
    secretKey: string;
    database: DatabaseConfig;
    publicUrl: string;
    /** False when `publicUrl` was derived from host and port (then the actual listening port wins). */
    publicUrlConfigured: boolean;
    /** Which secrets were generated on this start (and so should be printed once). */
    generated: { adminToken: boolean; secretKey: boolean };
  }
>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  fs: ConfigFs;
  /** Values that win over everything else (CLI flags such as `--port`). */
  overrides?: Record<string, unknown>;
  /**
   * False for the client commands (`herald send`, `import`, `campaigns`): they read an existing admin token but
   * never create the server's secrets in whatever directory they run from. An absent secret is then ''.
   */
  generateSecrets?: boolean;
}

export function loadConfig(options: LoadConfigOptions): HeraldConfig {
  const { env, cwd, fs } = options;
  const input: Record<string, unknown> = readConfigFile(env, cwd, fs);
  // Errors name the file the operator gave (HERALD_CONFIG), not the default one Herald did not read.
  const configFile = env[CONFIG_FILE_VAR] || DEFAULT_CONFIG_FILE;

  for (const [key, variable] of Object.entries(ENV_VARS)) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    setPath(input, key, value);
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) setPath(input, key, value);
  }

  const parsed = configSchema.safeParse(input);
  if (!parsed.success)
    throw new ConfigError(parsed.error.issues.map((issue) => describeIssue(issue, configFile)));
  const config = parsed.data;

  const dataDir = path.resolve(cwd, config.dataDir);
  const parsedUrl = parseDatabaseUrl(config.databaseUrl, cwd);
  const database: DatabaseConfig =
    parsedUrl.kind === 'sqlite' ? { ...parsedUrl, cacheMb: config.sqliteCacheMb } : parsedUrl;
  checkPlaces(dataDir, database, configFile, fs);
  const generate = options.generateSecrets !== false;
  const adminToken = resolveSecret(config.adminToken, dataDir, 'admin-token', fs, generate, configFile);
  const secretKey = resolveSecret(config.secretKey, dataDir, 'secret-key', fs, generate, configFile);

  return deepFreeze({
    ...config,
    dataDir,
    database,
    adminToken: adminToken.value,
    secretKey: secretKey.value,
    publicUrl:
      config.publicUrl ?? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`,
    publicUrlConfigured: config.publicUrl !== undefined,
    generated: { adminToken: adminToken.generated, secretKey: secretKey.generated },
  });
}

function readConfigFile(env: LoadConfigOptions['env'], cwd: string, fs: ConfigFs): Record<string, unknown> {
  const explicit = env[CONFIG_FILE_VAR];
  const file = path.resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  if (!fs.existsSync(file)) {
    if (explicit) throw new ConfigError([`${CONFIG_FILE_VAR}: file ${file} does not exist`]);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError([`${file}: not valid JSON (${(error as Error).message})`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([`${file}: must hold a JSON object`]);
  }
  const config = parsed as Record<string, unknown>;
  // Module paths of custom functions are relative to the file that names them.
  const functions = config.customFunctions;
  if (typeof functions === 'object' && functions !== null && !Array.isArray(functions)) {
    config.customFunctions = Object.fromEntries(
      Object.entries(functions).map(([name, p]) => [
        name,
        typeof p === 'string' ? path.resolve(path.dirname(file), p) : p,
      ]),
    );
  }
  return config;
}

function describeIssue(issue: z.core.$ZodIssue, configFile: string): string {
  const key = issue.path.join('.');
  const where = settingName(key, configFile);
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown setting(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return `${where}: ${issue.message}`;
}

/** How an error names a setting: its variable and its key in the file (`HERALD_PORT (or "port" in herald.config.json)`). */
function settingName(key: string, configFile: string): string {
  const variable = ENV_VARS[key];
  return variable ? `${variable} (or "${key}" in ${configFile})` : `"${key || '(root)'}" in ${configFile}`;
}

export function parseDatabaseUrl(url: string, cwd: string): DatabaseConfig {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    return { kind: 'sqlite', url, path: file === ':memory:' ? file : path.resolve(cwd, file) };
  }
  return { kind: 'postgres', url };
}

/**
 * Refuses a data directory or SQLite file that can never be made because a file stands where a directory has to
 * be (`sqlite:/etc/hostname/x.db`), or a database path that is a directory. Both ended with mkdir's own EEXIST or
 * ENOTDIR, naming no setting, when the database was opened or the first import was spooled. Checked without
 * creating anything: client commands load the configuration too.
 */
function checkPlaces(dataDir: string, database: DatabaseConfig, configFile: string, fs: ConfigFs): void {
  const problems: string[] = [];
  const dataBlocker = fileInTheWay(dataDir, fs);
  if (dataBlocker !== undefined)
    problems.push(
      `${settingName('dataDir', configFile)}: ${dataDir} cannot be created: ${dataBlocker} is a file, not a directory`,
    );
  if (database.kind === 'sqlite' && database.path !== ':memory:') {
    const where = settingName('databaseUrl', configFile);
    const blocker = fileInTheWay(path.dirname(database.path), fs);
    if (blocker !== undefined)
      problems.push(`${where}: ${database.path} cannot be created: ${blocker} is a file, not a directory`);
    else if (fs.existsSync(database.path) && fs.statSync(database.path).isDirectory())
      problems.push(`${where}: ${database.path} is a directory, not a database file`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/** The nearest existing path at or above `dir` when it is not a directory (so `dir` cannot be made). */
function fileInTheWay(dir: string, fs: ConfigFs): string | undefined {
  for (let at = dir; ; at = path.dirname(at)) {
    if (fs.existsSync(at)) return fs.statSync(at).isDirectory() ? undefined : at;
    if (path.dirname(at) === at) return undefined;
  }
}

function resolveSecret(
  given: string | undefined,
  dataDir: string,
  name: string,
  fs: ConfigFs,
  generate: boolean,
  configFile: string,
): { value: string; generated: boolean } {
  if (given) return { value: given, generated: false };
  const file = path.join(dataDir, name);
  if (fs.existsSync(file)) {
    const stored = fs.readFileSync(file, 'utf8').trim();
    if (stored.length >= 16) return { value: stored, generated: false };
    // Never replaced: a truncated secret-key file replaced with a new key would leave every stored provider
    // credential undecryptable, silently.
    throw new ConfigError([
      `${file}: holds ${stored.length === 0 ? 'nothing' : `${stored.length} characters`}; a ${name} is at least 16 characters (restore it from a backup, or delete the file to have a new one generated)`,
    ]);
  }
  if (!generate) return { value: '', generated: false };
  try {
    fs.mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError([`${settingName('dataDir', configFile)}: ${dataDir} cannot be created (${code})`]);
  }
  const value = randomBytes(32).toString('base64url');
  fs.writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'w' });
  return { value, generated: true };
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1) as string] = value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
