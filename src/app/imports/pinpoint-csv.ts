import { HeraldError } from '../../domain/errors.js';
import type { EndpointInput } from '../endpoints/endpoint-input.js';

/** A row's problem, named by its CSV column. */
export interface RowProblem {
  readonly field: string;
  readonly reason: string;
}

type Builder = {
  id?: string;
  channelType?: string;
  address?: string;
  optOut?: string;
  effectiveDate?: string;
  requestId?: string;
  location?: Record<string, string | number>;
  demographic?: Record<string, string>;
  attributes?: Record<string, string[]>;
  metrics?: Record<string, number>;
  user?: { userId?: string; userAttributes?: Record<string, string[]> };
};

type Setter = (row: Builder, value: string, problems: RowProblem[]) => void;

// Maps, not object literals: a column is the user's text, and `Location.constructor` must not find Object's.
const SCALARS = new Map<string, keyof Builder>([
  ['id', 'id'],
  ['channeltype', 'channelType'],
  ['address', 'address'],
  ['optout', 'optOut'],
  ['effectivedate', 'effectiveDate'],
  ['requestid', 'requestId'],
]);
const LOCATION = new Map<string, string>([
  ['city', 'city'],
  ['country', 'country'],
  ['latitude', 'latitude'],
  ['longitude', 'longitude'],
  ['postalcode', 'postalCode'],
  ['region', 'region'],
]);
const DEMOGRAPHIC = new Map<string, string>([
  ['appversion', 'appVersion'],
  ['locale', 'locale'],
  ['make', 'make'],
  ['model', 'model'],
  ['modelversion', 'modelVersion'],
  ['platform', 'platform'],
  ['platformversion', 'platformVersion'],
  ['timezone', 'timezone'],
]);
const DECIMAL = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
const NOT_IMPORTABLE = new Set(['endpointstatus', 'cohortid', 'creationdate', 'applicationid']);

/**
 * How to read the rows of a Pinpoint endpoint-import CSV: one setter per column, worked out once from the header.
 * Columns are Pinpoint's attribute paths (`ChannelType`, `Address`, `Id`, `OptOut`, `EffectiveDate`,
 * `RequestId`, `Location.*`, `Demographic.*`, `Attributes.<name>`, `Metrics.<name>`, `User.UserId`,
 * `User.UserAttributes.<name>`); the fixed names are matched without regard to case. An attribute with several
 * values repeats its column. Empty cells are left out of the write (they do not clear stored values).
 *
 * @example
 * const plan = planCsvHeader(['ChannelType', 'Address', 'Attributes.Interests', 'Attributes.Interests']);
 * plan.read(['SMS', '+16505551234', 'Music', 'Travel']); // { input: { channelType: 'SMS', ..., attributes: { Interests: ['Music', 'Travel'] } } }
 */
export interface CsvPlan {
  readonly columns: readonly string[];
  /** The row as an endpoint input without its id when the file has no `Id` column (or the cell is empty). */
  read(
    cells: readonly string[],
  ): { input: Omit<EndpointInput, 'id'> & { id?: string } } | { problems: RowProblem[] };
}

/** Throws HERALD_VALIDATION_FAILED (field `header`) for a header Herald cannot import. */
export function planCsvHeader(header: readonly string[]): CsvPlan {
  const setters: Setter[] = [];
  const seen = new Set<string>();
  const bad = (reason: string) =>
    new HeraldError('HERALD_VALIDATION_FAILED', `header: ${reason}`, { field: 'header' });
  if (header.length === 0 || (header.length === 1 && header[0]?.trim() === ''))
    throw bad('the file is empty');

  header.forEach((raw, index) => {
    const column = raw.trim();
    const lower = column.toLowerCase();
    const once = (key: string) => {
      if (seen.has(key))
        throw bad(`column "${column}" appears twice (only Attributes.* and User.UserAttributes.* repeat)`);
      seen.add(key);
    };
    const scalar = SCALARS.get(lower);
    if (scalar) {
      once(lower);
      setters[index] = (row, value) => {
        (row as Record<string, unknown>)[scalar] = value;
      };
      return;
    }
    if (NOT_IMPORTABLE.has(lower)) throw bad(`column "${column}" cannot be imported: Herald sets it`);
    const dot = column.indexOf('.');
    const prefix = dot === -1 ? lower : lower.slice(0, dot);
    const rest = dot === -1 ? '' : column.slice(dot + 1);
    const locationField = prefix === 'location' ? LOCATION.get(rest.toLowerCase()) : undefined;
    if (locationField) {
      const field = locationField;
      once(`location.${field}`);
      const numeric = field === 'latitude' || field === 'longitude';
      setters[index] = (row, value, problems) => {
        if (numeric) {
          const number = Number(value);
          if (!DECIMAL.test(value) || !Number.isFinite(number)) {
            problems.push({ field: column, reason: 'must be a number' });
            return;
          }
          location(row)[field] = number;
        } else location(row)[field] = value;
      };
      return;
    }
    const demographicField = prefix === 'demographic' ? DEMOGRAPHIC.get(rest.toLowerCase()) : undefined;
    if (demographicField) {
      const field = demographicField;
      once(`demographic.${field}`);
      setters[index] = (row, value) => {
        demographic(row)[field] = value;
      };
      return;
    }
    if (prefix === 'attributes' && rest) {
      setters[index] = (row, value) => {
        row.attributes = append(row.attributes, rest, value);
      };
      return;
    }
    if (prefix === 'metrics' && rest) {
      once(`metrics.${rest}`);
      setters[index] = (row, value, problems) => {
        const number = Number(value);
        // Decimal only: Number() also reads 0x10, 0b11 and 0o17, which no metric means.
        if (!DECIMAL.test(value) || !Number.isFinite(number)) {
          problems.push({ field: column, reason: 'must be a number' });
          return;
        }
        row.metrics = { ...row.metrics, [rest]: number };
      };
      return;
    }
    if (lower === 'user.userid') {
      once(lower);
      setters[index] = (row, value) => {
        row.user = { ...row.user, userId: value };
      };
      return;
    }
    if (lower.startsWith('user.userattributes.') && column.length > 'user.userattributes.'.length) {
      const name = column.slice('user.userattributes.'.length);
      setters[index] = (row, value) => {
        const user = row.user ?? {};
        user.userAttributes = append(user.userAttributes, name, value);
        row.user = user;
      };
      return;
    }
    throw bad(
      column === ''
        ? `column ${index + 1} has no name`
        : `unknown column "${column}" (columns are Pinpoint attribute paths: ChannelType, Address, Id, OptOut, EffectiveDate, RequestId, Location.*, Demographic.*, Attributes.<name>, Metrics.<name>, User.UserId, User.UserAttributes.<name>)`,
    );
  });

  const hasId = seen.has('id');
  if (!hasId && !(seen.has('channeltype') && seen.has('address'))) {
    throw bad(
      seen.has('user.userid') && header.length === 1
        ? 'a file of user ids only (a Pinpoint user-id segment) is not supported: give endpoints with ChannelType and Address, or Id'
        : 'the file needs an Id column, or ChannelType and Address columns',
    );
  }

  const width = header.length;
  return {
    columns: header.map((c) => c.trim()),
    read(cells) {
      if (cells.length !== width) {
        return { problems: [{ field: 'row', reason: `has ${cells.length} cells, the header has ${width}` }] };
      }
      const row: Builder = {};
      const problems: RowProblem[] = [];
      for (let i = 0; i < width; i++) {
        const value = cells[i] as string;
        if (value === '') continue;
        (setters[i] as Setter)(row, value, problems);
      }
      return problems.length > 0 ? { problems } : { input: row };
    },
  };
}

function location(row: Builder): Record<string, string | number> {
  row.location ??= {};
  return row.location;
}

function demographic(row: Builder): Record<string, string> {
  row.demographic ??= {};
  return row.demographic;
}

function append(
  lists: Record<string, string[]> | undefined,
  name: string,
  value: string,
): Record<string, string[]> {
  const out = lists ?? {};
  // Own properties only, defined rather than assigned: `constructor` and `__proto__` are attribute names like any.
  const list = Object.hasOwn(out, name) ? out[name] : undefined;
  if (list) list.push(value);
  else
    Object.defineProperty(out, name, {
      value: [value],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

/**
 * A field of an endpoint input (`attributes.Interests`, `user.userAttributes.FirstName`, `location.latitude`) as
 * the Pinpoint path a user sees in the file (`Attributes.Interests`, `User.UserAttributes.FirstName`,
 * `Location.Latitude`).
 */
export function pinpointPath(field: string): string {
  const parts = field.split('.');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    out.push(part.charAt(0).toUpperCase() + part.slice(1));
    if (part === 'attributes' || part === 'metrics' || part === 'userAttributes') {
      out.push(parts.slice(i + 1).join('.'));
      break;
    }
  }
  return out.filter((p) => p !== '').join('.');
}
