import { describe, expect, it } from 'vitest';
import { snsUrlAllowed } from './sns-url-allowed.js';

const AWS = ['sns.*.amazonaws.com', 'sns.*.amazonaws.com.cn'];

describe('SNS URL allow-list', () => {
  it('accepts AWS’s certificate hosts over https', () => {
    expect(
      snsUrlAllowed('https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem', AWS),
    ).toBeInstanceOf(URL);
    expect(snsUrlAllowed('https://sns.cn-north-1.amazonaws.com.cn/x.pem', AWS)).toBeInstanceOf(URL);
    expect(snsUrlAllowed('https://SNS.EU-WEST-1.AMAZONAWS.COM/x.pem', AWS)).toBeInstanceOf(URL);
  });

  it('refuses look-alike hosts: one label per star, nothing before or after', () => {
    for (const url of [
      'https://sns.evil.example.amazonaws.com/x.pem',
      'https://evilsns.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com.evil.example/x.pem',
      'https://sns..amazonaws.com/x.pem',
      'https://attacker.example/sns.us-east-1.amazonaws.com/x.pem',
    ]) {
      expect(snsUrlAllowed(url, AWS), url).toEqual(expect.stringContaining('allow-list'));
    }
  });

  it('requires https for glob matches, allows http only for exactly named hosts, and no credentials', () => {
    expect(snsUrlAllowed('http://sns.us-east-1.amazonaws.com/x.pem', AWS)).toBe('must use https');
    expect(snsUrlAllowed('http://127.0.0.1:4010/eum-sms/_sns/c.pem', ['127.0.0.1'])).toBeInstanceOf(URL);
    expect(snsUrlAllowed('ftp://127.0.0.1/c.pem', ['127.0.0.1'])).toBe('must use https');
    expect(snsUrlAllowed('https://u:p@sns.us-east-1.amazonaws.com/x.pem', AWS)).toBe(
      'must not carry credentials',
    );
    expect(snsUrlAllowed('not a url', AWS)).toBe('not a URL');
  });
});
