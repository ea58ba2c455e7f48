import { createCustomSandbox } from './custom/custom-sandbox.js';
import { createEumSmsSandbox } from './eum-sms/eum-sms-sandbox.js';
import { createEumSocialSandbox } from './eum-social/eum-social-sandbox.js';
import { createLineSandbox } from './line/line-sandbox.js';
import type { SandboxProvider } from './sandbox-provider.js';
import { createTwilioSandbox } from './twilio/twilio-sandbox.js';
import { createWhatsAppSandbox } from './whatsapp/whatsapp-sandbox.js';

/** Every simulated provider. Adding one is a folder under `sandbox/` and a line here. */
export const SANDBOX_PROVIDERS: readonly (() => SandboxProvider)[] = [
  createWhatsAppSandbox,
  createEumSocialSandbox,
  createEumSmsSandbox,
  createLineSandbox,
  createTwilioSandbox,
  createCustomSandbox,
];
