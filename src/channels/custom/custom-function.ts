import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * What a function's `handler` receives as its second argument: the parts of Lambda's context code reads.
 *
 * @example
 * exports.handler = async (event, context) => console.log(context.awsRequestId, context.getRemainingTimeInMillis());
 */
export interface CustomFunctionContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

type Handler = (
  event: unknown,
  context: CustomFunctionContext,
  callback: (error?: unknown, result?: unknown) => void,
) => unknown;

export type CustomFunctionResult =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly kind: 'unavailable' | 'error' | 'timeout'; readonly message: string };

/**
 * Imports a function module and finds its handler: `exports.handler` (CommonJS, as Lambda code is written), an ESM
 * `handler` export, or a default export. Node keeps imported modules, so calling this per delivery is cheap.
 */
export async function loadCustomFunction(modulePath: string): Promise<Handler> {
  const absolute = path.resolve(modulePath);
  const mod = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  const fromDefault = mod.default as Record<string, unknown> | ((...args: unknown[]) => unknown) | undefined;
  const handler =
    mod.handler ??
    (typeof fromDefault === 'object' && fromDefault !== null ? fromDefault.handler : undefined) ??
    fromDefault;
  if (typeof handler !== 'function') throw new Error(`${absolute} exports no handler function`);
  return handler as Handler;
}

/**
 * Calls a Pinpoint-style custom-channel function the way Lambda does, so code written for Pinpoint runs unchanged:
 * `handler(event, context, callback)`, finished by its promise (async handlers), its callback (Lambda-style
 * handlers of three parameters) or its return value. A handler that neither settles nor calls back within
 * `timeoutMs` counts as timed out; it cannot be stopped, so it may still finish later, as a Lambda that is
 * retried after a timeout may.
 *
 * @example
 * const outcome = await invokeCustomFunction('/opt/herald/functions/whatsapp.js', event, { functionName: 'whatsapp', timeoutMs: 15_000 });
 */
export async function invokeCustomFunction(
  modulePath: string,
  event: unknown,
  options: { functionName: string; timeoutMs: number },
): Promise<CustomFunctionResult> {
  let handler: Handler;
  try {
    handler = await loadCustomFunction(modulePath);
  } catch (error) {
    return {
      ok: false,
      kind: 'unavailable',
      message: error instanceof Error ? error.message : String(error),
    };
  }
  const deadline = Date.now() + options.timeoutMs;
  const awsRequestId = randomUUID();
  const context: CustomFunctionContext = {
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:herald:function:${options.functionName}`,
    memoryLimitInMB: '128',
    awsRequestId,
    logGroupName: `/herald/custom-functions/${options.functionName}`,
    logStreamName: awsRequestId,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CustomFunctionResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          ok: false,
          kind: 'timeout',
          message: `the function did not finish within ${options.timeoutMs} ms`,
        }),
      options.timeoutMs,
    );
  });
  const finished = new Promise<unknown>((resolve, reject) => {
    const callback = (error?: unknown, result?: unknown) => (error ? reject(error) : resolve(result));
    const returned = handler(event, context, callback);
    if (
      returned instanceof Promise ||
      (typeof returned === 'object' && returned !== null && 'then' in returned)
    ) {
      (returned as PromiseLike<unknown>).then(resolve, reject);
    } else if (handler.length < 3) {
      resolve(returned);
    }
  }).then(
    (result): CustomFunctionResult => ({ ok: true, result }),
    (error: unknown): CustomFunctionResult => ({
      ok: false,
      kind: 'error',
      message: error instanceof Error ? error.message : String(error),
    }),
  );
  try {
    return await Promise.race([finished, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
