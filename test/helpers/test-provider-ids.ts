import { createProviderIdCodec } from '../../src/app/delivery/provider-id-codec.js';
import { createAesGcmSecretBox } from '../../src/runtime/aes-gcm-secret-box.js';

const KEY = 'test-secret-key-0123456789abcdef';

/** The ledger's provider-id codec under the tests' secret key (test-herald.ts uses the same one). */
export const testProviderIds = createProviderIdCodec(KEY, createAesGcmSecretBox(KEY));
