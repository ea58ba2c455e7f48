/**
 * How the ledger keeps a provider's message id without what the id encodes: a WhatsApp message id (wamid) is
 * base64 around the recipient's phone number. The ledger finds a message by the id's keyed digest (status webhooks
 * name the id) and shows the id from its sealed copy.
 *
 * @example
 * const key = codec.digest('whatsapp-cloud:106540352242922', 'wamid.HBgL...'); // the same id, the same digest
 * codec.open(codec.seal('wamid.HBgL...')); // 'wamid.HBgL...'
 */
export interface ProviderIdCodec {
  /** Keyed and stable: what the ledger looks a provider id up by. */
  digest(senderKey: string, providerMessageId: string): string;
  /** Encrypted under the secret key, for showing the id back. */
  seal(providerMessageId: string): string;
  /** The id, or undefined when it was sealed under another secret key. */
  open(sealed: string): string | undefined;
}
