/**
 * Whether Herald may fetch an SNS `SigningCertURL` or `SubscribeURL`: the URL when its host is on the allow-list,
 * otherwise why not. Entries are exact host names or globs where `*` stands for one DNS label
 * (`sns.*.amazonaws.com` matches `sns.us-east-1.amazonaws.com`, not `sns.evil.example.amazonaws.com`). Hosts
 * matched by a glob must use https; plain http is accepted only for a host the list names exactly (the sandbox on
 * this machine).
 *
 * @example
 * snsUrlAllowed('https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem', ['sns.*.amazonaws.com']); // URL
 */
export function snsUrlAllowed(raw: string, allowedHosts: readonly string[]): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  const host = url.hostname.toLowerCase();
  const exact = allowedHosts.some((pattern) => pattern.toLowerCase() === host);
  const byGlob = allowedHosts.some((pattern) => pattern.includes('*') && globMatches(pattern, host));
  if (!exact && !byGlob) return `host ${host} is not in the SNS certificate-host allow-list`;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && exact)) return 'must use https';
  if (url.username || url.password) return 'must not carry credentials';
  return url;
}

function globMatches(pattern: string, host: string): boolean {
  const want = pattern.toLowerCase().split('.');
  const have = host.split('.');
  if (want.length !== have.length) return false;
  return want.every((label, i) => (label === '*' ? /^[a-z0-9-]+$/.test(have[i] ?? '') : label === have[i]));
}
